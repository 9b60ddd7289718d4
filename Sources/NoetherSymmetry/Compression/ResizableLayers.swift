import NoetherNN

/// The layers of a model whose widths compression can change, in order, and how to write the
/// spec of the same kind at new widths: the hidden units of an MLP or deep linear net, and a
/// CNN's convolution channels followed by its dense hidden units.
struct ResizableLayers {
    /// The permutation groups' layer labels (`layers.0`, `convs.1`, …).
    let labels: [String]
    var widths: [Int]
    private let rebuild: ([Int]) -> ModelSpec

    /// The spec at the current widths.
    var spec: ModelSpec { rebuild(widths) }

    init(_ spec: ModelSpec) throws(AlignmentError) {
        switch spec {
        case .mlp(let mlp) where !mlp.residual && mlp.gates == .none:
            labels = mlp.hidden.indices.map { "layers.\($0)" }
            widths = mlp.hidden
            rebuild = { widths in var spec = mlp; spec.hidden = widths; return .mlp(spec) }
        case .deepLinear(let linear):
            labels = linear.hidden.indices.map { "layers.\($0)" }
            widths = linear.hidden
            rebuild = { widths in var spec = linear; spec.hidden = widths; return .deepLinear(spec) }
        case .cnn(let cnn):
            let convolutions = cnn.convolutions.count
            labels = cnn.convolutions.indices.map { "convs.\($0)" } + cnn.hidden.indices.map { "layers.\($0)" }
            widths = cnn.convolutions.map(\.channels) + cnn.hidden
            rebuild = { widths in
                var spec = cnn
                for i in spec.convolutions.indices { spec.convolutions[i].channels = widths[i] }
                spec.hidden = Array(widths.dropFirst(convolutions))
                return .cnn(spec)
            }
        default:
            throw AlignmentError("compress supports mlp (without residual connections or gates), deep_linear and cnn models, not \(spec.kindName)",
                                 hint: "the other kinds state their widths in ways a smaller model of the same kind cannot yet be written for")
        }
    }
}
