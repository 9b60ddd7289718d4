import Foundation

/// One of the paper's claims as a declarative experiment (`experiments/E*.yaml`): a base run
/// config, the runs derived from it by overrides, a smaller `quick` form, and the analysis that
/// decides whether the claim holds.
public struct ExperimentSpec: Codable, Sendable {
    /// A run of the experiment: a name and the settings it changes (dotted key paths).
    public struct Run: Codable, Sendable {
        public var name: String
        public var set: [String: JSONValue]
        /// A label for figures (default: the name).
        public var label: String?
    }

    /// The quick form: extra overrides for every run, and optionally a subset of runs.
    public struct Quick: Codable, Sendable {
        public var set: [String: JSONValue]?
        public var runs: [String]?
    }

    public var id: String
    public var title: String
    public var claim: String
    /// Where in the paper (or its references) the claim is made.
    public var source: String?
    /// The quantitative criterion, in words (the analysis implements it).
    public var criterion: String
    /// The analysis that turns the runs into evidence, a verdict and figures.
    public var analysis: String
    /// Settings that are ours because the paper is silent.
    public var ours: [String]
    public var base: RunConfig
    public var runs: [Run]
    public var quick: Quick?
    /// Parameters of the analysis (thresholds, probe sizes).
    public var parameters: [String: JSONValue]?

    /// The experiment IDs, in order.
    public static let identifiers = (1...10).map { "E\($0)" }

    /// Loads `<ID>.yaml` from the experiments folder.
    public static func load(_ id: String, from directory: String) throws(RunError) -> ExperimentSpec {
        let path = "\(directory)/\(id).yaml"
        guard FileManager.default.fileExists(atPath: path) else {
            throw RunError("no experiment '\(id)' in \(directory); `noether reproduce --list` shows the experiments")
        }
        return try ConfigLoader.load(ExperimentSpec.self, from: path)
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

    /// The run configs of the experiment (quick or full), named `<ID>-<run>`.
    public func configurations(quick: Bool, seed: UInt64?) throws(RunError) -> [(run: Run, config: RunConfig)] {
        let selected = quick ? runs.filter { self.quick?.runs?.contains($0.name) ?? true } : runs
        var result: [(Run, RunConfig)] = []
        for run in selected {
            var config = try ConfigOverrides.apply(overrides(of: run, quick: quick).mapValues(\.foundation), to: base, source: "\(id) run \(run.name)")
            config.name = "\(id)-\(run.name)"
            if let seed { config.seed = seed }
            config.output = nil
            result.append((run, config))
        }
        return result
    }

    /// What a run sets on the base config: its own overrides, and in quick form the quick
    /// overrides it does not set itself.
    public func overrides(of run: Run, quick: Bool) -> [String: JSONValue] {
        var set = run.set
        if quick { for (key, value) in self.quick?.set ?? [:] where set[key] == nil { set[key] = value } }
        return set
    }

    /// A number parameter of the analysis.
    public func parameter(_ name: String, default value: Double) -> Double { parameters?[name]?.number ?? value }
}
