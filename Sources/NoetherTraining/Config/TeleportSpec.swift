import NoetherSymmetry

/// Symmetry teleportation as an optimiser option (`control: {teleport: {every, steps, group}}`,
/// DESIGN.md §9): every `every` steps, before the step, θ jumps along its rescaling and GL
/// groups to a point of the same batch loss with a larger gradient norm (``Teleportation``).
///
/// The jump changes the coordinates the optimiser's state (momentum, Adam's moments) was
/// accumulated in; that state is kept as it is, as in Zhao et al.'s SGD setting.
public struct TeleportSpec: Hashable, Sendable, Codable {
    /// Jump before every step whose number of completed steps is a positive multiple of this.
    public var every: Int
    /// Gradient-ascent steps on the group parameters per jump (0: no jumps, a null control).
    public var steps: Int
    /// `all`, `rescaling`, `gl`, or one layer label of the symmetry catalogue.
    public var group: String
    /// The size of one ascent step in the group's algebra coordinates (Frobenius norm over
    /// every moved group; 0.1 ≈ a 10% change of scale).
    public var rate: Double
    /// The largest relative change of the batch loss a jump may make; a larger one is undone.
    public var tolerance: Double

    public init(every: Int = 100, steps: Int = 10, group: String = "all", rate: Double = 0.1, tolerance: Double = 1e-5) {
        (self.every, self.steps, self.group, self.rate, self.tolerance) = (every, steps, group, rate, tolerance)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = TeleportSpec()
        self.init(every: try c.decodeIfPresent(Int.self, forKey: .every) ?? defaults.every,
                  steps: try c.decodeIfPresent(Int.self, forKey: .steps) ?? defaults.steps,
                  group: try c.decodeIfPresent(String.self, forKey: .group) ?? defaults.group,
                  rate: try c.decodeIfPresent(Double.self, forKey: .rate) ?? defaults.rate,
                  tolerance: try c.decodeIfPresent(Double.self, forKey: .tolerance) ?? defaults.tolerance)
    }

    public func validate() throws(RunError) {
        guard every > 0 else { throw RunError("control.teleport.every must be positive, got \(every)") }
        guard steps >= 0, steps <= 10_000 else { throw RunError("control.teleport.steps must be in 0…10000, got \(steps)") }
        guard rate > 0, rate.isFinite else { throw RunError("control.teleport.rate must be positive, got \(rate)") }
        guard tolerance > 0, tolerance <= 1e-2 else {
            throw RunError("control.teleport.tolerance must be in (0, 0.01], got \(tolerance)", hint: "DESIGN.md §9 checks the loss to 1e-5 relative")
        }
        guard !group.isEmpty else { throw RunError("control.teleport.group must be all, rescaling, gl or a layer label") }
    }

    /// The jump this spec asks for on a model's catalogue.
    public func teleportation(catalogue: [SymmetrySpec]) throws(RunError) -> Teleportation {
        let groups = TeleportGroups.select(group, from: catalogue)
        guard !groups.isEmpty else {
            let layers = Set(TeleportGroups.select("all", from: catalogue).map(\.layer)).sorted()
            throw RunError("control.teleport.group '\(group)' selects no rescaling or GL group of this model",
                           hint: layers.isEmpty ? "this model has no rescaling or GL symmetry to teleport along; remove control.teleport"
                                                : "use all, rescaling, gl or one of: \(layers.joined(separator: ", "))")
        }
        return Teleportation(groups: groups, steps: steps, rate: rate, tolerance: tolerance)
    }
}
