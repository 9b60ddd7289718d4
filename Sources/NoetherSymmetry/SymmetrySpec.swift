import NoetherNN
import NoetherTensor

/// The parameter symmetries of DESIGN.md §3.
public enum SymmetryKind: String, Codable, Sendable, CaseIterable, Comparable {
    /// Exchanging neurons, channels or heads: rows of W_ℓ, entries of b_ℓ, columns of W_{ℓ+1}.
    case permutation
    /// w_i → c·w_i, a_i → a_i/c for positively homogeneous activations (and DCS gates).
    case rescaling
    /// (w_i, b_i, a_i) → −(w_i, b_i, a_i) for odd activations.
    case signFlip = "sign_flip"
    /// W_{ℓ+1} M⁻¹, M W_ℓ for consecutive linear maps.
    case rotation
    /// W_Q M, W_K M⁻ᵀ and W_V N, W_O N⁻¹ per attention head.
    case doubleRotation = "double_rotation"
    /// W → cW for weights directly before a normalisation.
    case scale
    /// Adding a constant to softmax logits (or to attention keys' bias).
    case translation
    /// Gated MLPs: row i of W_up × c, column i of W_down ÷ c, any c ≠ 0.
    case gatedRescaling = "gated_rescaling"
    /// Grouped-query attention: one W_Q M, W_K M⁻ᵀ (and W_V N, W_O N⁻¹) per key/value group.
    case groupedDoubleRotation = "grouped_double_rotation"
    /// Query/key rotations that commute with RoPE: a scaled 2×2 rotation per frequency pair.
    case ropeRotation = "rope_rotation"
    /// An orthogonal map of the residual stream (every write Q·, every read ·Qᵀ).
    case residualStreamRotation = "residual_stream_rotation"
    /// The weights (and bias) before a normalisation × c > 0: per channel for BatchNorm, the
    /// whole layer for LayerNorm and RMSNorm.
    case normScale = "norm_scale"

    public static func < (a: SymmetryKind, b: SymmetryKind) -> Bool {
        (allCases.firstIndex(of: a) ?? 0) < (allCases.firstIndex(of: b) ?? 0)
    }
}

/// What a symmetry's units are, so reports can group symmetries without reading their labels.
public enum SymmetryScope: Hashable, Sendable, Codable {
    /// Neurons or channels of a layer, or of a residual stream of them.
    case units
    /// The features of a token stream: a gauge, reported but not a layer of neurons.
    case residualStream
    /// The heads of an attention block (multi-head), or its key/value groups (grouped-query).
    case heads(block: String)
    /// The query heads within one key/value group.
    case headsInGroup(block: String, group: Int)
    /// One head's (or one key/value group's) query/key or value/output pair.
    case head(block: String, index: Int, pair: HeadPair)
    /// The hidden units of a gated MLP.
    case gatedUnits
    /// A DCS gate and its weights.
    case gate
    /// The output logits (or the attention keys' bias).
    case logits

    public enum HeadPair: String, Hashable, Sendable, Codable { case queryKey = "qk", valueOutput = "vo" }
}

/// One symmetry of a model, as data: which parameter slices a group element acts on and how.
///
/// `incoming` slices transform covariantly (multiplied by c, by M, flipped), `outgoing`
/// slices contravariantly (by 1/c, by M⁻ᵀ, flipped); a permutation moves both alike. A
/// translation adds a shift to the `incoming` slices — the same for every unit when `uniform`.
public struct SymmetrySpec: Hashable, Sendable, Codable {
    public let kind: SymmetryKind
    /// The layer (or head, or gate) it belongs to, in parameter-name terms.
    public let layer: String
    /// The number of units the group acts on.
    public let units: Int
    public let incoming: [UnitSlice]
    public let outgoing: [UnitSlice]
    /// Translations: whether every unit is shifted by the same amount.
    public let uniform: Bool
    /// What its units are.
    public let scope: SymmetryScope

    public init(_ kind: SymmetryKind, layer: String, units: Int, incoming: [UnitSlice], outgoing: [UnitSlice] = [], uniform: Bool = false,
                scope: SymmetryScope = .units) {
        (self.kind, self.layer, self.units, self.incoming, self.outgoing, self.uniform) = (kind, layer, units, incoming, outgoing, uniform)
        self.scope = scope
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(try c.decode(SymmetryKind.self, forKey: .kind), layer: try c.decode(String.self, forKey: .layer),
                  units: try c.decode(Int.self, forKey: .units), incoming: try c.decode([UnitSlice].self, forKey: .incoming),
                  outgoing: try c.decodeIfPresent([UnitSlice].self, forKey: .outgoing) ?? [],
                  uniform: try c.decodeIfPresent(Bool.self, forKey: .uniform) ?? false,
                  scope: try c.decodeIfPresent(SymmetryScope.self, forKey: .scope) ?? .units)
    }

    /// For a key/value group's pair, the number of query heads it serves (1 for a single head).
    public var memberCount: Int {
        guard case .head(_, _, let pair) = scope else { return 1 }
        let slices = pair == .queryKey ? incoming : outgoing
        return max(slices.filter { $0.name == slices.first?.name }.count, 1)
    }

    /// The names of the parameters it acts on.
    public var parameterNames: [String] {
        var seen = Set<String>()
        return (incoming + outgoing).map(\.name).filter { seen.insert($0).inserted }
    }
}
