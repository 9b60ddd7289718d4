/// An architecture as a graph: the shape of one input sample and a sequence of layers, each
/// of which may hold residual branches (`{kind: graph, input: [784], layers: [...]}`).
///
/// Inputs arrive flattened `[N, product(input)]`; token ids arrive as `[N, S]` with
/// `input: [S]` and an embedding first. Unnamed layers are named by position (`layers.3`);
/// with no `capture` anywhere, every top-level layer's output is a representation.
public struct GraphSpec: Hashable, Sendable, Codable {
    public var input: [Int]
    public var layers: [GraphLayer]

    public init(input: [Int], layers: [GraphLayer]) {
        (self.input, self.layers) = (input, layers)
    }

    /// The layers with their names and captures resolved.
    var resolvedLayers: [GraphLayer] {
        let named = layers.named(prefix: "layers")
        guard !named.contains(where: { $0.capture != nil }) else { return named }
        return named.map { layer in
            var layer = layer
            layer.capture = layer.name
            return layer
        }
    }
}
