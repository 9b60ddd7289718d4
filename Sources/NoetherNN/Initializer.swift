import NoetherTensor

/// How parameters start.
///
/// - `pytorch`: PyTorch's defaults — weights and biases U(±1/√fan_in) (what `nn.Linear` and
///   `nn.Conv2d` do); LayerNorm gains 1 and biases 0.
/// - `normal`: weights and biases N(0, 1/fan_in) (LeCun normal).
/// - `uniform`: U(±√(3/fan_in)), the same variance as `normal`.
///
/// Embeddings (token tables, learned positions, class tokens) are drawn N(0, σ²) with their
/// layer's σ (PyTorch's `nn.Embedding`: 1; positions and class tokens: 0.02); BatchNorm's
/// running statistics start at mean 0 and variance 1.
///
/// `scale` multiplies every weight, bias and embedding (not norm parameters or gates): a small scale starts
/// the model near the symmetric state θ = 0.
///
/// `from` starts from weights in a safetensors file (or a run directory) instead; their names
/// and shapes must be exactly the model's (PyTorch orientation).
public struct InitializerSpec: Hashable, Sendable, Codable {
    public enum Scheme: String, Codable, Sendable { case pytorch, normal, uniform }
    public var scheme: Scheme
    public var scale: Double
    public var from: String?

    public init(scheme: Scheme = .pytorch, scale: Double = 1, from: String? = nil) {
        self.scheme = scheme
        self.scale = scale
        self.from = from
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(scheme: try c.decodeIfPresent(Scheme.self, forKey: .scheme) ?? .pytorch,
                  scale: try c.decodeIfPresent(Double.self, forKey: .scale) ?? 1,
                  from: try c.decodeIfPresent(String.self, forKey: .from))
    }

    /// The standard deviation this initialiser draws a parameter with (0 for constants).
    public func standardDeviation(of descriptor: ParameterDescriptor) -> Double {
        switch descriptor.role {
        case .normGain, .normBias, .gate, .runningMean, .runningVariance: return 0
        case .embedding: return scale * (descriptor.fixedStandardDeviation ?? 1)
        case .weight, .bias:
            let fanIn = Double(max(descriptor.fanIn, 1))
            switch scheme {
            case .pytorch: return scale / (3 * fanIn).squareRoot()
            case .normal, .uniform: return scale / fanIn.squareRoot()
            }
        }
    }

    /// Fresh parameters for `architecture`; each parameter draws from its own stream derived
    /// from `generator` by name, so adding a layer does not change the others' values.
    public func initialize<Scalar: TensorScalar>(_ architecture: Architecture, using generator: RandomGenerator) -> Parameters<Scalar> {
        var parameters = Parameters<Scalar>()
        for descriptor in architecture.layout {
            var stream = generator.derived(descriptor.name)
            let std = standardDeviation(of: descriptor)
            let tensor: Tensor<Scalar>
            switch (descriptor.role, scheme) {
            case (.normGain, _), (.gate, _), (.runningVariance, _): tensor = .ones(descriptor.shape)
            case (.normBias, _), (.runningMean, _): tensor = .zeros(descriptor.shape)
            case (.embedding, _): tensor = .normal(descriptor.shape, standardDeviation: std, using: &stream)
            case (_, .normal): tensor = .normal(descriptor.shape, standardDeviation: std, using: &stream)
            case (_, .pytorch), (_, .uniform):
                let bound = std * Double(3).squareRoot()
                tensor = .uniform(descriptor.shape, low: -bound, high: bound, using: &stream)
            }
            parameters[descriptor.name] = tensor
        }
        return parameters
    }
}
