import NoetherTensor

extension Tape {
    /// The extents of `[N, C, …]` as (samples, channels, positions per channel and sample).
    private func channelLayout(_ shape: Shape) -> (outer: Int, channels: Int, inner: Int) {
        precondition(shape.rank >= 2, "batchNorm needs [N, C] or [N, C, H, W], got \(shape)")
        let (outer, channels) = (shape[0], shape[1])
        return (outer, channels, outer * channels == 0 ? 0 : shape.count / (outer * channels))
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func batchNorm(
        _ x: Variable<Scalar>, gain: Variable<Scalar>?, bias: Variable<Scalar>?,
        running: RunningStatistics<Scalar>?, epsilon: Scalar
    ) -> (Variable<Scalar>, BatchStatistics<Scalar>) {
        let (outer, channels, inner) = channelLayout(x.shape)
        precondition(gain.map { $0.shape.count == channels } ?? true, "batchNorm: gain does not match \(channels) channels")
        precondition(bias.map { $0.shape.count == channels } ?? true, "batchNorm: bias does not match \(channels) channels")
        precondition(running.map { $0.mean.count == channels && $0.variance.count == channels } ?? true,
                     "batchNorm: running statistics do not match \(channels) channels")
        let statistics = output([2 * channels])
        nonisolated(unsafe) let (mean, reciprocal) = (statistics.unsafeBaseAddress, statistics.unsafeBaseAddress + channels)
        nonisolated(unsafe) let input = pointer(x.index)
        let batch: BatchStatistics<Scalar>
        if let running {
            // Eval mode reports the running statistics it normalises with.
            batch = BatchStatistics(mean: running.mean, variance: running.variance)
            mean.update(from: running.mean.unsafeBaseAddress, count: channels)
            let variance = running.variance.unsafeBaseAddress
            for c in 0..<channels { reciprocal[c] = 1 / (variance[c] + epsilon).squareRoot() }
        } else {
            let (batchMean, batchVariance) = (output([channels]), output([channels]))
            let m = outer * inner
            // Channels are independent: each is reduced in the same order on whichever thread.
            nonisolated(unsafe) let (means, variances) = (batchMean.unsafeBaseAddress, batchVariance.unsafeBaseAddress)
            Parallel.forEachRange(channels, work: 2 * x.shape.count) { range in
                for c in range {
                    // Sums in eight lanes (a fixed order; a scalar chain cannot vectorise).
                    var total = LaneSum<Scalar>()
                    for n in 0..<outer { total.add(input + (n * channels + c) * inner, count: inner) }
                    let mu = total.total / Scalar(max(m, 1))
                    var deviations = LaneSum<Scalar>()
                    let muVector = SIMD8<Scalar>(repeating: mu)
                    for n in 0..<outer {
                        let block = input + (n * channels + c) * inner
                        deviations.add(count: inner, vector: { i in
                            let d = Kernels.load8(block + i) - muVector
                            return d * d
                        }, scalar: { i in (block[i] - mu) * (block[i] - mu) })
                    }
                    let squares = deviations.total
                    mean[c] = mu
                    reciprocal[c] = 1 / (squares / Scalar(max(m, 1)) + epsilon).squareRoot()
                    means[c] = mu
                    variances[c] = squares / Scalar(max(m - 1, 1))
                }
            }
            batch = BatchStatistics(mean: batchMean, variance: batchVariance)
        }
        let result = output(x.shape)
        nonisolated(unsafe) let (out, g, b) = (result.unsafeBaseAddress, gain.map { pointer($0.index) }, bias.map { pointer($0.index) })
        Parallel.forEachRange(channels, work: x.shape.count) { range in
            for c in range {
                // Centred before scaling: x·scale + (b − μ·scale) would cancel when |μ| ≫ σ.
                let (mu, scale, shift) = (mean[c], reciprocal[c] * (g?[c] ?? 1), b?[c] ?? 0)
                for n in 0..<outer {
                    let offset = (n * channels + c) * inner
                    for i in 0..<inner { out[offset + i] = (input[offset + i] - mu) * scale + shift }
                }
            }
        }
        let needs = needsGradient[x.index] || (gain.map { needsGradient[$0.index] } ?? false)
            || (bias.map { needsGradient[$0.index] } ?? false)
        let operation = Operation<Scalar>.batchNorm(input: x.index, gain: gain?.index, bias: bias?.index,
                                                    statistics: save(statistics), training: running == nil)
        return (record(result, operation, needsGradient: needs), batch)
    }

    /// With x̂ = (x − μ)·r per channel: ∂gain = Σ gy ⊙ x̂, ∂bias = Σ gy, and ∂x = r·gain·gy in
    /// eval mode (μ, r are constants) or r·(gh − mean(gh) − x̂·mean(gh ⊙ x̂)) with gh = gain·gy
    /// in train mode, where μ and r depend on the batch.
    func backwardBatchNorm(input x: Int, gain: Int?, bias: Int?, statistics: Int, training: Bool, gradient gy: UnsafePointer<Scalar>) {
        let (outer, channels, inner) = channelLayout(values[x].shape)
        nonisolated(unsafe) let (input, mean, gy) = (pointer(x), auxiliaryPointer(statistics), gy)
        nonisolated(unsafe) let reciprocal = mean + channels
        nonisolated(unsafe) let g = gain.map { pointer($0) }
        nonisolated(unsafe) let gainTarget = gain.flatMap { gradientTarget($0) }
        nonisolated(unsafe) let biasTarget = bias.flatMap { gradientTarget($0) }
        nonisolated(unsafe) let inputTarget = gradientTarget(x)
        let m = Scalar(max(outer * inner, 1))
        // Channels are independent (each writes its own gain, bias and input-gradient entries).
        Parallel.forEachRange(channels, work: 2 * values[x].shape.count) { range in
            for c in range {
                // Sums in eight lanes (a fixed order; a scalar chain cannot vectorise).
                var (lanesG, lanesGX) = (LaneSum<Scalar>(), LaneSum<Scalar>())
                let (mu, r) = (mean[c], reciprocal[c])
                let (muVector, rVector) = (SIMD8<Scalar>(repeating: mu), SIMD8<Scalar>(repeating: r))
                for n in 0..<outer {
                    let offset = (n * channels + c) * inner
                    let (gyBlock, xBlock) = (gy + offset, input + offset)
                    lanesG.add(gyBlock, count: inner)
                    lanesGX.add(count: inner, vector: { i in Kernels.load8(gyBlock + i) * (Kernels.load8(xBlock + i) - muVector) * rVector },
                                scalar: { i in gyBlock[i] * (xBlock[i] - mu) * r })
                }
                let (sumG, sumGX) = (lanesG.total, lanesGX.total)
                if let (dg, accumulate) = gainTarget { dg[c] = (accumulate ? dg[c] : 0) + sumGX }
                if let (db, accumulate) = biasTarget { db[c] = (accumulate ? db[c] : 0) + sumG }
                guard let (dx, accumulate) = inputTarget else { continue }
                let scale = reciprocal[c] * (g?[c] ?? 1)
                // Train mode subtracts the parts of gh along 1 and along x̂ (through μ and r).
                let (meanG, meanGX) = training ? (sumG / m, sumGX / m) : (0, 0)
                for n in 0..<outer {
                    let offset = (n * channels + c) * inner
                    for i in 0..<inner {
                        let xhat = (input[offset + i] - mean[c]) * reciprocal[c]
                        let value = scale * (gy[offset + i] - meanG - xhat * meanGX)
                        if accumulate { dx[offset + i] += value } else { dx[offset + i] = value }
                    }
                }
            }
        }
    }
}

extension Variable {
    /// Batch normalisation in train mode over the channel axis 1 of `[N, C]` or `[N, C, H, W]`
    /// (PyTorch's `BatchNorm1d`/`BatchNorm2d` with `training=True`): each channel is normalised
    /// by the biased mean and variance of its N·H·W values, then y = x̂·gain + bias.
    ///
    /// - Returns: the output, and the batch statistics (mean and *unbiased* variance) to
    ///   update the running estimates with ``RunningStatistics/update(with:momentum:)``.
    ///   They are tape buffers: read them before the tape's next ``Tape/reset()``, or copy them.
    public func batchNorm(gain: Variable?, bias: Variable?, epsilon: Scalar = 1e-5) -> (output: Variable, statistics: BatchStatistics<Scalar>) {
        let (output, statistics) = tape.batchNorm(self, gain: gain, bias: bias, running: nil, epsilon: epsilon)
        return (output, statistics)
    }

    /// Batch normalisation in eval mode: the running statistics make it the fixed affine map
    /// y = (x − running mean)/√(running variance + ε)·gain + bias per channel.
    public func batchNorm(gain: Variable?, bias: Variable?, running: RunningStatistics<Scalar>, epsilon: Scalar = 1e-5) -> Variable {
        tape.batchNorm(self, gain: gain, bias: bias, running: running, epsilon: epsilon).0
    }
}
