import NoetherNN

/// What a weights file is, inferred from its tensor names and shapes: its layers (each with
/// a status) and the symmetries whose specs apply to it.
public struct InferredModel: Sendable {
    /// The recognised naming family (`bert`, `llama`, `gpt2`, `resnet`, … see
    /// ``WeightInference``), `mlp` or `cnn` for plain chains, `generic` when nothing fits.
    public let family: String
    public let layers: [InferredLayer]
    /// Permutation specs of neuron layers and channel spaces, and the per-head (per-group)
    /// specs of attention blocks, over the file's own tensor names and axes.
    public let symmetries: [SymmetrySpec]
    /// The attention head count used (nil when there is no attention or it is unknown).
    public let heads: Int?
    /// Key/value heads when fewer than query heads (grouped-query attention).
    public let keyValueHeads: Int?
    /// What a reader should know: heads given but no attention found, many unrecognised matrices.
    public let warnings: [String]
    /// The residual stream's width, when the family has one.
    public let residualWidth: Int?
    /// RMSNorm gains and the weights that read their output (`--fold-norms`).
    public let normFolds: [NormFold]

    public init(family: String, layers: [InferredLayer], symmetries: [SymmetrySpec], heads: Int?, keyValueHeads: Int? = nil,
                warnings: [String] = [], residualWidth: Int? = nil, normFolds: [NormFold] = []) {
        (self.family, self.layers, self.symmetries, self.heads, self.keyValueHeads) = (family, layers, symmetries, heads, keyValueHeads)
        (self.warnings, self.residualWidth, self.normFolds) = (warnings, residualWidth, normFolds)
    }
}

/// An RMSNorm gain g and the weights W that read the normalised stream: W diag(g) computes the
/// same function with a gain-free norm, which commutes with every rotation of the stream.
public struct NormFold: Hashable, Sendable {
    public let gain: String
    /// The readers' weights with the axis that indexes the stream (1 for `[out, in]`).
    public let readers: [UnitSlice]

    public init(gain: String, readers: [UnitSlice]) { (self.gain, self.readers) = (gain, readers) }
}

/// One row of an analysis: a weight matrix, an attention or gated-MLP block, or tensors that
/// are reported but not analysed.
///
/// `kind` is a layer kind of the model graph (``LayerRegistry``: `dense`, `conv2d`,
/// `attention`, `gated_mlp`, `layer_norm`, `rms_norm`, `batch_norm`, `embedding`,
/// `learned_positions`, `class_token`, `layer_scale`), so that a checkpoint is described in the
/// words a Noether model is built from; ``InferredLayer/tensorKind`` (`tensor`) is the one
/// addition, for tensors that fit no layer.
public struct InferredLayer: Hashable, Sendable {
    /// Tensors that are not a layer's parameters (buffers, unrecognised tensors).
    public static let tensorKind = "tensor"

    public let name: String
    public let kind: String
    /// What the weight does in its block (`attention.query`, `mlp.up`, `mlp.down`, …), if known.
    public let role: String?
    /// The weight tensor analysed (nil for block rows and skipped tensors).
    public let weight: String?
    /// The weight's shape as stored.
    public let shape: [Int]
    /// Whether the stored weight is [in, out] (GPT-2's Conv1D) rather than PyTorch's [out, in].
    public let transposed: Bool
    /// "ok" or "skipped: reason".
    public let status: String
    /// Every tensor of the file this row accounts for.
    public let tensors: [String]
    /// For attention rows: the block, as the graph's attention layer states it.
    public let attention: AttentionStructure?
    /// For attention rows of rotary models: the rotated dimensions of each head (pairs i, i + r/2).
    public let rotaryDimensions: Int?
    /// For gated-MLP rows: the block, as the graph's gated MLP layer states it.
    public let gatedMLP: GatedMLPStructure?
    /// Whether a family recogniser or a chain placed the tensor (false: a lone matrix).
    public let recognised: Bool
    /// Caveats (`orientation ambiguous: …`).
    public let flags: [String]

    public init(name: String, kind: String, role: String? = nil, weight: String?, shape: [Int], transposed: Bool = false,
                status: String = "ok", tensors: [String], attention: AttentionStructure? = nil, rotaryDimensions: Int? = nil,
                gatedMLP: GatedMLPStructure? = nil, recognised: Bool = true, flags: [String] = []) {
        (self.name, self.kind, self.role, self.weight, self.shape, self.transposed) = (name, kind, role, weight, shape, transposed)
        (self.status, self.tensors, self.attention, self.rotaryDimensions, self.gatedMLP) = (status, tensors, attention, rotaryDimensions, gatedMLP)
        (self.recognised, self.flags) = (recognised, flags)
    }

    /// The attention block's label (its per-head specs are scoped by it).
    public var attentionBlock: String? { attention?.label }

    public static func == (a: InferredLayer, b: InferredLayer) -> Bool {
        a.name == b.name && a.kind == b.kind && a.tensors == b.tensors && a.status == b.status
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(kind)
        hasher.combine(tensors)
    }
}
