import NoetherNN

/// Transformer blocks of the families in ``TransformerPattern/all``: each becomes an
/// `attention` row (the graph's ``AttentionStructure``: heads, key/value heads, RoPE), a
/// `dense` row per projection, the MLP's rows (a `gated_mlp` row for SwiGLU) and the block's
/// normalisations. Residual-stream writers (output and down projections) are never chained
/// to the next block.
extension InferenceTable {
    static func join(_ root: String, _ relative: String) -> String { root.isEmpty ? relative : "\(root).\(relative)" }

    mutating func recogniseTransformers() {
        for t in tensors where t.isFloatingPoint && t.name.hasSuffix(".weight") && !isClaimed(t.name) {
            let module = String(t.name.dropLast(".weight".count))
            for pattern in TransformerPattern.all {
                guard let root = Self.root(of: module, anchor: pattern.anchor), weightName(Self.join(root, pattern.output)) != nil else { continue }
                block(pattern, root: root)
                break
            }
            for ff in TransformerPattern.feedForwards {
                guard let root = Self.root(of: module, anchor: ff.anchor) else { continue }
                if mlp(ff.mlps, root: root, transposed: false) { note(family: ff.family) }
                for (norm, kind) in ff.norms { self.norm(Self.join(root, norm), kind: kind) }
            }
        }
    }

    static func root(of module: String, anchor: String) -> String? {
        if module == anchor { return "" }
        return module.hasSuffix(".\(anchor)") ? String(module.dropLast(anchor.count + 1)) : nil
    }

    private mutating func block(_ pattern: TransformerPattern, root: String) {
        let family = refined(pattern.family)
        note(family: family)
        func at(_ relative: String) -> String { Self.join(root, relative) }
        let transposed = pattern.transposed
        // Projection rows first: each matrix keeps its own spectrum.
        let projections: [(String, String)] = switch pattern.packing {
        case .separate(let q, let k, let v): [(q, "attention.query"), (k, "attention.key"), (v, "attention.value")]
        case .conv1D(let m), .stacked(let m), .interleaved(let m): [(m, "attention.qkv")]
        case .conv1DCross(let q, let kv): [(q, "attention.query"), (kv, "attention.key_value")]
        }
        var blockTensors: [String] = []
        for (module, role) in projections + [(pattern.output, "attention.output")] {
            matrix(at(module), role: role, transposed: transposed)
            blockTensors += ["\(at(module)).weight"] + (has("\(at(module)).bias") ? ["\(at(module)).bias"] : [])
        }
        let output = "\(at(pattern.output)).weight"
        if let shape = shapes[output], shape.count == 2 { residualWidth = residualWidth ?? (transposed ? shape[1] : shape[0]) }
        let label = at(pattern.label)
        switch attentionStructure(pattern, root: root, label: label) {
        case .success(let (structure, rotary)):
            symmetries += SymmetryCatalogue.attentionBlock(structure)
            add(InferredLayer(name: label, kind: AttentionLayer.kind, weight: nil, shape: [structure.heads * structure.headWidth],
                              tensors: blockTensors, attention: structure, rotaryDimensions: rotary,
                              flags: family == "albert" ? ["one layer shared by every depth (ALBERT)"] : []))
        case .failure(let reason):
            add(InferredLayer(name: label, kind: AttentionLayer.kind, weight: nil, shape: [], status: "skipped: \(reason.message)", tensors: blockTensors))
        }
        mlp(pattern.mlps, root: root, transposed: transposed)
        for (norm, kind) in pattern.norms { self.norm(at(norm), kind: kind) }
        for scale in pattern.scales { vector(at(scale), kind: LayerScaleLayer.kind, reason: "layer scale: a per-channel gain with no matrix to analyse") }
        for fold in pattern.folds {
            let gain = "\(at(fold.norm)).weight"
            let readers = fold.readers.compactMap { r in weightName(at(r)).map { UnitSlice($0, axis: transposed ? 0 : 1) } }
            if has(gain), !readers.isEmpty { folds.append(NormFold(gain: gain, readers: readers)) }
        }
    }

    /// The family name, refined by the config's `model_type` or the file's own prefixes.
    private func refined(_ family: String) -> String {
        let type = hints.modelType?.lowercased()
        switch family {
        case "bert":
            if type == "roberta" || tensors.contains(where: { $0.name.hasPrefix("roberta.") }) { return "roberta" }
        case "vit", "timm-vit":
            if type == "dinov2" || tensors.contains(where: { $0.name.hasSuffix("mask_token") || $0.name.contains("reg_token") || $0.name.contains("register_tokens") }) {
                return "dinov2"
            }
        case "llama":
            if let type, ["mistral", "qwen2", "qwen3", "llama"].contains(type) { return type }
            if tensors.contains(where: { $0.name.hasSuffix("self_attn.q_proj.bias") }) { return "qwen2" }
        default: break
        }
        return family
    }

    struct Unfit: Error { let message: String }

    /// The block's heads from the config (or `--heads`) and its shapes.
    private func attentionStructure(_ pattern: TransformerPattern, root: String, label: String)
        -> Result<(AttentionStructure, Int?), Unfit> {
        guard let heads = hints.heads(under: root), heads > 0 else {
            return .failure(Unfit(message: "head count unknown; pass --heads N (or keep the model's config.json beside the weights)"))
        }
        func at(_ relative: String) -> String { Self.join(root, relative) }
        func rows(_ module: String, axis: Int, offset: Int = 0) -> [UnitSlice] {
            let (weight, bias) = ("\(at(module)).weight", "\(at(module)).bias")
            // A bias is read at the weight's offsets: only one of the weight's length is used.
            let fits = shapes[weight].map { $0.count == 2 && shapes[bias] == [$0[axis]] } ?? false
            return [UnitSlice(weight, axis: axis, offset: offset)] + (fits ? [UnitSlice(bias, axis: 0, offset: offset)] : [])
        }
        let outputAxis = pattern.transposed ? 0 : 1
        let output = UnitSlice("\(at(pattern.output)).weight", axis: outputAxis)
        let query: [UnitSlice], key: [UnitSlice], value: [UnitSlice]
        let queryRows: Int, keyRows: Int
        var stride: Int?
        switch pattern.packing {
        case .separate(let q, let k, let v):
            guard let qs = shapes["\(at(q)).weight"], let ks = shapes["\(at(k)).weight"], let vs = shapes["\(at(v)).weight"],
                  qs.count == 2, ks.count == 2, vs == ks, qs[1] == ks[1] else { return .failure(Unfit(message: "query, key and value shapes do not fit one block")) }
            (query, key, value, queryRows, keyRows) = (rows(q, axis: 0), rows(k, axis: 0), rows(v, axis: 0), qs[0], ks[0])
        case .conv1D(let m):
            guard let s = shapes["\(at(m)).weight"], s.count == 2, s[1] % 3 == 0 else { return .failure(Unfit(message: "packed q, k, v is not [D, 3D]")) }
            let d = s[1] / 3
            (query, key, value, queryRows, keyRows) = (rows(m, axis: 1), rows(m, axis: 1, offset: d), rows(m, axis: 1, offset: 2 * d), d, d)
        case .stacked(let m):
            guard let s = shapes["\(at(m)).weight"], s.count == 2, s[0] % 3 == 0 else { return .failure(Unfit(message: "packed q, k, v is not [3D, D]")) }
            let d = s[0] / 3
            (query, key, value, queryRows, keyRows) = (rows(m, axis: 0), rows(m, axis: 0, offset: d), rows(m, axis: 0, offset: 2 * d), d, d)
        case .interleaved(let m):
            guard let s = shapes["\(at(m)).weight"], s.count == 2, s[0] % (3 * heads) == 0 else {
                return .failure(Unfit(message: "packed q, k, v rows are not divisible into \(heads) heads × 3"))
            }
            let headWidth = s[0] / (3 * heads)
            stride = 3 * headWidth
            (query, key, value, queryRows, keyRows) = (rows(m, axis: 0), rows(m, axis: 0, offset: headWidth), rows(m, axis: 0, offset: 2 * headWidth), s[0] / 3, s[0] / 3)
        case .conv1DCross(let q, let kv):
            guard let qs = shapes["\(at(q)).weight"], let kvs = shapes["\(at(kv)).weight"], qs.count == 2, kvs.count == 2, kvs[1] == 2 * qs[1] else {
                return .failure(Unfit(message: "cross-attention q_attn and c_attn shapes do not fit"))
            }
            let d = qs[1]
            (query, key, value, queryRows, keyRows) = (rows(q, axis: 1), rows(kv, axis: 1), rows(kv, axis: 1, offset: d), d, d)
        }
        // Slices are read by offset, so every projection must hold the rows the heads claim.
        guard let outputShape = shapes[output.name], outputShape.count == 2, outputShape[outputAxis] == queryRows else {
            return .failure(Unfit(message: "the output projection does not read \(queryRows) head dimensions"))
        }
        let headWidth = hints.headWidth ?? (queryRows / heads)
        guard headWidth > 0, queryRows == heads * headWidth else {
            return .failure(Unfit(message: "width \(queryRows) is not divisible by \(heads) heads"))
        }
        guard keyRows % headWidth == 0, keyRows > 0, heads % (keyRows / headWidth) == 0 else {
            return .failure(Unfit(message: "\(keyRows) key rows do not make key/value heads of width \(headWidth) that share \(heads) query heads"))
        }
        let keyValueHeads = keyRows / headWidth
        if let configured = hints.keyValueHeads, configured != keyValueHeads {
            return .failure(Unfit(message: "config gives \(configured) key/value heads but the key projection has \(keyValueHeads)"))
        }
        var rotary: Int?
        if pattern.rotary {
            let fraction = hints.rotaryFraction ?? (pattern.family == "gpt_neox" ? 0.25 : 1)
            let dimensions = Int((Double(headWidth) * fraction).rounded(.down)) / 2 * 2
            rotary = dimensions > 0 ? dimensions : nil
        }
        let structure = AttentionStructure(label: label, heads: heads, keyValueHeads: keyValueHeads, headWidth: headWidth, rotary: rotary != nil,
                                           query: query, key: key, value: value, output: output, headStride: stride)
        return .success((structure, rotary))
    }

    /// The first of `mlps` whose weights exist: rows for its projections and the symmetry of
    /// its hidden units.
    @discardableResult
    mutating func mlp(_ mlps: [TransformerPattern.MLP], root: String, transposed: Bool) -> Bool {
        func at(_ relative: String) -> String { Self.join(root, relative) }
        for mlp in mlps {
            switch mlp {
            case .plain(let up, let down):
                guard weightName(at(up)) != nil, weightName(at(down)) != nil, !isClaimed("\(at(up)).weight") else { continue }
                hiddenUnits(at(up), at(down), transposed: transposed)
                matrix(at(up), role: "mlp.up", transposed: transposed)
                matrix(at(down), role: "mlp.down", transposed: transposed)
                return true
            case .gated(let gate, let up, let down):
                guard let g = weightName(at(gate)), let u = weightName(at(up)), let d = weightName(at(down)), !isClaimed(g),
                      let shape = shapes[g], shape.count == 2, shapes[u] == shape, let downShape = shapes[d], downShape.count == 2,
                      downShape[1] == shape[0] else { continue }
                func rows(_ module: String) -> [UnitSlice] {
                    [UnitSlice("\(at(module)).weight", axis: 0)] + (shapes["\(at(module)).bias"] == [shape[0]] ? [UnitSlice("\(at(module)).bias", axis: 0)] : [])
                }
                let structure = GatedMLPStructure(label: Self.parent(at(gate)), units: shape[0], gate: rows(gate), up: rows(up), down: UnitSlice(d, axis: 1))
                var blockTensors: [String] = []
                for (module, role) in [(gate, "mlp.gate"), (up, "mlp.up"), (down, "mlp.down")] {
                    matrix(at(module), role: role)
                    blockTensors += ["\(at(module)).weight"] + (has("\(at(module)).bias") ? ["\(at(module)).bias"] : [])
                }
                symmetries += SymmetryCatalogue.gatedMLP(structure)
                add(InferredLayer(name: structure.label, kind: GatedMLPLayer.kind, weight: nil, shape: [shape[0]], tensors: blockTensors, gatedMLP: structure))
                return true
            }
        }
        return false
    }

    static func parent(_ module: String) -> String {
        guard let dot = module.lastIndex(of: ".") else { return module }
        return String(module[..<dot])
    }
}
