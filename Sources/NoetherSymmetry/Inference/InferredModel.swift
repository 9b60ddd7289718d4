/// What a weights file is, inferred from its tensor names and shapes: its layers (each with
/// a status) and the symmetries whose specs apply to it.
public struct InferredModel: Sendable {
    /// The recognised naming family: `noether`, `bert`, `vit`, `timm-vit`, `gpt2`, `mlp`,
    /// `cnn`, or `generic` (layers found, no family).
    public let family: String
    public let layers: [InferredLayer]
    /// Permutation specs of neuron layers and double rotations of attention heads, over the
    /// file's own tensor names and axes.
    public let symmetries: [SymmetrySpec]
    /// The attention head count used (nil when there is no attention or it is unknown).
    public let heads: Int?
}

/// One row of an analysis: a weight matrix, an attention block, or a tensor that is
/// reported but not analysed.
public struct InferredLayer: Hashable, Sendable {
    public enum Kind: String, Sendable, Codable {
        case linear, attention, feedForward = "feed_forward", convolution, embedding, normalization, buffer, other
    }

    public let name: String
    public let kind: Kind
    /// The weight tensor analysed (nil for attention rows and skipped tensors).
    public let weight: String?
    /// The weight's shape as stored.
    public let shape: [Int]
    /// Whether the stored weight is [in, out] (GPT-2's Conv1D) rather than PyTorch's [out, in].
    public let transposed: Bool
    /// "ok" or "skipped: reason".
    public let status: String
    /// For attention rows: the block prefix whose head specs (`<name>.head.<h>.qk/vo`) apply.
    public let attentionBlock: String?

    public init(name: String, kind: Kind, weight: String?, shape: [Int], transposed: Bool = false, status: String = "ok", attentionBlock: String? = nil) {
        (self.name, self.kind, self.weight, self.shape, self.transposed, self.status, self.attentionBlock) = (name, kind, weight, shape, transposed, status, attentionBlock)
    }
}
