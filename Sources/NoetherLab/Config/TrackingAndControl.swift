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

    public init(enabled: Bool = true, every: Int? = nil, thresholds: SymmetryThresholds = SymmetryThresholds(),
                persistence: Int = 5, conserved: Bool = true) {
        (self.enabled, self.every, self.thresholds, self.persistence, self.conserved) = (enabled, every, thresholds, persistence, conserved)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(enabled: try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? true,
                  every: try c.decodeIfPresent(Int.self, forKey: .every),
                  thresholds: try c.decodeIfPresent(SymmetryThresholds.self, forKey: .thresholds) ?? SymmetryThresholds(),
                  persistence: try c.decodeIfPresent(Int.self, forKey: .persistence) ?? 5,
                  conserved: try c.decodeIfPresent(Bool.self, forKey: .conserved) ?? true)
    }

    public func validate() throws(RunError) {
        if let every, every <= 0 { throw RunError("track.every must be positive, got \(every)") }
        guard persistence >= 1 else { throw RunError("track.persistence must be at least 1") }
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

    public init(syre: SyreSpec? = nil) { self.syre = syre }
}
