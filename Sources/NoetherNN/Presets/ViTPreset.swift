/// A vision transformer (Dosovitskiy et al. 2021) with timm's names: a patch embedding
/// (`patch_embed.proj`, a convolution with kernel and stride `patch`), a class token (`cls`)
/// or mean pooling, learned positions (`pos_embed`), `depth` pre-norm blocks `blocks.{i}`
/// (`norm1`, `attn`, `norm2`, `mlp.fc1`, GELU, `mlp.fc2`), a final `norm` and a `head`.
public struct ViTSpec: Hashable, Sendable, Codable {
    public enum Pooling: String, Codable, Sendable { case cls, mean }
    public var inputShape: [Int]
    public var patch: Int
    public var width: Int
    public var depth: Int
    public var heads: Int
    public var feedForward: Int
    public var pool: Pooling
    public var output: Int
    public var layerNormEpsilon: Double

    public init(inputShape: [Int], patch: Int, width: Int, depth: Int = 2, heads: Int, feedForward: Int? = nil,
                pool: Pooling = .cls, output: Int, layerNormEpsilon: Double = 1e-6) {
        (self.inputShape, self.patch, self.width, self.depth, self.heads) = (inputShape, patch, width, depth, heads)
        (self.feedForward, self.pool, self.output, self.layerNormEpsilon) = (feedForward ?? (width <= Int.max / 4 ? 4 * width : Int.max), pool, output, layerNormEpsilon)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(inputShape: try c.decode([Int].self, forKey: .inputShape), patch: try c.decode(Int.self, forKey: .patch),
                  width: try c.decode(Int.self, forKey: .width), depth: try c.decodeIfPresent(Int.self, forKey: .depth) ?? 2,
                  heads: try c.decode(Int.self, forKey: .heads), feedForward: try c.decodeIfPresent(Int.self, forKey: .feedForward),
                  pool: try c.decodeIfPresent(Pooling.self, forKey: .pool) ?? .cls, output: try c.decode(Int.self, forKey: .output),
                  layerNormEpsilon: try c.decodeIfPresent(Double.self, forKey: .layerNormEpsilon) ?? 1e-6)
    }

    public var graph: GraphSpec {
        get throws(ModelSpecError) {
            guard inputShape.count == 3 else { throw ModelSpecError("vit input_shape must be [channels, height, width], got \(inputShape)") }
            guard patch > 0, inputShape[1] % patch == 0, inputShape[2] % patch == 0 else {
                throw ModelSpecError("vit patch \(patch) must divide the image size \(inputShape[1])×\(inputShape[2])")
            }
            guard [width, depth, heads, feedForward, output].allSatisfy({ $0 > 0 }) else { throw ModelSpecError("vit sizes must be positive") }
            let norm = LayerNormLayer(epsilon: layerNormEpsilon)
            var layers = [
                GraphLayer(ConvolutionLayer(channels: width, kernel: patch, stride: patch, padding: 0), name: "patch_embed.proj"),
                GraphLayer(ToTokensLayer(), name: "patch_embed.tokens"),
            ]
            if pool == .cls { layers.append(GraphLayer(ClassTokenLayer(), name: "cls")) }
            layers.append(GraphLayer(LearnedPositionsLayer(), name: "pos_embed", capture: "embed"))
            for i in 0..<depth {
                let p = "blocks.\(i)"
                layers += [
                    GraphLayer(ResidualLayer(branch: [GraphLayer(norm, name: "\(p).norm1"), GraphLayer(AttentionLayer(heads: heads), name: "\(p).attn")]),
                               name: "\(p).attention"),
                    GraphLayer(ResidualLayer(branch: [
                        GraphLayer(norm, name: "\(p).norm2"),
                        GraphLayer(DenseLayer(units: feedForward), name: "\(p).mlp.fc1"),
                        GraphLayer(ActivationLayer(.gelu), name: "\(p).mlp.activation"),
                        GraphLayer(DenseLayer(units: width), name: "\(p).mlp.fc2"),
                    ]), name: "\(p).feed_forward", capture: p),
                ]
            }
            layers.append(GraphLayer(norm, name: "norm"))
            layers.append(pool == .cls ? GraphLayer(SelectTokenLayer(index: 0), name: "pool", capture: "pool")
                                       : GraphLayer(MeanPoolLayer(), name: "pool", capture: "pool"))
            layers.append(GraphLayer(DenseLayer(units: output), name: "head", capture: "head"))
            return GraphSpec(input: inputShape, layers: layers)
        }
    }
}
