import NoetherNN

/// Which symmetries of the catalogue teleportation moves along: the rescaling groups and the
/// GL groups (rotations of linear blocks, attention's query/key and value/output double
/// rotations). Permutations are discrete; sign flips too; orthogonal groups (the residual
/// stream's, RoPE's) leave the gradient norm unchanged; translations and norm scales are left out.
public enum TeleportGroups {
    /// What `group` selects: `all`, `rescaling`, `gl`, or one layer label of the catalogue.
    public static func select(_ group: String, from catalogue: [SymmetrySpec]) -> [SymmetrySpec] {
        catalogue.filter { spec in
            guard isRescaling(spec.kind) || isGeneralLinear(spec.kind), spec.units > 0 else { return false }
            switch group {
            case "all": return true
            case "rescaling": return isRescaling(spec.kind)
            case "gl": return isGeneralLinear(spec.kind)
            default: return spec.layer == group
            }
        }
    }

    static func isRescaling(_ kind: SymmetryKind) -> Bool { kind == .rescaling || kind == .gatedRescaling }

    static func isGeneralLinear(_ kind: SymmetryKind) -> Bool {
        kind == .rotation || kind == .doubleRotation || kind == .groupedDoubleRotation
    }
}
