/// An architecture description: what a config file names and what a weights file is inferred
/// to be. Together with ``Parameters`` it is a model.
///
/// Coded as an object with a `kind` (`mlp`, `cnn`, `transformer`, `deep_linear`) and the
/// fields of that kind.
public enum ModelSpec: Hashable, Sendable {
    case mlp(MLPSpec)
    case cnn(CNNSpec)
    case transformer(TransformerSpec)
    case deepLinear(DeepLinearSpec)

    /// The number of input features per sample (inputs arrive flattened).
    public var inputCount: Int {
        switch self {
        case .mlp(let s): s.input
        case .deepLinear(let s): s.input
        case .cnn(let s): s.inputShape.reduce(1, *)
        case .transformer(let s): s.sequenceLength * s.tokenDimension
        }
    }

    /// The number of outputs per sample (classes, or regression targets).
    public var outputCount: Int {
        switch self {
        case .mlp(let s): s.output
        case .deepLinear(let s): s.output
        case .cnn(let s): s.output
        case .transformer(let s): s.output
        }
    }

    /// For transformers, the width of one attention head.
    public var headWidth: Int? {
        if case .transformer(let t) = self, t.heads > 0 { return t.width / t.heads }
        return nil
    }

    /// The config name of the kind.
    public var kindName: String {
        switch self {
        case .mlp: "mlp"
        case .cnn: "cnn"
        case .transformer: "transformer"
        case .deepLinear: "deep_linear"
        }
    }

    /// Checks that the description can be built.
    public func validate() throws(ModelSpecError) {
        _ = try Architecture(self)
    }
}

/// DCS gates (adding a symmetry on purpose): each layer computes v ⊙ (W x) + b with a learnable
/// gate v — one scalar per layer or one per output neuron — initialised to 1. Under weight
/// decay, gates of layers or neurons the task does not need go to 0.
public enum Gates: String, Codable, Sendable {
    case none, layer, neuron
}

/// A fully connected network: `input → hidden… → output`, the activation after every hidden
/// layer. With `residual`, a hidden layer whose input and output widths agree computes
/// h + σ(W h + b) instead of σ(W h + b).
public struct MLPSpec: Hashable, Sendable, Codable {
    public var input: Int
    public var hidden: [Int]
    public var output: Int
    public var activation: Activation
    public var bias: Bool
    public var residual: Bool
    public var leakySlope: Double
    public var gates: Gates

    public init(input: Int, hidden: [Int], output: Int, activation: Activation = .relu, bias: Bool = true,
                residual: Bool = false, leakySlope: Double = 0.01, gates: Gates = .none) {
        (self.input, self.hidden, self.output, self.activation) = (input, hidden, output, activation)
        (self.bias, self.residual, self.leakySlope, self.gates) = (bias, residual, leakySlope, gates)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            input: try c.decode(Int.self, forKey: .input),
            hidden: try c.decodeIfPresent([Int].self, forKey: .hidden) ?? [],
            output: try c.decode(Int.self, forKey: .output),
            activation: try c.decodeIfPresent(Activation.self, forKey: .activation) ?? .relu,
            bias: try c.decodeIfPresent(Bool.self, forKey: .bias) ?? true,
            residual: try c.decodeIfPresent(Bool.self, forKey: .residual) ?? false,
            leakySlope: try c.decodeIfPresent(Double.self, forKey: .leakySlope) ?? 0.01,
            gates: try c.decodeIfPresent(Gates.self, forKey: .gates) ?? .none)
    }
}

/// A deep linear network: `input → hidden… → output` with no activation and no bias; its
/// loss has the rotation symmetry of every consecutive pair of layers.
public struct DeepLinearSpec: Hashable, Sendable, Codable {
    public var input: Int
    public var hidden: [Int]
    public var output: Int

    public init(input: Int, hidden: [Int], output: Int) {
        (self.input, self.hidden, self.output) = (input, hidden, output)
    }
}

/// How a convolution block downsamples after its activation.
public enum Pooling: String, Codable, Sendable {
    case none, max, avg
}

/// One convolution block: conv → activation → optional pooling.
public struct ConvolutionLayerSpec: Hashable, Sendable, Codable {
    public var channels: Int
    public var kernel: Int
    public var stride: Int
    public var padding: Int
    public var pool: Pooling
    public var poolWindow: Int

    public init(channels: Int, kernel: Int = 3, stride: Int = 1, padding: Int? = nil, pool: Pooling = .max, poolWindow: Int = 2) {
        (self.channels, self.kernel, self.stride) = (channels, kernel, stride)
        self.padding = padding ?? kernel / 2
        (self.pool, self.poolWindow) = (pool, poolWindow)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kernel = try c.decodeIfPresent(Int.self, forKey: .kernel) ?? 3
        self.init(
            channels: try c.decode(Int.self, forKey: .channels), kernel: kernel,
            stride: try c.decodeIfPresent(Int.self, forKey: .stride) ?? 1,
            padding: try c.decodeIfPresent(Int.self, forKey: .padding),
            pool: try c.decodeIfPresent(Pooling.self, forKey: .pool) ?? .max,
            poolWindow: try c.decodeIfPresent(Int.self, forKey: .poolWindow) ?? 2)
    }
}

/// A small convolutional network: convolution blocks, then fully connected layers on the
/// flattened features.
public struct CNNSpec: Hashable, Sendable, Codable {
    /// `[channels, height, width]` of one input.
    public var inputShape: [Int]
    public var convolutions: [ConvolutionLayerSpec]
    public var hidden: [Int]
    public var output: Int
    public var activation: Activation
    public var bias: Bool
    public var leakySlope: Double

    public init(inputShape: [Int], convolutions: [ConvolutionLayerSpec], hidden: [Int] = [], output: Int,
                activation: Activation = .relu, bias: Bool = true, leakySlope: Double = 0.01) {
        (self.inputShape, self.convolutions, self.hidden, self.output) = (inputShape, convolutions, hidden, output)
        (self.activation, self.bias, self.leakySlope) = (activation, bias, leakySlope)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            inputShape: try c.decode([Int].self, forKey: .inputShape),
            convolutions: try c.decode([ConvolutionLayerSpec].self, forKey: .convolutions),
            hidden: try c.decodeIfPresent([Int].self, forKey: .hidden) ?? [],
            output: try c.decode(Int.self, forKey: .output),
            activation: try c.decodeIfPresent(Activation.self, forKey: .activation) ?? .relu,
            bias: try c.decodeIfPresent(Bool.self, forKey: .bias) ?? true,
            leakySlope: try c.decodeIfPresent(Double.self, forKey: .leakySlope) ?? 0.01)
    }
}

/// A transformer encoder on token sequences: a token embedding (linear), `depth` post-norm
/// encoder blocks (multi-head self-attention with separate query/key/value/output projections,
/// residual, LayerNorm, feed-forward, residual, LayerNorm — PyTorch's `TransformerEncoderLayer`
/// with `norm_first=False`), mean pooling over tokens, and a linear head.
public struct TransformerSpec: Hashable, Sendable, Codable {
    public var sequenceLength: Int
    public var tokenDimension: Int
    public var width: Int
    public var heads: Int
    public var depth: Int
    public var feedForward: Int
    public var output: Int
    public var activation: Activation
    public var layerNormEpsilon: Double

    public init(sequenceLength: Int, tokenDimension: Int, width: Int, heads: Int, depth: Int = 1,
                feedForward: Int? = nil, output: Int, activation: Activation = .gelu, layerNormEpsilon: Double = 1e-5) {
        (self.sequenceLength, self.tokenDimension, self.width, self.heads) = (sequenceLength, tokenDimension, width, heads)
        // Saturating: a width from a config can be any integer, and validation refuses a huge one.
        (self.depth, self.feedForward, self.output) = (depth, feedForward ?? (width <= Int.max / 4 ? 4 * width : Int.max), output)
        (self.activation, self.layerNormEpsilon) = (activation, layerNormEpsilon)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            sequenceLength: try c.decode(Int.self, forKey: .sequenceLength),
            tokenDimension: try c.decode(Int.self, forKey: .tokenDimension),
            width: try c.decode(Int.self, forKey: .width),
            heads: try c.decode(Int.self, forKey: .heads),
            depth: try c.decodeIfPresent(Int.self, forKey: .depth) ?? 1,
            feedForward: try c.decodeIfPresent(Int.self, forKey: .feedForward),
            output: try c.decode(Int.self, forKey: .output),
            activation: try c.decodeIfPresent(Activation.self, forKey: .activation) ?? .gelu,
            layerNormEpsilon: try c.decodeIfPresent(Double.self, forKey: .layerNormEpsilon) ?? 1e-5)
    }
}

extension ModelSpec: Codable {
    private enum KindKey: String, CodingKey { case kind }

    public init(from decoder: Decoder) throws {
        let kind = try decoder.container(keyedBy: KindKey.self).decode(String.self, forKey: .kind)
        switch kind {
        case "mlp": self = .mlp(try MLPSpec(from: decoder))
        case "cnn": self = .cnn(try CNNSpec(from: decoder))
        case "transformer": self = .transformer(try TransformerSpec(from: decoder))
        case "deep_linear", "deepLinear": self = .deepLinear(try DeepLinearSpec(from: decoder))
        default:
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath + [KindKey.kind],
                debugDescription: "unknown model kind '\(kind)'; use one of mlp, cnn, transformer, deep_linear"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: KindKey.self)
        try container.encode(kindName, forKey: .kind)
        switch self {
        case .mlp(let s): try s.encode(to: encoder)
        case .cnn(let s): try s.encode(to: encoder)
        case .transformer(let s): try s.encode(to: encoder)
        case .deepLinear(let s): try s.encode(to: encoder)
        }
    }
}
