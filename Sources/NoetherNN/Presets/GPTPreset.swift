/// A GPT-style decoder with LLaMA's names: a token embedding `embed_tokens`, optional learned
/// positions `embed_positions` (or RoPE in the attention), `depth` pre-norm blocks
/// `layers.{i}` (`input_layernorm`, causal grouped-query `self_attn`,
/// `post_attention_layernorm`, a SwiGLU/GeGLU `mlp` or a GELU MLP `mlp.fc1`/`mlp.fc2`), a
/// final `norm` and an `lm_head` (or the embedding, tied). The outputs are the logits at the
/// scored positions: every position for next-token prediction, or the last.
public struct GPTSpec: Hashable, Sendable, Codable {
    public enum Positions: String, Codable, Sendable { case rope, learned }
    public enum Norm: String, Codable, Sendable { case rms, layer }
    public enum MLP: String, Codable, Sendable { case swiglu, geglu, gelu }
    /// The positions whose next token is scored: `all`, `last`, or `[from, to]` (from..<to).
    public enum Scored: Hashable, Sendable, Codable {
        case all, last
        case range(Int, Int)

        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let bounds = try? c.decode([Int].self), bounds.count == 2 {
                self = .range(bounds[0], bounds[1])
                return
            }
            switch try c.decode(String.self) {
            case "all": self = .all
            case "last": self = .last
            case let other:
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "scored must be all, last or [from, to], got '\(other)'")
            }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .all: try c.encode("all")
            case .last: try c.encode("last")
            case .range(let from, let to): try c.encode([from, to])
            }
        }
    }

    public var vocabulary: Int
    public var sequenceLength: Int
    public var width: Int
    public var depth: Int
    public var heads: Int
    public var kvHeads: Int
    public var feedForward: Int
    public var positions: Positions
    public var norm: Norm
    public var mlp: MLP
    public var tieEmbeddings: Bool
    public var scored: Scored
    public var ropeBase: Double

    public init(vocabulary: Int, sequenceLength: Int, width: Int, depth: Int = 2, heads: Int, kvHeads: Int? = nil,
                feedForward: Int? = nil, positions: Positions = .rope, norm: Norm = .rms, mlp: MLP = .swiglu,
                tieEmbeddings: Bool = false, scored: Scored = .all, ropeBase: Double = 10_000) {
        (self.vocabulary, self.sequenceLength, self.width, self.depth) = (vocabulary, sequenceLength, width, depth)
        (self.heads, self.kvHeads, self.positions, self.norm, self.mlp) = (heads, kvHeads ?? heads, positions, norm, mlp)
        // LLaMA's hidden size: 8/3 of the width for the two gated projections, 4× for a plain MLP.
        // Saturating: a width from a config can be any integer, and validation refuses a huge one.
        self.feedForward = feedForward ?? (width > Int.max / 8 ? Int.max : mlp == .gelu ? 4 * width : (8 * width + 2) / 3)
        (self.tieEmbeddings, self.scored, self.ropeBase) = (tieEmbeddings, scored, ropeBase)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(vocabulary: try c.decode(Int.self, forKey: .vocabulary), sequenceLength: try c.decode(Int.self, forKey: .sequenceLength),
                  width: try c.decode(Int.self, forKey: .width), depth: try c.decodeIfPresent(Int.self, forKey: .depth) ?? 2,
                  heads: try c.decode(Int.self, forKey: .heads), kvHeads: try c.decodeIfPresent(Int.self, forKey: .kvHeads),
                  feedForward: try c.decodeIfPresent(Int.self, forKey: .feedForward),
                  positions: try c.decodeIfPresent(Positions.self, forKey: .positions) ?? .rope,
                  norm: try c.decodeIfPresent(Norm.self, forKey: .norm) ?? .rms, mlp: try c.decodeIfPresent(MLP.self, forKey: .mlp) ?? .swiglu,
                  tieEmbeddings: try c.decodeIfPresent(Bool.self, forKey: .tieEmbeddings) ?? false,
                  scored: try c.decodeIfPresent(Scored.self, forKey: .scored) ?? .all,
                  ropeBase: try c.decodeIfPresent(Double.self, forKey: .ropeBase) ?? 10_000)
    }

    public var graph: GraphSpec {
        get throws(ModelSpecError) {
            guard [vocabulary, sequenceLength, width, depth, heads, kvHeads, feedForward].allSatisfy({ $0 > 0 }) else {
                throw ModelSpecError("gpt sizes must be positive")
            }
            func normalisation() -> any LayerSpec { norm == .rms ? RMSNormLayer() : LayerNormLayer() }
            var layers = [GraphLayer(EmbeddingLayer(vocabulary: vocabulary, width: width), name: "embed_tokens")]
            if positions == .learned { layers.append(GraphLayer(LearnedPositionsLayer(), name: "embed_positions")) }
            layers[layers.count - 1].capture = "embed"
            let attention = AttentionLayer(heads: heads, kvHeads: kvHeads, causal: true, bias: false, rope: positions == .rope, ropeBase: ropeBase)
            for i in 0..<depth {
                let p = "layers.\(i)"
                let feedForwardLayers: [GraphLayer] = switch mlp {
                case .swiglu, .geglu:
                    [GraphLayer(GatedMLPLayer(hidden: feedForward, activation: mlp == .swiglu ? .swiglu : .geglu), name: "\(p).mlp")]
                case .gelu:
                    [GraphLayer(DenseLayer(units: feedForward), name: "\(p).mlp.fc1"), GraphLayer(ActivationLayer(.gelu), name: "\(p).mlp.activation"),
                     GraphLayer(DenseLayer(units: width), name: "\(p).mlp.fc2")]
                }
                layers += [
                    GraphLayer(ResidualLayer(branch: [GraphLayer(normalisation(), name: "\(p).input_layernorm"),
                                                      GraphLayer(attention, name: "\(p).self_attn")]), name: "\(p).attention"),
                    GraphLayer(ResidualLayer(branch: [GraphLayer(normalisation(), name: "\(p).post_attention_layernorm")] + feedForwardLayers),
                               name: "\(p).feed_forward", capture: p),
                ]
            }
            layers.append(GraphLayer(normalisation(), name: "norm"))
            layers.append(tieEmbeddings ? GraphLayer(TiedOutputLayer(embedding: "embed_tokens"), name: "lm_head")
                                        : GraphLayer(DenseLayer(units: vocabulary, bias: false), name: "lm_head"))
            let scoredLayer = switch scored {
            case .all: ScoredPositionsLayer()
            case .last: ScoredPositionsLayer(from: sequenceLength - 1, count: 1)
            case .range(let from, let to): ScoredPositionsLayer(from: from, count: to - from)
            }
            layers.append(GraphLayer(scoredLayer, name: "scored", capture: "logits"))
            return GraphSpec(input: [sequenceLength], layers: layers)
        }
    }
}
