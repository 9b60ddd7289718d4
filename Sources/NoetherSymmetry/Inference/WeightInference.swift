import NoetherNN

/// Recognises MLP, CNN and transformer checkpoints from tensor names and shapes — Noether's
/// own names, BERT-, ViT- (Hugging Face and timm) and GPT-2-style transformers, PyTorch
/// `nn.Sequential` chains — so that the symmetry engine's specs apply. A tensor that fits no
/// layer is still reported, with the reason.
public enum WeightInference {
    /// One tensor's name, shape and whether it holds floating-point weights.
    public struct TensorInfo: Hashable, Sendable {
        public let name: String
        public let shape: [Int]
        public let isFloatingPoint: Bool

        public init(name: String, shape: [Int], isFloatingPoint: Bool = true) {
            (self.name, self.shape, self.isFloatingPoint) = (name, shape, isFloatingPoint)
        }
    }

    /// Infers the structure of a weights file.
    ///
    /// - Parameters:
    ///   - tensors: every tensor of the file (or shards), in file order.
    ///   - heads: the attention head count (from the model's config.json or `--heads`).
    public static func infer(_ tensors: [TensorInfo], heads: Int?) -> InferredModel {
        var builder = Builder(tensors: tensors, heads: heads)
        builder.findAttentionBlocks()
        builder.findDenseChains()
        builder.reportTheRest()
        return builder.model
    }

    /// Infers a Noether model exactly from its spec (a run directory records it).
    public static func infer(_ spec: ModelSpec, tensors: [TensorInfo], loss: LossKind?) -> InferredModel {
        guard let catalogue = try? SymmetryCatalogue.infer(spec, loss: loss), let architecture = try? Architecture(spec) else {
            return infer(tensors, heads: nil)
        }
        var layers: [InferredLayer] = []
        let heads = catalogue.lazy.compactMap { spec -> Int? in
            if case .heads = spec.scope, spec.kind == .permutation { spec.units } else { nil }
        }.first
        for descriptor in architecture.layout {
            let module = String(descriptor.name.split(separator: ".").dropLast().joined(separator: "."))
            switch (descriptor.role, descriptor.shape.rank) {
            case (.weight, 2):
                let kind: InferredLayer.Kind = module.hasSuffix("mlp.fc1") || module.hasSuffix("mlp.fc2") ? .feedForward : (module == "embed" ? .embedding : .linear)
                layers.append(InferredLayer(name: module, kind: kind, weight: descriptor.name, shape: descriptor.shape.dimensions))
            case (.weight, 4):
                layers.append(InferredLayer(name: module, kind: .convolution, weight: descriptor.name, shape: descriptor.shape.dimensions))
            case (.normGain, _):
                layers.append(InferredLayer(name: module, kind: .normalization, weight: nil, shape: descriptor.shape.dimensions,
                                            status: "skipped: normalisation parameters have no matrix to analyse"))
            default: break
            }
        }
        for spec in catalogue where spec.kind == .permutation {
            guard case .heads(let block) = spec.scope else { continue }
            let insertAt = layers.firstIndex { $0.name.hasPrefix(block) } ?? layers.count
            layers.insert(InferredLayer(name: block, kind: .attention, weight: nil, shape: [], attentionBlock: block), at: insertAt)
        }
        return InferredModel(family: "noether", layers: layers, symmetries: catalogue, heads: heads)
    }

    private struct Builder {
        let tensors: [TensorInfo]
        let heads: Int?
        var shapes: [String: [Int]] = [:]
        var consumed = Set<String>()
        var layers: [InferredLayer] = []
        var symmetries: [SymmetrySpec] = []
        var families: [String] = []

        init(tensors: [TensorInfo], heads: Int?) {
            self.tensors = tensors
            self.heads = heads
            for t in tensors where t.isFloatingPoint { shapes[t.name] = t.shape }
        }

        var model: InferredModel {
            let family = families.first ?? (layers.contains { $0.kind == .convolution } ? "cnn" : (layers.contains { $0.kind == .linear } ? "mlp" : "generic"))
            return InferredModel(family: family, layers: layers, symmetries: symmetries, heads: layers.contains { $0.kind == .attention } ? heads : nil)
        }

        func has(_ name: String) -> Bool { shapes[name] != nil }

        /// A linear layer's row, marking its weight and bias as consumed.
        mutating func linear(_ module: String, kind: InferredLayer.Kind = .linear, transposed: Bool = false) {
            guard let shape = shapes["\(module).weight"] else { return }
            consumed.insert("\(module).weight")
            consumed.insert("\(module).bias")
            layers.append(InferredLayer(name: module, kind: kind, weight: "\(module).weight", shape: shape, transposed: transposed))
        }

        /// One attention block's projections, however they are named and packed.
        struct Projections {
            var query: UnitSlice, key: UnitSlice, value: UnitSlice, output: UnitSlice
            var queryBias: UnitSlice?, keyBias: UnitSlice?, valueBias: UnitSlice?
            var modules: [String]
            var width: Int
            var transposed: Bool
        }

        mutating func findAttentionBlocks() {
            var blocks: [(root: String, projections: Projections, ffn: (String, String)?, family: String)] = []
            for t in tensors where t.isFloatingPoint && t.name.hasSuffix(".weight") {
                let module = String(t.name.dropLast(".weight".count))
                if let root = strip(module, ".attention.self.query"), has("\(root).attention.output.dense.weight") {
                    let a = "\(root).attention.self"
                    blocks.append((root, separate("\(a).query", "\(a).key", "\(a).value", "\(root).attention.output.dense"),
                                   ("\(root).intermediate.dense", "\(root).output.dense"), "bert"))
                } else if let root = strip(module, ".attention.attention.query"), has("\(root).attention.output.dense.weight") {
                    let a = "\(root).attention.attention"
                    blocks.append((root, separate("\(a).query", "\(a).key", "\(a).value", "\(root).attention.output.dense"),
                                   ("\(root).intermediate.dense", "\(root).output.dense"), "vit"))
                } else if let root = strip(module, ".attn.q_proj"), has("\(root).attn.out_proj.weight") {
                    let a = "\(root).attn"
                    blocks.append((root, separate("\(a).q_proj", "\(a).k_proj", "\(a).v_proj", "\(a).out_proj"),
                                   ("\(root).mlp.fc1", "\(root).mlp.fc2"), "noether"))
                } else if let root = strip(module, ".attn.c_attn"), let shape = shapes[t.name], shape.count == 2, shape[1] % 3 == 0,
                          has("\(root).attn.c_proj.weight") {
                    blocks.append((root, packed("\(root).attn.c_attn", "\(root).attn.c_proj", width: shape[1] / 3, transposed: true),
                                   ("\(root).mlp.c_fc", "\(root).mlp.c_proj"), "gpt2"))
                } else if let root = strip(module, ".attn.qkv"), let shape = shapes[t.name], shape.count == 2, shape[0] % 3 == 0,
                          has("\(root).attn.proj.weight") {
                    blocks.append((root, packed("\(root).attn.qkv", "\(root).attn.proj", width: shape[0] / 3, transposed: false),
                                   ("\(root).mlp.fc1", "\(root).mlp.fc2"), "timm-vit"))
                }
            }
            for (root, p, ffn, family) in blocks {
                if !families.contains(family) { families.append(family) }
                for module in p.modules { linear(module, transposed: p.transposed) }
                let block = "\(root).attention"
                if let heads, heads > 0, p.width % heads == 0 {
                    layers.append(InferredLayer(name: block, kind: .attention, weight: nil, shape: [p.width, p.width], attentionBlock: block))
                    let headWidth = p.width / heads
                    for head in 0..<heads {
                        func at(_ s: UnitSlice) -> UnitSlice { UnitSlice(s.name, axis: s.axis, offset: s.offset + head * headWidth) }
                        symmetries.append(SymmetrySpec(.doubleRotation, layer: "\(block).head.\(head).qk", units: headWidth,
                                                       incoming: [at(p.query)] + (p.queryBias.map { [at($0)] } ?? []),
                                                       outgoing: [at(p.key)] + (p.keyBias.map { [at($0)] } ?? [])))
                        symmetries.append(SymmetrySpec(.doubleRotation, layer: "\(block).head.\(head).vo", units: headWidth,
                                                       incoming: [at(p.value)] + (p.valueBias.map { [at($0)] } ?? []),
                                                       outgoing: [at(p.output)]))
                    }
                } else {
                    let reason = heads == nil ? "head count unknown; pass --heads N (or keep the model's config.json beside the weights)"
                        : "width \(p.width) is not divisible by \(heads ?? 0) heads"
                    layers.append(InferredLayer(name: block, kind: .attention, weight: nil, shape: [p.width, p.width], status: "skipped: \(reason)"))
                }
                if let (up, down) = ffn, let upShape = shapes["\(up).weight"], shapes["\(down).weight"] != nil {
                    linear(up, kind: .feedForward, transposed: p.transposed)
                    linear(down, kind: .feedForward, transposed: p.transposed)
                    // Hidden neurons: rows of the up projection (columns for Conv1D) and its bias,
                    // columns of the down projection.
                    let units = p.transposed ? upShape[1] : upShape[0]
                    let incoming = [UnitSlice("\(up).weight", axis: p.transposed ? 1 : 0)] + (has("\(up).bias") ? [UnitSlice("\(up).bias", axis: 0)] : [])
                    symmetries.append(SymmetrySpec(.permutation, layer: up, units: units, incoming: incoming,
                                                   outgoing: [UnitSlice("\(down).weight", axis: p.transposed ? 0 : 1)]))
                }
            }
        }

        func strip(_ module: String, _ suffix: String) -> String? {
            module.hasSuffix(suffix) ? String(module.dropLast(suffix.count)) : nil
        }

        func separate(_ q: String, _ k: String, _ v: String, _ o: String) -> Projections {
            let width = shapes["\(q).weight"]?[0] ?? 0
            func bias(_ m: String) -> UnitSlice? { has("\(m).bias") ? UnitSlice("\(m).bias", axis: 0) : nil }
            return Projections(query: UnitSlice("\(q).weight", axis: 0), key: UnitSlice("\(k).weight", axis: 0),
                               value: UnitSlice("\(v).weight", axis: 0), output: UnitSlice("\(o).weight", axis: 1),
                               queryBias: bias(q), keyBias: bias(k), valueBias: bias(v), modules: [q, k, v, o], width: width, transposed: false)
        }

        /// q, k, v packed in one tensor: [d, 3d] stored [in, out] (GPT-2 Conv1D) or [3d, d] (timm).
        func packed(_ qkv: String, _ o: String, width d: Int, transposed: Bool) -> Projections {
            let axis = transposed ? 1 : 0
            func part(_ i: Int) -> UnitSlice { UnitSlice("\(qkv).weight", axis: axis, offset: i * d) }
            func bias(_ i: Int) -> UnitSlice? { has("\(qkv).bias") ? UnitSlice("\(qkv).bias", axis: 0, offset: i * d) : nil }
            return Projections(query: part(0), key: part(1), value: part(2), output: UnitSlice("\(o).weight", axis: transposed ? 0 : 1),
                               queryBias: bias(0), keyBias: bias(1), valueBias: bias(2), modules: [qkv, o], width: d, transposed: transposed)
        }

        /// Chains of 2-D and 4-D weights not claimed by attention blocks: a layer whose output
        /// feeds another layer's input makes a hidden layer of neurons or channels (its
        /// permutation holds for any element-wise activation). The successor is the next layer
        /// in natural name order whose input fits; a convolution may also feed an earlier-named
        /// linear layer (so that `features.*` still feeds `classifier`).
        mutating func findDenseChains() {
            let candidates = tensors.filter { t in
                t.isFloatingPoint && t.name.hasSuffix(".weight") && !consumed.contains(t.name) && (t.shape.count == 2 || t.shape.count == 4)
                    && !isEmbedding(t.name)
            }.sorted { naturalOrder($0.name, $1.name) }
            var taken = Set<Int>()
            for (index, t) in candidates.enumerated() {
                let module = String(t.name.dropLast(".weight".count))
                linear(module, kind: t.shape.count == 4 ? .convolution : .linear)
                let units = t.shape[0]
                func block(_ next: TensorInfo) -> Int? {
                    if next.shape[1] == units { return 1 }
                    if t.shape.count == 4, next.shape.count == 2, next.shape[1] % units == 0 { return next.shape[1] / units }
                    return nil
                }
                // Wrapping around is only for convolution channels flattened into a linear layer.
                let earlier = t.shape.count == 4 ? candidates.indices.prefix(index).filter { candidates[$0].shape.count == 2 } : []
                let order = Array(candidates.indices.dropFirst(index + 1)) + earlier
                guard let successor = order.first(where: { !taken.contains($0) && block(candidates[$0]) != nil }),
                      let size = block(candidates[successor]) else { continue }
                taken.insert(successor)
                let incoming = [UnitSlice(t.name, axis: 0)] + (has("\(module).bias") ? [UnitSlice("\(module).bias", axis: 0)] : [])
                symmetries.append(SymmetrySpec(.permutation, layer: module, units: units, incoming: incoming,
                                               outgoing: [UnitSlice(candidates[successor].name, axis: 1, block: size)]))
            }
        }

        func isEmbedding(_ name: String) -> Bool { name.contains("embed") || name.hasSuffix("wte.weight") || name.hasSuffix("wpe.weight") }

        /// Everything not yet in a row gets one: embeddings are analysed as matrices, the rest
        /// is reported with the reason it is not analysed.
        mutating func reportTheRest() {
            for t in tensors where !consumed.contains(t.name) {
                let module = t.name.hasSuffix(".weight") || t.name.hasSuffix(".bias") ? String(t.name.split(separator: ".").dropLast().joined(separator: ".")) : t.name
                if !t.isFloatingPoint {
                    layers.append(InferredLayer(name: t.name, kind: .buffer, weight: nil, shape: t.shape, status: "skipped: integer tensor (a buffer, not a weight)"))
                } else if t.shape.count == 2 && isEmbedding(t.name) {
                    layers.append(InferredLayer(name: module, kind: .embedding, weight: t.name, shape: t.shape))
                } else if t.shape.count == 1 && (t.name.lowercased().contains("norm") || t.name.contains("ln_")) {
                    guard t.name.hasSuffix(".weight") || t.name.hasSuffix(".gamma") || !has("\(module).weight") else { continue }
                    layers.append(InferredLayer(name: module, kind: .normalization, weight: nil, shape: t.shape,
                                                status: "skipped: normalisation parameters have no matrix to analyse"))
                } else if t.shape.count == 1 && t.name.hasSuffix(".bias") && has("\(module).weight") {
                    continue  // reported with its layer
                } else {
                    layers.append(InferredLayer(name: t.name, kind: .other, weight: nil, shape: t.shape,
                                                status: "skipped: a \(t.shape.count)-D tensor that fits no recognised layer"))
                }
            }
        }
    }
}

/// Orders names with numeric components by value: layers.2 before layers.10.
public func naturalOrder(_ a: String, _ b: String) -> Bool {
    let (x, y) = (a.split(separator: "."), b.split(separator: "."))
    for (p, q) in zip(x, y) where p != q {
        if let i = Int(p), let j = Int(q) { return i < j }
        return p < q
    }
    return x.count < y.count
}
