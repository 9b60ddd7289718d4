import NoetherTensor

/// An optimiser's settings, with PyTorch's semantics.
///
/// Weight decay γ adds γθ to the gradient (`weight_decay` of `torch.optim.SGD`/`Adam`), i.e. the
/// penalty (γ/2)‖θ‖²; for AdamW it is decoupled: θ ← θ − lr·γ·θ. `gradientNoise` σ adds
/// N(0, σ²) to every gradient entry before the update.
public struct OptimizerSpec: Hashable, Sendable, Codable {
    public enum Kind: String, Codable, Sendable { case sgd, adam, adamw }
    public var kind: Kind
    public var learningRate: Double
    public var momentum: Double
    public var nesterov: Bool
    public var weightDecay: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var gradientNoise: Double

    public init(kind: Kind = .sgd, learningRate: Double = 0.01, momentum: Double = 0, nesterov: Bool = false,
                weightDecay: Double = 0, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                gradientNoise: Double = 0) {
        (self.kind, self.learningRate, self.momentum, self.nesterov) = (kind, learningRate, momentum, nesterov)
        (self.weightDecay, self.beta1, self.beta2, self.epsilon, self.gradientNoise) = (weightDecay, beta1, beta2, epsilon, gradientNoise)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decodeIfPresent(Kind.self, forKey: .kind) ?? .sgd
        self.init(
            kind: kind,
            learningRate: try c.decodeIfPresent(Double.self, forKey: .learningRate) ?? (kind == .sgd ? 0.01 : 0.001),
            momentum: try c.decodeIfPresent(Double.self, forKey: .momentum) ?? 0,
            nesterov: try c.decodeIfPresent(Bool.self, forKey: .nesterov) ?? false,
            weightDecay: try c.decodeIfPresent(Double.self, forKey: .weightDecay) ?? 0,
            beta1: try c.decodeIfPresent(Double.self, forKey: .beta1) ?? 0.9,
            beta2: try c.decodeIfPresent(Double.self, forKey: .beta2) ?? 0.999,
            epsilon: try c.decodeIfPresent(Double.self, forKey: .epsilon) ?? 1e-8,
            gradientNoise: try c.decodeIfPresent(Double.self, forKey: .gradientNoise) ?? 0)
    }

    /// Checks the settings, naming the first that is out of range.
    public func validate() throws(ModelSpecError) {
        // 0 freezes the weights: an untrained control.
        guard learningRate >= 0, learningRate.isFinite else { throw ModelSpecError("optimizer.learning_rate must be positive (or 0 to freeze the weights), got \(learningRate)") }
        guard momentum >= 0, momentum < 1 else { throw ModelSpecError("optimizer.momentum must be in [0, 1), got \(momentum)") }
        guard !nesterov || momentum > 0 else { throw ModelSpecError("optimizer.nesterov needs momentum > 0") }
        guard weightDecay >= 0 else { throw ModelSpecError("optimizer.weight_decay must be ≥ 0, got \(weightDecay)") }
        guard (0..<1).contains(beta1), (0..<1).contains(beta2) else { throw ModelSpecError("optimizer.beta1 and beta2 must be in [0, 1)") }
        guard epsilon > 0 else { throw ModelSpecError("optimizer.epsilon must be positive") }
        guard gradientNoise >= 0 else { throw ModelSpecError("optimizer.gradient_noise must be ≥ 0, got \(gradientNoise)") }
    }
}

/// An optimiser with its state: the step count, per-parameter moment buffers and the stream
/// of injected gradient noise.
public struct Optimizer<Scalar: TensorScalar>: Sendable {
    public let spec: OptimizerSpec
    /// Updates applied so far.
    public private(set) var step = 0
    /// Momentum buffers (SGD) or first moments (Adam), one per parameter; empty until used.
    public private(set) var firstMoments: [Tensor<Scalar>] = []
    /// Second moments (Adam), one per parameter.
    public private(set) var secondMoments: [Tensor<Scalar>] = []
    /// The stream injected gradient noise is drawn from.
    public private(set) var noise: RandomGenerator
    /// Per-coordinate multipliers of the weight decay (syre-AR's 1 + ξ_i), one per parameter
    /// or nil for plain decay.
    public var decayFactors: [Tensor<Scalar>?] = []
    private var noiseBuffer: [Scalar] = []

    public init(_ spec: OptimizerSpec, noiseSeed: RandomGenerator) {
        self.spec = spec
        noise = noiseSeed
    }

    /// Restores saved state (from a checkpoint).
    public init(_ spec: OptimizerSpec, step: Int, firstMoments: [Tensor<Scalar>], secondMoments: [Tensor<Scalar>], noise: RandomGenerator) {
        self.spec = spec
        self.step = step
        self.firstMoments = firstMoments
        self.secondMoments = secondMoments
        self.noise = noise
    }

    private var usesFirstMoments: Bool { spec.kind != .sgd || spec.momentum > 0 }
    private var usesSecondMoments: Bool { spec.kind != .sgd }

    /// Applies one update to every parameter in place.
    ///
    /// - Parameters:
    ///   - parameters: updated in place (a copy is made only if their storage is shared).
    ///   - gradient: the gradient of the parameter at a layout position, or nil for none.
    ///   - learningRate: this step's learning rate (from the schedule).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func update(
        _ parameters: inout Parameters<Scalar>, learningRate: Double,
        gradient: (Int) -> UnsafePointer<Scalar>?
    ) {
        if usesFirstMoments && firstMoments.count != parameters.count {
            firstMoments = parameters.tensors.values.map { Tensor.zeros($0.shape) }
        }
        if usesSecondMoments && secondMoments.count != parameters.count {
            secondMoments = parameters.tensors.values.map { Tensor.zeros($0.shape) }
        }
        step += 1
        for position in 0..<parameters.count {
            guard let g = gradient(position) else { continue }
            let count = parameters[position: position].count
            var noisePointer: UnsafePointer<Scalar>? = nil
            if spec.gradientNoise > 0 {
                if noiseBuffer.count < count { noiseBuffer = [Scalar](repeating: 0, count: count) }
                noiseBuffer.withUnsafeMutableBufferPointer { buffer in
                    noise.fillNormal(UnsafeMutableBufferPointer(rebasing: buffer[0..<count]), mean: 0, standardDeviation: spec.gradientNoise)
                }
            }
            parameters.tensors.values[position].withUnsafeMutableBufferPointer { p in
                noiseBuffer.withUnsafeBufferPointer { noiseValues in
                    noisePointer = spec.gradientNoise > 0 ? noiseValues.baseAddress : nil
                    let noise = noisePointer
                    let (spec, step) = (spec, step)
                    let factors = position < decayFactors.count ? decayFactors[position]?.unsafeBaseAddress : nil
                    switch spec.kind {
                    case .sgd:
                        if usesFirstMoments {
                            firstMoments[position].withUnsafeMutableBufferPointer { m in
                                Self.inChunks(count) { lo, n in
                                    Self.sgd(spec, p.baseAddress! + lo, g + lo, noise.map { $0 + lo }, factors.map { $0 + lo }, m.baseAddress! + lo,
                                             count: n, learningRate: learningRate)
                                }
                            }
                        } else {
                            Self.inChunks(count) { lo, n in
                                Self.sgd(spec, p.baseAddress! + lo, g + lo, noise.map { $0 + lo }, factors.map { $0 + lo }, nil,
                                         count: n, learningRate: learningRate)
                            }
                        }
                    case .adam, .adamw:
                        firstMoments[position].withUnsafeMutableBufferPointer { m in
                            secondMoments[position].withUnsafeMutableBufferPointer { v in
                                Self.inChunks(count) { lo, n in
                                    Self.adam(spec, step: step, p.baseAddress! + lo, g + lo, noise.map { $0 + lo }, factors.map { $0 + lo },
                                              m.baseAddress! + lo, v.baseAddress! + lo, count: n, learningRate: learningRate)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Runs `body(start, count)` over `0..<count`, split across the cores for large tensors:
    /// the update is memory-bound, and each element is independent, so the result is the same.
    private static func inChunks(_ count: Int, _ body: (Int, Int) -> Void) {
        Parallel.forEachRange(count, work: count, minimumWork: 1 << 17) { range in body(range.lowerBound, range.count) }
    }

    /// Calls `body` with the noise of element i and its decay factor as functions, so that each
    /// update loop is compiled once per combination and the plain one vectorises.
    @inline(__always)
    private static func withExtras(_ noise: UnsafePointer<Scalar>?, _ factors: UnsafePointer<Scalar>?,
                                   _ body: ((Int) -> Scalar, (Int) -> Scalar) -> Void) {
        switch (noise, factors) {
        case (nil, nil): body({ _ in 0 }, { _ in 1 })
        case (let n?, nil): body({ n[$0] }, { _ in 1 })
        case (nil, let f?): body({ _ in 0 }, { f[$0] })
        case (let n?, let f?): body({ n[$0] }, { f[$0] })
        }
    }

    /// SGD with optional momentum (PyTorch: buf ← μ·buf + g; Nesterov uses g + μ·buf).
    private static func sgd(_ spec: OptimizerSpec, _ p: UnsafeMutablePointer<Scalar>, _ g: UnsafePointer<Scalar>, _ noise: UnsafePointer<Scalar>?,
                            _ factors: UnsafePointer<Scalar>?, _ buffer: UnsafeMutablePointer<Scalar>?, count: Int, learningRate: Double) {
        let (lr, decay, mu) = (Scalar(learningRate), Scalar(spec.weightDecay), Scalar(spec.momentum))
        withExtras(noise, factors) { noiseAt, factorAt in
            switch (buffer, spec.nesterov) {
            case (nil, _):
                for i in 0..<count { p[i] -= lr * (g[i] + noiseAt(i) + decay * factorAt(i) * p[i]) }
            case (let m?, false):
                for i in 0..<count {
                    let d = g[i] + noiseAt(i) + decay * factorAt(i) * p[i]
                    m[i] = mu * m[i] + d
                    p[i] -= lr * m[i]
                }
            case (let m?, true):
                for i in 0..<count {
                    let d = g[i] + noiseAt(i) + decay * factorAt(i) * p[i]
                    m[i] = mu * m[i] + d
                    p[i] -= lr * (d + mu * m[i])
                }
            }
        }
    }

    /// Adam (L2 decay in the gradient) or AdamW (decoupled decay), with bias correction.
    private static func adam(_ spec: OptimizerSpec, step: Int, _ p: UnsafeMutablePointer<Scalar>, _ g: UnsafePointer<Scalar>, _ noise: UnsafePointer<Scalar>?,
                             _ factors: UnsafePointer<Scalar>?, _ m: UnsafeMutablePointer<Scalar>, _ v: UnsafeMutablePointer<Scalar>, count: Int, learningRate: Double) {
        let t = Double(step)
        let (b1, b2) = (Scalar(spec.beta1), Scalar(spec.beta2))
        let correction1 = Scalar(1 - Double.pow(spec.beta1, t))
        let correction2Root = Scalar((1 - Double.pow(spec.beta2, t)).squareRoot())
        let lr = Scalar(learningRate)
        let epsilon = Scalar(spec.epsilon)
        let decoupled = spec.kind == .adamw
        let l2 = decoupled ? 0 : Scalar(spec.weightDecay)
        let decoupledDecay = decoupled ? lr * Scalar(spec.weightDecay) : 0
        let stepSize = lr / correction1
        withExtras(noise, factors) { noiseAt, factorAt in
            for i in 0..<count {
                let d = g[i] + noiseAt(i) + l2 * factorAt(i) * p[i]
                m[i] = b1 * m[i] + (1 - b1) * d
                v[i] = b2 * v[i] + (1 - b2) * d * d
                p[i] = p[i] * (1 - decoupledDecay * factorAt(i)) - stepSize * m[i] / (v[i].squareRoot() / correction2Root + epsilon)
            }
        }
    }
}
import Dispatch
import RealModule
