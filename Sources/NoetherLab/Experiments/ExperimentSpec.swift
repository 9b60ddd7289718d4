import Foundation
import NoetherSweeps
import NoetherTraining

/// One of the paper's claims as a pre-registered experiment (`experiments/E*.yaml`): a base run
/// config, the arms derived from it by overrides, the seeds, the cause the claim is about and
/// the negative controls that remove it, the fit a run must reach, a smaller `quick` form, and
/// the analysis that evaluates the criterion on each seed.
public struct ExperimentSpec: Codable, Sendable {
    /// An arm of the experiment: a name and the settings it changes (dotted key paths).
    public struct Run: Codable, Sendable {
        public var name: String
        public var set: [String: JSONValue]
        /// A label for figures (default: the name).
        public var label: String?
        /// Added to the experiment's seed, so arms that must differ in their draws (two
        /// independently trained networks) keep distinct seeds under every `--seed`.
        public var seedOffset: UInt64?

    }

    /// A negative control: the same arms and seeds with the claim's cause removed.
    public struct Control: Codable, Sendable {
        public var name: String
        /// What is removed, in words ("weight decay: γ = 0 in every arm").
        public var causeRemoved: String
        /// Overrides applied to every arm (after the arm's own).
        public var set: [String: JSONValue]
        /// Overrides for single arms, applied after `set`.
        public var arms: [String: [String: JSONValue]]?

    }

    /// The quick form: extra overrides for every run, a subset of the arms, and its seeds.
    public struct Quick: Codable, Sendable {
        public var set: [String: JSONValue]?
        public var runs: [String]?
        public var seeds: [UInt64]?
        /// Controls run in the quick form (default: all).
        public var controls: [String]?
        /// Analysis parameters of the quick form (shorter simulations), over the full form's.
        public var parameters: [String: JSONValue]?
    }

    public var id: String
    public var title: String
    public var claim: String
    /// Where in the paper (or its references) the claim is made.
    public var source: String?
    /// The cause the claim is about (what the controls remove).
    public var cause: String
    /// The quantitative criterion, in words (the analysis implements it).
    public var criterion: String
    /// The fit a run must reach before it can count (in words; the analysis checks it).
    public var fit: String?
    /// The analysis that turns one seed's runs into evidence and a verdict.
    public var analysis: String
    /// Settings that are ours because the paper is silent.
    public var ours: [String]
    public var base: RunConfig
    public var runs: [Run]
    public var controls: [Control]
    /// The seeds of the full form (at least 5).
    public var seeds: [UInt64]
    /// The share of seeds that must hold for the claim to hold (default 0.8: 4 of 5).
    public var requiredShare: Double?
    public var quick: Quick?
    /// Parameters of the analysis (thresholds, probe sizes).
    public var parameters: [String: JSONValue]?

    /// The experiment IDs, in order.
    public static let identifiers = (1...15).map { "E\($0)" }
    /// The fewest seeds a full (quick) form may run for a verdict other than inconclusive.
    public static let minimumSeeds = (full: 5, quick: 2)

    /// Loads `<ID>.yaml` from the experiments folder.
    public static func load(_ id: String, from directory: String) throws(RunError) -> ExperimentSpec {
        let path = "\(directory)/\(id).yaml"
        guard FileManager.default.fileExists(atPath: path) else {
            throw RunError("no experiment '\(id)' in \(directory); `noether reproduce --list` shows the experiments")
        }
        let spec = try ConfigLoader.load(ExperimentSpec.self, from: path)
        try spec.validate()
        return spec
    }

    /// Checks what the file pre-registers: enough seeds, a control, a sensible share.
    public func validate() throws(RunError) {
        guard seeds.count >= Self.minimumSeeds.full else { throw RunError("\(id): the full form needs at least \(Self.minimumSeeds.full) seeds, the file lists \(seeds.count)") }
        guard Set(seeds).count == seeds.count else { throw RunError("\(id): the seeds must be distinct") }
        guard (quick?.seeds ?? seeds).count >= Self.minimumSeeds.quick else { throw RunError("\(id): the quick form needs at least \(Self.minimumSeeds.quick) seeds") }
        guard !controls.isEmpty else { throw RunError("\(id): name at least one negative control (controls:) that removes '\(cause)'") }
        if let share = requiredShare, !(share > 0 && share <= 1) { throw RunError("\(id): required_share must be in (0, 1], got \(share)") }
        let names = Set(runs.map(\.name))
        for name in (quick?.runs ?? []) + controls.flatMap({ ($0.arms ?? [:]).keys }) where !names.contains(name) {
            throw RunError("\(id): no arm named '\(name)' (arms: \(runs.map(\.name).joined(separator: ", ")))")
        }
        let controlNames = Set(controls.map(\.name))
        for name in quick?.controls ?? [] where !controlNames.contains(name) { throw RunError("\(id): no control named '\(name)'") }
    }

    /// The experiments folder: `--experiments`, else `experiments/` in the current directory or
    /// beside the repository the executable was built in.
    public static func locateDirectory(_ explicit: String?) throws(RunError) -> String {
        if let explicit { return explicit }
        guard let marker = RepositoryFiles.locate("experiments/E1.yaml") else {
            throw RunError("cannot find the experiment configs (experiments/E1.yaml …); run from the repository or pass --experiments DIR")
        }
        return (marker as NSString).deletingLastPathComponent
    }

    /// The seeds of the form, each shifted by `shift` (`--seed`).
    public func seeds(quick: Bool, shift: UInt64 = 0) -> [UInt64] {
        (quick ? self.quick?.seeds ?? Array(seeds.prefix(Self.minimumSeeds.quick)) : seeds).map { $0 &+ shift }
    }

    /// The controls the form runs.
    public func controls(quick: Bool) -> [Control] {
        guard quick, let selected = self.quick?.controls else { return controls }
        return controls.filter { selected.contains($0.name) }
    }

    /// The arms the form runs.
    public func arms(quick: Bool) -> [Run] {
        quick ? runs.filter { self.quick?.runs?.contains($0.name) ?? true } : runs
    }

    /// The run config of `arm` at `seed`, in the main experiment (`control` nil) or a control,
    /// with `forced` overrides (`--override`) applied last.
    public func configuration(of arm: Run, seed: UInt64, control: Control?, quick: Bool,
                              forced: [String: JSONValue] = [:]) throws(RunError) -> RunConfig {
        let source = "\(id) run \(arm.name)\(control.map { " (control \($0.name))" } ?? "")"
        var config = try ConfigOverrides.apply(overrides(of: arm, quick: quick).mapValues(\.foundation), to: base, source: source)
        for layer in [control?.set ?? [:], control?.arms?[arm.name] ?? [:], forced] where !layer.isEmpty {
            config = try ConfigOverrides.apply(layer.mapValues(\.foundation), to: config, source: source)
        }
        config.name = [id, control?.name, arm.name, "s\(seed)"].compactMap { $0 }.joined(separator: "-")
        config.seed = seed &+ (arm.seedOffset ?? 0)
        config.output = nil
        return config
    }

    /// The base config of a variant (for analyses that compute without training runs).
    public func baseConfiguration(seed: UInt64, control: Control?, quick: Bool, forced: [String: JSONValue] = [:]) throws(RunError) -> RunConfig {
        try configuration(of: Run(name: "base", set: [:]), seed: seed, control: control, quick: quick, forced: forced)
    }

    /// What an arm sets on the base config: its own overrides, and in quick form the quick
    /// overrides it does not set itself.
    public func overrides(of run: Run, quick: Bool) -> [String: JSONValue] {
        var set = run.set
        if quick { for (key, value) in self.quick?.set ?? [:] where set[key] == nil { set[key] = value } }
        return set
    }

    /// The seeds that must hold for the claim to hold, out of `count`.
    public func requiredSeeds(of count: Int) -> Int {
        max(1, Int((Double(count) * (requiredShare ?? 0.8) - 1e-9).rounded(.up)))
    }

    /// The spec with the quick form's analysis parameters in force.
    public func withQuickParameters() -> ExperimentSpec {
        var copy = self
        for (key, value) in quick?.parameters ?? [:] { copy.parameters = (copy.parameters ?? [:]).merging([key: value]) { $1 } }
        return copy
    }

    /// A number parameter of the analysis.
    public func parameter(_ name: String, default value: Double) -> Double { parameters?[name]?.number ?? value }
}
