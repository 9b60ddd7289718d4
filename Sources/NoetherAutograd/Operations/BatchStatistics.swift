import NoetherTensor

/// The per-channel statistics of one training batch, as batch normalisation reports them for
/// the running estimates.
public struct BatchStatistics<Scalar: TensorScalar>: Sendable {
    /// The batch mean of each channel, `[C]`.
    public let mean: Tensor<Scalar>
    /// The unbiased (Bessel-corrected) batch variance of each channel, `[C]`: what PyTorch feeds
    /// into `running_var`, although it normalises with the biased one. With one value per
    /// channel it is the biased variance, 0, rather than undefined.
    public let variance: Tensor<Scalar>
}

/// Running estimates of the channel statistics (PyTorch's `running_mean` and `running_var`),
/// used by batch normalisation in eval mode.
public struct RunningStatistics<Scalar: TensorScalar>: Sendable {
    public var mean: Tensor<Scalar>
    public var variance: Tensor<Scalar>

    /// PyTorch's initial state: mean 0, variance 1.
    public init(channels: Int) {
        mean = .zeros([channels])
        variance = .ones([channels])
    }

    public init(mean: Tensor<Scalar>, variance: Tensor<Scalar>) {
        self.mean = mean
        self.variance = variance
    }

    /// Moves the estimates toward a batch's: running = (1 − m)·running + m·batch, PyTorch's
    /// exponential moving average (its `momentum` is this m, default 0.1).
    public mutating func update(with batch: BatchStatistics<Scalar>, momentum: Scalar = 0.1) {
        func blend(_ running: inout Tensor<Scalar>, _ observed: Tensor<Scalar>) {
            let count = min(running.count, observed.count)
            observed.withUnsafeBufferPointer { b in
                running.withUnsafeMutableBufferPointer { r in
                    for c in 0..<count { r[c] = (1 - momentum) * r[c] + momentum * b[c] }
                }
            }
        }
        blend(&mean, batch.mean)
        blend(&variance, batch.variance)
    }
}
