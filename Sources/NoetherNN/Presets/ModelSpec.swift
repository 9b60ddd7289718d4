/// An architecture description: what a config file names and what a weights file is inferred
/// to be. Together with ``Parameters`` it is a model.
///
/// Coded as an object with a `kind` and the fields of that kind. Every kind is a graph of
/// layers (``GraphSpec``); `mlp`, `cnn`, `transformer`, `deep_linear`, `resnet`, `vit` and
/// `gpt` are presets that expand into one, and `graph` gives the layers directly.
public indirect enum ModelSpec: Hashable, Sendable {
    case mlp(MLPSpec)
    case cnn(CNNSpec)
    case transformer(TransformerSpec)
    case deepLinear(DeepLinearSpec)
    case resnet(ResNetSpec)
    case vit(ViTSpec)
    case gpt(GPTSpec)
    case graph(GraphSpec)

    /// The graph the spec expands into.
    public var graph: GraphSpec {
        get throws(ModelSpecError) {
            switch self {
            case .mlp(let s): s.graph
            case .deepLinear(let s): s.graph
            case .cnn(let s): try s.graph
            case .transformer(let s): try s.graph
            case .resnet(let s): try s.graph
            case .vit(let s): try s.graph
            case .gpt(let s): try s.graph
            case .graph(let s): s
            }
        }
    }

    /// The number of input features per sample (inputs arrive flattened; token ids one per position).
    public var inputCount: Int {
        switch self {
        case .mlp(let s): s.input
        case .deepLinear(let s): s.input
        case .cnn(let s): s.inputShape.reduce(1, *)
        case .transformer(let s): s.sequenceLength * s.tokenDimension
        case .resnet(let s): s.inputShape.reduce(1, *)
        case .vit(let s): s.inputShape.reduce(1, *)
        case .gpt(let s): s.sequenceLength
        case .graph(let s): s.input.reduce(1, *)
        }
    }

    /// The number of outputs per row (classes, or regression targets).
    public var outputCount: Int {
        switch self {
        case .mlp(let s): s.output
        case .deepLinear(let s): s.output
        case .cnn(let s): s.output
        case .transformer(let s): s.output
        case .resnet(let s): s.output
        case .vit(let s): s.output
        case .gpt(let s): s.vocabulary
        case .graph: (try? Architecture(self))?.outputCount ?? 0
        }
    }

    /// For transformers, the width of one attention head.
    public var headWidth: Int? {
        switch self {
        case .transformer(let t) where t.heads > 0: t.width / t.heads
        case .vit(let t) where t.heads > 0: t.width / t.heads
        case .gpt(let t) where t.heads > 0: t.width / t.heads
        default: nil
        }
    }

    /// The config name of the kind.
    public var kindName: String {
        switch self {
        case .mlp: "mlp"
        case .cnn: "cnn"
        case .transformer: "transformer"
        case .deepLinear: "deep_linear"
        case .resnet: "resnet"
        case .vit: "vit"
        case .gpt: "gpt"
        case .graph: "graph"
        }
    }

    static let kindNames = ["mlp", "cnn", "transformer", "deep_linear", "resnet", "vit", "gpt", "graph"]

    /// Checks that the description can be built.
    public func validate() throws(ModelSpecError) {
        _ = try Architecture(self)
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
        case "resnet": self = .resnet(try ResNetSpec(from: decoder))
        case "vit": self = .vit(try ViTSpec(from: decoder))
        case "gpt": self = .gpt(try GPTSpec(from: decoder))
        case "graph": self = .graph(try GraphSpec(from: decoder))
        default:
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath + [KindKey.kind],
                debugDescription: "unknown model kind '\(kind)'; use one of \(Self.kindNames.joined(separator: ", "))"))
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
        case .resnet(let s): try s.encode(to: encoder)
        case .vit(let s): try s.encode(to: encoder)
        case .gpt(let s): try s.encode(to: encoder)
        case .graph(let s): try s.encode(to: encoder)
        }
    }
}
