/// The tolerances symmetry measurements use; every report states the ones it used.
///
/// Defaults follow DESIGN.md §3. Relative thresholds suit trained networks; near θ = 0 (small
/// initialisation) everything is small, so absolute thresholds (`deadAbsolute`, `rankAbsolute`)
/// say which neurons and directions have grown away from the symmetric state.
public struct SymmetryThresholds: Hashable, Sendable, Codable {
    /// A neuron is dead when ‖u_i‖ < deadRelative × the median neuron norm of its layer
    /// (or < 1e-6 when the median is 0)…
    public var deadRelative: Double
    /// …or, when set, when ‖u_i‖ < deadAbsolute.
    public var deadAbsolute: Double?
    /// Unit-normalised neurons closer than this are the same (single-linkage clusters).
    public var distinctTolerance: Double
    /// rank_τ counts singular values above τ·σ_max…
    public var rankRelative: Double
    /// …or, when set, above this absolute value.
    public var rankAbsolute: Double?

    public init(deadRelative: Double = 1e-3, deadAbsolute: Double? = nil, distinctTolerance: Double = 1e-2,
                rankRelative: Double = 1e-3, rankAbsolute: Double? = nil) {
        (self.deadRelative, self.deadAbsolute, self.distinctTolerance) = (deadRelative, deadAbsolute, distinctTolerance)
        (self.rankRelative, self.rankAbsolute) = (rankRelative, rankAbsolute)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            deadRelative: try c.decodeIfPresent(Double.self, forKey: .deadRelative) ?? 1e-3,
            deadAbsolute: try c.decodeIfPresent(Double.self, forKey: .deadAbsolute),
            distinctTolerance: try c.decodeIfPresent(Double.self, forKey: .distinctTolerance) ?? 1e-2,
            rankRelative: try c.decodeIfPresent(Double.self, forKey: .rankRelative) ?? 1e-3,
            rankAbsolute: try c.decodeIfPresent(Double.self, forKey: .rankAbsolute))
    }

    /// Init scales below this start near θ = 0, where relative thresholds mislead.
    public static let smallInitScale = 0.1

    /// The default thresholds for a model initialised at `initScale` × the standard init:
    /// relative ones, or for a small scale absolute ones at 10 × the scale (0.1 at scale 0.01,
    /// as E1 and the demo use). Near θ = 0 every neuron is small and random, so relative
    /// thresholds call each of them alive and distinct — a fully broken state — and a run
    /// that breaks its symmetry step by step would report only restorations; an absolute
    /// threshold well above the initial norms (about the scale) counts the neurons and
    /// directions that have grown away from θ = 0.
    public static func defaults(initScale: Double) -> SymmetryThresholds {
        guard initScale > 0, initScale < smallInitScale else { return SymmetryThresholds() }
        return SymmetryThresholds(deadAbsolute: 10 * initScale, rankAbsolute: 10 * initScale)
    }

    /// The thresholds at which ranks are also reported.
    public static let reportedRankThresholds = [1e-2, 1e-3, 1e-4]
}
