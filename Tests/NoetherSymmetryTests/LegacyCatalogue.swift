/// The hand-written catalogue the layer graph replaced (main at 1e85b62), kept as the
/// reference the graph walk must reproduce exactly for the presets it covered.
import NoetherNN
import NoetherSymmetry

enum LegacyCatalogue {
    static func infer(_ spec: ModelSpec, loss: LossKind? = nil) throws(ModelSpecError) -> [SymmetrySpec] {
        let architecture = try Architecture(spec)
        let softmax = loss == .crossEntropy
        switch spec {
        case .mlp(let s):
            return dense(prefix: "layers", input: s.input, widths: s.hidden, output: s.output, activation: s.activation,
                         bias: s.bias, residual: s.residual, gates: s.gates, translation: softmax)
        case .deepLinear(let s):
            return dense(prefix: "layers", input: s.input, widths: s.hidden, output: s.output, activation: .identity,
                         bias: false, residual: false, gates: .none, translation: softmax)
        case .cnn(let s):
            return convolutional(s, architecture: architecture, translation: softmax)
        case .transformer(let s):
            return transformer(s, translation: softmax)
        default:
            return []
        }
    }

    /// The symmetries of one hidden layer of `units` neurons or channels whose activation
    /// is `activation`, given its covariant and contravariant slices.
    static func hiddenLayer(_ layer: String, units: Int, activation: Activation, incoming: [UnitSlice], outgoing: [UnitSlice],
                            permutationOnly: [UnitSlice] = [], maxPooled: Bool = false, rotates: Bool = true) -> [SymmetrySpec] {
        var result = [SymmetrySpec(.permutation, layer: layer, units: units, incoming: incoming + permutationOnly, outgoing: outgoing)]
        if activation.isPositivelyHomogeneous {
            result.append(SymmetrySpec(.rescaling, layer: layer, units: units, incoming: incoming, outgoing: outgoing))
        }
        if activation.isOdd && !maxPooled {
            result.append(SymmetrySpec(.signFlip, layer: layer, units: units, incoming: incoming, outgoing: outgoing))
        }
        if activation == .identity && !maxPooled && rotates {
            result.append(SymmetrySpec(.rotation, layer: layer, units: units, incoming: incoming, outgoing: outgoing))
        }
        return result
    }

    static func dense(prefix: String, input: Int, widths: [Int], output: Int, activation: Activation, bias: Bool,
                      residual: Bool, gates: Gates, translation: Bool, firstOutgoingBlock: Int = 1, inputUnits: Int? = nil) -> [SymmetrySpec] {
        var result: [SymmetrySpec] = []
        let sizes = [input] + widths + [output]
        func rows(_ i: Int) -> [UnitSlice] {
            [UnitSlice("\(prefix).\(i).weight", axis: 0)] + (bias ? [UnitSlice("\(prefix).\(i).bias", axis: 0)] : [])
        }
        func neuronGate(_ i: Int) -> [UnitSlice] { gates == .neuron ? [UnitSlice("\(prefix).\(i).gate", axis: 0)] : [] }
        // A hidden layer is residual when it maps a width to itself and residual connections are on.
        func isResidual(_ i: Int) -> Bool { residual && i < widths.count && sizes[i] == sizes[i + 1] }
        var i = 0
        // A stream that starts at the input would have to permute the data: no symmetry there.
        while isResidual(i) { i += 1 }
        while i < widths.count {
            let layer = "\(prefix).\(i)"
            var end = i
            while isResidual(end + 1) { end += 1 }
            if end > i {
                // A residual stream: layer i feeds layers i+1…end, each adding to it.
                var slices = rows(i) + neuronGate(i)
                for k in (i + 1)...end {
                    slices += rows(k) + neuronGate(k) + [UnitSlice("\(prefix).\(k).weight", axis: 1)]
                }
                result.append(SymmetrySpec(.permutation, layer: "\(layer)-\(end)", units: sizes[i + 1], incoming: slices,
                                           outgoing: [UnitSlice("\(prefix).\(end + 1).weight", axis: 1)]))
            } else {
                result += hiddenLayer(layer, units: sizes[i + 1], activation: activation, incoming: rows(i),
                                      outgoing: [UnitSlice("\(prefix).\(i + 1).weight", axis: 1)],
                                      permutationOnly: neuronGate(i), rotates: gates != .neuron)
            }
            i = end + 1
        }
        if gates != .none {
            for layer in 0...widths.count {
                let units = gates == .layer ? 1 : sizes[layer + 1]
                result.append(SymmetrySpec(.rescaling, layer: "\(prefix).\(layer).gate", units: units,
                                           incoming: [UnitSlice("\(prefix).\(layer).gate", axis: 0)],
                                           outgoing: [UnitSlice("\(prefix).\(layer).weight", axis: 0, block: gates == .layer ? sizes[layer + 1] : 1)]))
            }
        }
        if translation && output > 1 {
            let last = widths.count
            let slices = (gates == .neuron ? [] : [UnitSlice("\(prefix).\(last).weight", axis: 0)])
                + (bias ? [UnitSlice("\(prefix).\(last).bias", axis: 0)] : [])
            if !slices.isEmpty {
                result.append(SymmetrySpec(.translation, layer: "\(prefix).\(last)", units: output, incoming: slices, uniform: true))
            }
        }
        return result
    }

    static func convolutional(_ s: CNNSpec, architecture: Architecture, translation: Bool) -> [SymmetrySpec] {
        var result: [SymmetrySpec] = []
        let flattened = architecture.layout.first { $0.name == "layers.0.weight" }?.shape[1] ?? 1
        let lastChannels = s.convolutions.last?.channels ?? 1
        for (i, conv) in s.convolutions.enumerated() {
            let incoming = [UnitSlice("convs.\(i).weight", axis: 0)] + (s.bias ? [UnitSlice("convs.\(i).bias", axis: 0)] : [])
            let outgoing = i + 1 < s.convolutions.count
                ? [UnitSlice("convs.\(i + 1).weight", axis: 1)]
                : [UnitSlice("layers.0.weight", axis: 1, block: flattened / max(lastChannels, 1))]
            result += hiddenLayer("convs.\(i)", units: conv.channels, activation: s.activation, incoming: incoming,
                                  outgoing: outgoing, maxPooled: conv.pool == .max)
        }
        result += dense(prefix: "layers", input: flattened, widths: s.hidden, output: s.output, activation: s.activation,
                        bias: s.bias, residual: false, gates: .none, translation: translation)
        return result
    }

    static func transformer(_ s: TransformerSpec, translation: Bool) -> [SymmetrySpec] {
        var result: [SymmetrySpec] = []
        let (d, h) = (s.width, s.heads)
        let headWidth = d / h
        // The residual stream: every map into it permutes rows, every map out of it columns.
        var stream = [UnitSlice("embed.weight", axis: 0), UnitSlice("embed.bias", axis: 0)]
        for b in 0..<s.depth {
            let p = "blocks.\(b)"
            stream += ["q_proj", "k_proj", "v_proj"].map { UnitSlice("\(p).attn.\($0).weight", axis: 1) }
            stream += [UnitSlice("\(p).attn.out_proj.weight", axis: 0), UnitSlice("\(p).attn.out_proj.bias", axis: 0),
                       UnitSlice("\(p).norm1.weight", axis: 0), UnitSlice("\(p).norm1.bias", axis: 0),
                       UnitSlice("\(p).mlp.fc1.weight", axis: 1),
                       UnitSlice("\(p).mlp.fc2.weight", axis: 0), UnitSlice("\(p).mlp.fc2.bias", axis: 0),
                       UnitSlice("\(p).norm2.weight", axis: 0), UnitSlice("\(p).norm2.bias", axis: 0)]
        }
        result.append(SymmetrySpec(.permutation, layer: "residual_stream", units: d, incoming: stream,
                                   outgoing: [UnitSlice("head.weight", axis: 1)]))
        for b in 0..<s.depth {
            let a = "blocks.\(b).attn"
            let headRows = ["q_proj", "k_proj", "v_proj"].flatMap {
                [UnitSlice("\(a).\($0).weight", axis: 0, block: headWidth), UnitSlice("\(a).\($0).bias", axis: 0, block: headWidth)]
            }
            result.append(SymmetrySpec(.permutation, layer: "\(a).heads", units: h, incoming: headRows,
                                       outgoing: [UnitSlice("\(a).out_proj.weight", axis: 1, block: headWidth)]))
            for head in 0..<h {
                let offset = head * headWidth
                result.append(SymmetrySpec(
                    .doubleRotation, layer: "\(a).head.\(head).qk", units: headWidth,
                    incoming: [UnitSlice("\(a).q_proj.weight", axis: 0, offset: offset), UnitSlice("\(a).q_proj.bias", axis: 0, offset: offset)],
                    outgoing: [UnitSlice("\(a).k_proj.weight", axis: 0, offset: offset), UnitSlice("\(a).k_proj.bias", axis: 0, offset: offset)]))
                result.append(SymmetrySpec(
                    .doubleRotation, layer: "\(a).head.\(head).vo", units: headWidth,
                    incoming: [UnitSlice("\(a).v_proj.weight", axis: 0, offset: offset), UnitSlice("\(a).v_proj.bias", axis: 0, offset: offset)],
                    outgoing: [UnitSlice("\(a).out_proj.weight", axis: 1, offset: offset)]))
            }
            // Adding any vector to the key bias shifts every score of a query by the same amount.
            result.append(SymmetrySpec(.translation, layer: "\(a).k_proj.bias", units: d,
                                       incoming: [UnitSlice("\(a).k_proj.bias", axis: 0)]))
            let m = "blocks.\(b).mlp"
            result += hiddenLayer("\(m).fc1", units: s.feedForward, activation: s.activation,
                                  incoming: [UnitSlice("\(m).fc1.weight", axis: 0), UnitSlice("\(m).fc1.bias", axis: 0)],
                                  outgoing: [UnitSlice("\(m).fc2.weight", axis: 1)])
        }
        if translation && s.output > 1 {
            result.append(SymmetrySpec(.translation, layer: "head", units: s.output,
                                       incoming: [UnitSlice("head.weight", axis: 0), UnitSlice("head.bias", axis: 0)], uniform: true))
        }
        return result
    }
}
