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

extension TransformerSpec {
    /// `embed` (a dense map of each token), `depth` post-norm blocks `blocks.{i}` (attention
    /// `attn`, `norm1`, feed-forward `mlp.fc1`/`mlp.fc2`, `norm2`), mean pooling and `head`.
    public var graph: GraphSpec {
        get throws(ModelSpecError) {
            guard [sequenceLength, tokenDimension, width, heads, depth, feedForward, output].allSatisfy({ $0 > 0 }) else {
                throw ModelSpecError("transformer sizes must be positive")
            }
            guard width % heads == 0 else { throw ModelSpecError("transformer width \(width) is not divisible by heads \(heads)") }
            var layers = [GraphLayer(DenseLayer(units: width), name: "embed", capture: "embed")]
            for i in 0..<depth {
                let p = "blocks.\(i)"
                layers += [
                    GraphLayer(ResidualLayer(branch: [GraphLayer(AttentionLayer(heads: heads), name: "\(p).attn")]), name: "\(p).attention"),
                    GraphLayer(LayerNormLayer(epsilon: layerNormEpsilon), name: "\(p).norm1"),
                    GraphLayer(ResidualLayer(branch: [
                        GraphLayer(DenseLayer(units: feedForward), name: "\(p).mlp.fc1"),
                        GraphLayer(ActivationLayer(activation), name: "\(p).mlp.activation"),
                        GraphLayer(DenseLayer(units: width), name: "\(p).mlp.fc2"),
                    ]), name: "\(p).feed_forward"),
                    GraphLayer(LayerNormLayer(epsilon: layerNormEpsilon), name: "\(p).norm2", capture: p),
                ]
            }
            layers.append(GraphLayer(MeanPoolLayer(), name: "pool", capture: "pool"))
            layers.append(GraphLayer(DenseLayer(units: output), name: "head", capture: "head"))
            return GraphSpec(input: [sequenceLength, tokenDimension], layers: layers)
        }
    }
}
