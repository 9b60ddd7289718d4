import NoetherAutograd
import NoetherTensor

/// Layer normalisation over the last axis (PyTorch's `nn.LayerNorm`: `weight`, `bias`).
/// Permutation-equivariant; it makes the whole layer before it scale-free.
public struct LayerNormLayer: LayerSpec {
    public static let kind = "layer_norm"
    public var epsilon: Double
    public var affine: Bool

    public init(epsilon: Double = 1e-5, affine: Bool = true) { (self.epsilon, self.affine) = (epsilon, affine) }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(epsilon: try c.decodeIfPresent(Double.self, forKey: .epsilon) ?? 1e-5, affine: try c.decodeIfPresent(Bool.self, forKey: .affine) ?? true)
    }

    public func build(into graph: inout GraphBuilder) throws(ModelSpecError) {
        guard graph.shape.count <= 2 else { throw ModelSpecError("layer_norm '\(graph.name)' normalises features or tokens, got \(graph.shape) per sample") }
        let width = graph.units
        let gain = affine ? graph.parameter("weight", shape: [width], role: .normGain, fanIn: width) : nil
        let bias = affine ? graph.parameter("bias", shape: [width], role: .normBias, fanIn: width) : nil
        graph.append(LayerNormStep(gain: gain, bias: bias, epsilon: epsilon))
        graph.normalise(.layer, gain: affine ? "weight" : nil, bias: affine ? "bias" : nil)
    }
}

struct LayerNormStep: CompiledLayer {
    let gain: Int?, bias: Int?, epsilon: Double
    func forward<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ pass: inout ForwardPass<Scalar>) -> Variable<Scalar> {
        x.layerNorm(gamma: gain.map { pass[$0] }, beta: bias.map { pass[$0] }, epsilon: Scalar(epsilon))
    }
}

/// RMS normalisation over the last axis (LLaMA's `RMSNorm`: `weight`). It commutes with sign
/// flips of the units (its gain follows them), and with every rotation when it has no gain —
/// the residual stream's rotation once the gains are folded into the next weights.
public struct RMSNormLayer: LayerSpec {
    public static let kind = "rms_norm"
    public var epsilon: Double
    public var gain: Bool

    public init(epsilon: Double = 1e-6, gain: Bool = true) { (self.epsilon, self.gain) = (epsilon, gain) }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(epsilon: try c.decodeIfPresent(Double.self, forKey: .epsilon) ?? 1e-6, gain: try c.decodeIfPresent(Bool.self, forKey: .gain) ?? true)
    }

    public func build(into graph: inout GraphBuilder) throws(ModelSpecError) {
        guard graph.shape.count <= 2 else { throw ModelSpecError("rms_norm '\(graph.name)' normalises features or tokens, got \(graph.shape) per sample") }
        let width = graph.units
        let position = gain ? graph.parameter("weight", shape: [width], role: .normGain, fanIn: width) : nil
        graph.append(RMSNormStep(gain: position, epsilon: epsilon))
        graph.normalise(.rms, gain: gain ? "weight" : nil, bias: nil)
    }
}

struct RMSNormStep: CompiledLayer {
    let gain: Int?, epsilon: Double
    func forward<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ pass: inout ForwardPass<Scalar>) -> Variable<Scalar> {
        x.rmsNorm(gain: gain.map { pass[$0] }, epsilon: Scalar(epsilon))
    }
}

/// Batch normalisation over the channels of `[C]` or `[C, H, W]` (PyTorch's `BatchNorm1d/2d`:
/// `weight`, `bias`, and the running statistics `running_mean`, `running_var`, saved with the
/// parameters). In training it normalises with the batch's statistics and moves the running
/// ones; in evaluation it uses the running ones. The weights and bias before it scale per
/// channel and the bias translates, in train mode.
public struct BatchNormLayer: LayerSpec {
    public static let kind = "batch_norm"
    public var epsilon: Double
    public var momentum: Double

    public init(epsilon: Double = 1e-5, momentum: Double = 0.1) { (self.epsilon, self.momentum) = (epsilon, momentum) }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(epsilon: try c.decodeIfPresent(Double.self, forKey: .epsilon) ?? 1e-5, momentum: try c.decodeIfPresent(Double.self, forKey: .momentum) ?? 0.1)
    }

    public func build(into graph: inout GraphBuilder) throws(ModelSpecError) {
        guard graph.shape.count == 1 || graph.shape.count == 3 else {
            throw ModelSpecError("batch_norm '\(graph.name)' needs [channels] or [channels, height, width] per sample, got \(graph.shape)")
        }
        guard momentum >= 0, momentum <= 1 else { throw ModelSpecError("batch_norm '\(graph.name)': momentum must be in [0, 1], got \(momentum)") }
        let channels = graph.shape[0]
        let gain = graph.parameter("weight", shape: [channels], role: .normGain, fanIn: channels)
        let bias = graph.parameter("bias", shape: [channels], role: .normBias, fanIn: channels)
        let mean = graph.parameter("running_mean", shape: [channels], role: .runningMean, fanIn: channels)
        let variance = graph.parameter("running_var", shape: [channels], role: .runningVariance, fanIn: channels)
        graph.append(BatchNormStep(gain: gain, bias: bias, mean: mean, variance: variance, epsilon: epsilon, momentum: momentum))
        graph.normalise(.batch, gain: "weight", bias: "bias", statistics: ["running_mean", "running_var"])
    }
}

public struct BatchNormStep: CompiledLayer {
    let gain: Int, bias: Int, mean: Int, variance: Int, epsilon: Double
    /// PyTorch's `momentum`: running = (1 − m)·running + m·batch.
    public let momentum: Double

    public func forward<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ pass: inout ForwardPass<Scalar>) -> Variable<Scalar> {
        switch pass.mode {
        case .evaluation:
            let running = RunningStatistics(mean: pass[mean].value, variance: pass[variance].value)
            return x.batchNorm(gain: pass[gain], bias: pass[bias], running: running, epsilon: Scalar(epsilon))
        case .training, .batchStatistics:
            let (output, statistics) = x.batchNorm(gain: pass[gain], bias: pass[bias], epsilon: Scalar(epsilon))
            if pass.mode == .training { pass.report(mean: mean, variance: variance, momentum: momentum, statistics) }
            return output
        }
    }
}
