import NoetherNN
import NoetherSymmetry

/// What to measure about symmetry during training (the `track:` section).
public struct TrackSpec: Hashable, Sendable, Codable {
    /// Measure symmetry at all (on by default).
    public var enabled: Bool
    /// Measure every this many steps (default: `training.eval_every`).
    public var every: Int?
    public var thresholds: SymmetryThresholds
    /// Consecutive measurements a change must persist to count as an event.
    public var persistence: Int
    /// Also track the drift of conserved quantities.
    public var conserved: Bool
    /// Deep linear networks: also record the singular values of the end-to-end map
    /// W_L ⋯ W_1 (`model/product_sv.<k>`, the largest `product` of them).
    public var product: Int
    /// Classifiers: also record neural collapse of the last hidden layer on this many training
    /// samples (`nc/nc1`, `nc/nc2_equinorm`, …; 0: off).
    public var neuralCollapse: Int
    /// Also record dead and distinct units of the last hidden layer at function level, on this
    /// many training samples (`<layer>/functional_dead`, `<layer>/functional_distinct`; 0: off).
    public var functional: Int
    /// A unit is functionally dead when its contribution to the outputs is below this fraction
    /// of the largest unit's.
    public var functionalDead: Double

    public init(enabled: Bool = true, every: Int? = nil, thresholds: SymmetryThresholds = SymmetryThresholds(),
                persistence: Int = 5, conserved: Bool = true, product: Int = 0, neuralCollapse: Int = 0,
                functional: Int = 0, functionalDead: Double = 1e-3) {
        (self.enabled, self.every, self.thresholds, self.persistence, self.conserved) = (enabled, every, thresholds, persistence, conserved)
        (self.product, self.neuralCollapse, self.functional, self.functionalDead) = (product, neuralCollapse, functional, functionalDead)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(enabled: try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? true,
                  every: try c.decodeIfPresent(Int.self, forKey: .every),
                  thresholds: try c.decodeIfPresent(SymmetryThresholds.self, forKey: .thresholds) ?? SymmetryThresholds(),
                  persistence: try c.decodeIfPresent(Int.self, forKey: .persistence) ?? 5,
                  conserved: try c.decodeIfPresent(Bool.self, forKey: .conserved) ?? true,
                  product: try c.decodeIfPresent(Int.self, forKey: .product) ?? 0,
                  neuralCollapse: try c.decodeIfPresent(Int.self, forKey: .neuralCollapse) ?? 0,
                  functional: try c.decodeIfPresent(Int.self, forKey: .functional) ?? 0,
                  functionalDead: try c.decodeIfPresent(Double.self, forKey: .functionalDead) ?? 1e-3)
    }

    enum CodingKeys: String, CodingKey {
        case enabled, every, thresholds, persistence, conserved, product, neuralCollapse, functional, functionalDead
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(enabled, forKey: .enabled)
        try c.encodeIfPresent(every, forKey: .every)
        try c.encode(thresholds, forKey: .thresholds)
        try c.encode(persistence, forKey: .persistence)
        try c.encode(conserved, forKey: .conserved)
        try c.encode(product, forKey: .product)
        try c.encode(neuralCollapse, forKey: .neuralCollapse)
        // Written only when on, so configs from before these keys keep their content hash.
        if functional > 0 {
            try c.encode(functional, forKey: .functional)
            try c.encode(functionalDead, forKey: .functionalDead)
        }
    }

    public func validate() throws(RunError) {
        if let every, every <= 0 { throw RunError("track.every must be positive, got \(every)") }
        guard persistence >= 1 else { throw RunError("track.persistence must be at least 1") }
        guard product >= 0, neuralCollapse >= 0, functional >= 0 else { throw RunError("track.product, track.neural_collapse and track.functional must be ≥ 0") }
        guard functionalDead >= 0, functionalDead < 1 else { throw RunError("track.functional_dead must be in [0, 1), got \(functionalDead)") }
        let t = thresholds
        guard t.deadRelative >= 0, t.distinctTolerance > 0, t.rankRelative >= 0,
              (t.deadAbsolute ?? 0) >= 0, (t.rankAbsolute ?? 0) >= 0 else {
            throw RunError("track.thresholds must be non-negative (distinct_tolerance positive)")
        }
    }
}

/// Symmetry control beyond the optimiser's knobs (the `control:` section). Weight decay and
/// gradient noise live in `optimizer`, augmentation in `data`, init scale in `init`, DCS gates
/// in `model.gates`.
public struct ControlSpec: Hashable, Sendable, Codable {
    /// syre / syre-AR symmetry removal.
    public var syre: SyreSpec?
    /// Symmetry teleportation (DESIGN.md §9).
    public var teleport: TeleportSpec?

    public init(syre: SyreSpec? = nil, teleport: TeleportSpec? = nil) { (self.syre, self.teleport) = (syre, teleport) }
}
