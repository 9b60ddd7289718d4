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

    public static func < (a: SymmetryKind, b: SymmetryKind) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The entries of one parameter that belong to the units (neurons, channels, head dimensions)
/// a symmetry acts on: along `axis`, unit u owns the indices `offset + u·block ..< offset + (u+1)·block`.
public struct UnitSlice: Hashable, Sendable, Codable {
    public let name: String
    public let axis: Int
    public let offset: Int
    public let block: Int

    public init(_ name: String, axis: Int, offset: Int = 0, block: Int = 1) {
        (self.name, self.axis, self.offset, self.block) = (name, axis, offset, block)
    }
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

    public init(_ kind: SymmetryKind, layer: String, units: Int, incoming: [UnitSlice], outgoing: [UnitSlice] = [], uniform: Bool = false) {
        (self.kind, self.layer, self.units, self.incoming, self.outgoing, self.uniform) = (kind, layer, units, incoming, outgoing, uniform)
    }

    /// The names of the parameters it acts on.
    public var parameterNames: [String] {
        var seen = Set<String>()
        return (incoming + outgoing).map(\.name).filter { seen.insert($0).inserted }
    }
}
