import NoetherTensor

/// The activation functions a model spec may name.
public enum Activation: String, Codable, Sendable, CaseIterable {
    case relu
    case leakyRelu = "leaky_relu"
    case tanh, gelu, identity, sin
    /// x·σ(x), PyTorch's `nn.SiLU` (LLaMA's gate activation).
    case silu

    /// The element-wise function, with `slope` for leaky ReLU.
    public func function(leakySlope slope: Double) -> UnaryFunction {
        switch self {
        case .relu: .relu
        case .leakyRelu: .leakyRelu(slope: slope)
        case .tanh: .tanh
        case .gelu: .gelu
        case .identity: .identity
        case .sin: .sin
        case .silu: .silu
        }
    }

    /// Positively homogeneous: σ(c·x) = c·σ(x) for c > 0 (the rescaling symmetry).
    public var isPositivelyHomogeneous: Bool { self == .relu || self == .leakyRelu || self == .identity }
    /// Odd: σ(−x) = −σ(x) (the sign-flip symmetry).
    public var isOdd: Bool { self == .tanh || self == .identity || self == .sin }
}
