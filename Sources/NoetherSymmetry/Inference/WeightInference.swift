import NoetherNN

/// Reads a checkpoint's architecture from its tensor names and shapes (and the model's
/// config.json, when there is one) in the layer vocabulary of the model graph: attention with
/// heads, key/value heads and RoPE, gated MLPs, dense and conv layers, norms, embeddings.
///
/// Families: BERT, RoBERTa, ALBERT, DistilBERT, GPT-2 (Conv1D, packed `c_attn`,
/// cross-attention), GPT-NeoX/Pythia, Llama/Mistral/Qwen2, T5, Hugging Face and timm ViT and
/// DINOv2, CLIP towers, Noether's own names, torchvision ResNet and MobileNet, `nn.Sequential`
/// MLPs and CNNs. Every tensor lands in a row; one that fits no layer is reported with the reason.
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

    /// What a model's config.json (or the command line) says about its shape.
    public struct Hints: Hashable, Sendable {
        /// Query heads per attention layer.
        public var heads: Int?
        public var keyValueHeads: Int?
        /// Per-head width when it is not the width over the heads (T5's `d_kv`).
        public var headWidth: Int?
        /// The share of each head that RoPE rotates (GPT-NeoX's `rotary_pct`).
        public var rotaryFraction: Double?
        /// `model_type`, which names the family where tensor names are shared (Llama, Mistral, Qwen2).
        public var modelType: String?
        /// Heads of towers with their own config (CLIP's `text_model`, `vision_model`), by prefix.
        public var towerHeads: [String: Int]

        public init(heads: Int? = nil, keyValueHeads: Int? = nil, headWidth: Int? = nil, rotaryFraction: Double? = nil,
                    modelType: String? = nil, towerHeads: [String: Int] = [:]) {
            (self.heads, self.keyValueHeads, self.headWidth, self.rotaryFraction) = (heads, keyValueHeads, headWidth, rotaryFraction)
            (self.modelType, self.towerHeads) = (modelType, towerHeads)
        }

        /// The heads of an attention block under `root`.
        func heads(under root: String) -> Int? {
            towerHeads.first { root.hasPrefix($0.key) }?.value ?? heads
        }

        var givesHeads: Bool { heads != nil || !towerHeads.isEmpty }
    }

    /// Infers the structure of a weights file.
    ///
    /// - Parameters:
    ///   - tensors: every tensor of the file (or shards), in file order.
    ///   - heads: the attention head count (from the model's config.json or `--heads`).
    public static func infer(_ tensors: [TensorInfo], heads: Int?) -> InferredModel {
        infer(tensors, hints: Hints(heads: heads))
    }

    public static func infer(_ tensors: [TensorInfo], hints: Hints) -> InferredModel {
        var table = InferenceTable(tensors: tensors, hints: hints)
        table.recogniseTransformers()
        let transformer = !table.families.isEmpty
        table.recogniseNamedTensors()
        table.recogniseChains(allowChains: !transformer)
        table.reportTheRest(placed: transformer)
        return table.model
    }

    /// Infers a Noether model exactly from its spec (a run directory records it).
    public static func infer(_ spec: ModelSpec, tensors: [TensorInfo], loss: LossKind?) -> InferredModel {
        guard let catalogue = try? SymmetryCatalogue.infer(spec, loss: loss), let architecture = try? Architecture(spec) else {
            return infer(tensors, heads: nil)
        }
        var table = InferenceTable(tensors: tensors, hints: Hints())
        var byModule: [(String, [ParameterDescriptor])] = []
        for descriptor in architecture.layout {
            let module = InferenceTable.parent(descriptor.name)
            if let last = byModule.indices.last, byModule[last].0 == module { byModule[last].1.append(descriptor) } else { byModule.append((module, [descriptor])) }
        }
        let attention = architecture.symmetryStructure.entries.compactMap { entry -> AttentionStructure? in
            if case .attention(let a) = entry { a } else { nil }
        }
        for (module, descriptors) in byModule {
            if let block = attention.first(where: { module.hasPrefix("\($0.label).") }), !table.layers.contains(where: { $0.name == block.label }) {
                let names = architecture.layout.map(\.name).filter { $0.hasPrefix("\(block.label).") }
                table.add(InferredLayer(name: block.label, kind: AttentionLayer.kind, weight: nil, shape: [block.heads * block.headWidth],
                                        tensors: names, attention: block))
            }
            let roles = Set(descriptors.map(\.role))
            if let weight = descriptors.first(where: { $0.role == .weight }) {
                let kind = weight.shape.rank == 4 ? ConvolutionLayer.kind : DenseLayer.kind
                table.add(InferredLayer(name: module, kind: kind, role: module.hasSuffix("mlp.fc1") ? "mlp.up" : (module.hasSuffix("mlp.fc2") ? "mlp.down" : nil),
                                        weight: weight.name, shape: weight.shape.dimensions, tensors: descriptors.map(\.name)))
            } else if roles.contains(.normGain) || roles.contains(.runningMean) {
                let kind = roles.contains(.runningMean) ? BatchNormLayer.kind : LayerNormLayer.kind
                table.add(InferredLayer(name: module, kind: kind, weight: nil, shape: descriptors[0].shape.dimensions,
                                        status: "skipped: normalisation parameters have no matrix to analyse", tensors: descriptors.map(\.name)))
            } else if let embedding = descriptors.first(where: { $0.role == .embedding }), embedding.shape.rank == 2 {
                table.add(InferredLayer(name: module, kind: EmbeddingLayer.kind, weight: embedding.name, shape: embedding.shape.dimensions,
                                        tensors: descriptors.map(\.name)))
            }
        }
        table.symmetries = catalogue
        table.reportTheRest(placed: true)
        let model = table.model
        return InferredModel(family: "noether", layers: model.layers, symmetries: catalogue, heads: attention.first?.heads,
                             keyValueHeads: attention.first.flatMap { $0.keyValueHeads == $0.heads ? nil : $0.keyValueHeads })
    }
}

extension InferenceTable {
    var model: InferredModel {
        let family = families.first ?? (layers.contains { $0.kind == ConvolutionLayer.kind } ? "cnn"
            : (layers.contains { $0.kind == DenseLayer.kind } ? "mlp" : "generic"))
        let blocks = layers.compactMap(\.attention)
        var warnings: [String] = []
        if hints.givesHeads && !layers.contains(where: { $0.kind == AttentionLayer.kind }) {
            warnings.append("the config gives attention heads but no attention layer was recognised: the file's names fit no known family")
        }
        let matrices = tensors.filter { $0.isFloatingPoint && $0.shape.count == 2 }.map(\.name)
        let placed = Set(layers.filter(\.recognised).flatMap(\.tensors))
        let unrecognised = matrices.filter { !placed.contains($0) }
        if !matrices.isEmpty, unrecognised.count * 5 > matrices.count {
            warnings.append("\(unrecognised.count) of \(matrices.count) 2-D tensors fit no recognised layer (e.g. \(unrecognised.prefix(3).joined(separator: ", "))): they get spectra but no neuron or head analysis")
        }
        let heads = blocks.first?.heads
        let keyValueHeads = blocks.first.flatMap { $0.keyValueHeads == $0.heads ? nil : $0.keyValueHeads }
        return InferredModel(family: family, layers: layers, symmetries: symmetries, heads: heads, keyValueHeads: keyValueHeads,
                             warnings: warnings, residualWidth: residualWidth, normFolds: folds)
    }

    /// Embeddings, positions, tokens, patch convolutions and buffers, by their names.
    mutating func recogniseNamedTensors() {
        for t in tensors where t.isFloatingPoint && !isClaimed(t.name) {
            let lower = t.name.lowercased()
            let module = t.name.hasSuffix(".weight") ? String(t.name.dropLast(".weight".count)) : t.name
            if lower.hasSuffix("attn.bias") && t.shape.count == 4 || lower.hasSuffix("masked_bias") || lower.hasSuffix("attention.bias") && t.shape.count == 4 {
                vector(t.name, kind: InferredLayer.tensorKind, reason: "a causal-mask buffer, not a weight")
            } else if lower.hasSuffix("inv_freq") {
                vector(t.name, kind: InferredLayer.tensorKind, reason: "RoPE frequencies (a buffer, not a weight)")
            } else if ["cls_token", "class_embedding", "reg_token", "register_tokens", "mask_token", "dist_token"].contains(where: { lower.hasSuffix($0) }) {
                vector(t.name, kind: ClassTokenLayer.kind, reason: "a learned token, not a matrix of units")
            } else if ["patch_embed.proj", "patch_embeddings.projection", "patch_embedding"].contains(where: { module.hasSuffix($0) }), t.shape.count == 4 {
                matrix(module, kind: ConvolutionLayer.kind, role: "patch_embedding")
            } else if t.shape.count >= 2, ["position_embedding", "wpe", "pos_embed"].contains(where: { lower.contains($0) }) {
                add(InferredLayer(name: module, kind: LearnedPositionsLayer.kind, weight: t.name, shape: t.shape, tensors: [t.name]))
            } else if t.shape.count == 2, ["embed", "wte", "shared.weight", "relative_attention_bias"].contains(where: { lower.contains($0) }),
                      !lower.contains("mapping") {
                add(InferredLayer(name: module, kind: EmbeddingLayer.kind, weight: t.name, shape: t.shape, tensors: [t.name]))
            }
        }
        // Normalisations outside blocks (final norms, embedding norms) and every BatchNorm.
        for t in tensors where t.isFloatingPoint && !isClaimed(t.name) && t.shape.count == 1 {
            let module = Self.parent(t.name)
            let lower = module.lowercased()
            if has("\(module).running_mean") || has("\(module).running_var") {
                continue  // with its convolution
            } else if ["norm", "ln_", "layrnorm", "ln"].contains(where: { lower.split(separator: ".").last?.contains($0) ?? false }) || lower.hasSuffix("layernorm") {
                let rms = ["llama", "mistral", "qwen2", "qwen3", "t5"].contains(families.first ?? "") && !has("\(module).bias")
                norm(module, kind: rms ? RMSNormLayer.kind : LayerNormLayer.kind)
                // The final RMSNorm feeds the output head (unless it is tied to the embedding).
                if rms, families.first != "t5", has("\(module).weight"), let head = weightName("lm_head"), shapes[head]?.count == 2 {
                    folds.append(NormFold(gain: "\(module).weight", readers: [UnitSlice(head, axis: 1)]))
                }
            }
        }
    }

    /// Whether a module is named as a model's head or pooler (placed, though not chained).
    static func isHead(_ module: String) -> Bool {
        let lower = module.lowercased()
        let last = lower.split(separator: ".").last.map(String.init) ?? lower
        return ["pooler", "classifier", "lm_head", "head", "projection", "embed_out", "predictions", "score", "mapping", "vocab_"].contains { lower.contains($0) }
            || ["fc", "proj", "decoder", "logits"].contains(last)
    }

    /// Everything not yet in a row: matrices (whatever their names end with) get spectra; the
    /// rest is reported with the reason it is not analysed.
    mutating func reportTheRest(placed: Bool) {
        for t in tensors where !isClaimed(t.name) {
            if !t.isFloatingPoint {
                add(InferredLayer(name: t.name, kind: InferredLayer.tensorKind, weight: nil, shape: t.shape,
                                  status: "skipped: integer tensor (a buffer, not a weight)", tensors: [t.name]))
                continue
            }
            if t.shape.count == 1, has("\(Self.parent(t.name)).running_mean") || has("\(Self.parent(t.name)).running_var") {
                norm(Self.parent(t.name), kind: BatchNormLayer.kind)
                continue
            }
            let module = t.name.hasSuffix(".weight") ? String(t.name.dropLast(".weight".count)) : t.name
            if t.shape.count == 2 || t.shape.count == 4 {
                // Paddle writes `fc_0.w_0` and `fc_0.b_0`.
                let bias = t.name.hasSuffix(".w_0") ? String(t.name.dropLast(4)) + ".b_0" : "\(module).bias"
                let tensors = [t.name] + (has(bias) && !isClaimed(bias) ? [bias] : [])
                let known = placed && Self.isHead(module)
                add(InferredLayer(name: module, kind: t.shape.count == 4 ? ConvolutionLayer.kind : DenseLayer.kind, weight: t.name, shape: t.shape,
                                  tensors: tensors, recognised: known))
            } else if t.shape.count == 1, t.name.hasSuffix(".bias") || t.name.hasSuffix(".b_0") {
                add(InferredLayer(name: t.name, kind: InferredLayer.tensorKind, weight: nil, shape: t.shape,
                                  status: "skipped: a bias whose layer was not recognised", tensors: [t.name]))
            } else {
                let what = t.shape.isEmpty || t.shape.allSatisfy({ $0 == 1 }) ? "a scalar" : "a \(t.shape.count)-D tensor that fits no recognised layer"
                add(InferredLayer(name: t.name, kind: InferredLayer.tensorKind, weight: nil, shape: t.shape, status: "skipped: \(what)", tensors: [t.name]))
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
