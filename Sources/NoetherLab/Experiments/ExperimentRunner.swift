import Foundation
import NoetherNN
import NoetherSymmetry
import NoetherTensor

/// A finished run of an experiment, with what analyses read from it.
public struct ExperimentRun: Sendable {
    public let name: String
    public let label: String
    public let config: RunConfig
    public let result: TrainingResult
    public let directory: String
    /// Effective parameters at every evaluation step (only when the analysis asks for them).
    public let snapshots: [Int: Parameters<Float>]

    /// A metric's (step, value) series.
    public func series(_ name: String) -> [LineChart.Point] {
        result.metrics.filter { $0.name == name && $0.value.isFinite }.map { LineChart.Point(Double($0.step), $0.value) }
    }

    /// A metric's last value.
    public func last(_ name: String) -> Double? { result.metrics.last { $0.name == name }?.value }
}

/// What an analysis concludes.
public struct ExperimentOutcome: Sendable {
    public var holds: Bool
    public var evidence: [String: JSONValue]
    public var figures: [Figure]
    public var notes: [String]

    public init(holds: Bool, evidence: [String: JSONValue], figures: [Figure], notes: [String] = []) {
        (self.holds, self.evidence, self.figures, self.notes) = (holds, evidence, figures, notes)
    }
}

/// Turns an experiment's runs into evidence, a verdict and figures.
protocol ExperimentAnalysis {
    /// Whether runs should keep parameter snapshots at every evaluation.
    var needsSnapshots: Bool { get }
    func analyze(_ spec: ExperimentSpec, _ runs: [ExperimentRun], quick: Bool) throws(RunError) -> ExperimentOutcome
}

extension ExperimentAnalysis {
    var needsSnapshots: Bool { false }
}

/// Keeps the effective parameters at the start and at every evaluation.
final class SnapshotRecorder: TrainingCallback {
    var snapshots: [Int: Parameters<Float>] = [:]
    func trainingWillStart(_ state: TrainingState) { snapshots[state.step] = state.parameters }
    func evaluationDidFinish(_ state: TrainingState, metrics: [String: Double]) { snapshots[state.step] = state.parameters }
}

/// `summary.json` of an experiment.
public struct ExperimentSummary: Codable, Sendable {
    public var experiment: String
    public var title: String
    public var claim: String
    public var source: String?
    public var criterion: String
    public var holds: Bool
    public var evidence: [String: JSONValue]
    public var settings: [String: JSONValue]
    public var ours: [String]
    public var notes: [String]
    public var quick: Bool
    public var seed: UInt64
    public var runs: [String]
    public var wallTimeSeconds: Double

    enum CodingKeys: String, CodingKey {
        case experiment, title, claim, source, criterion, holds, evidence, settings, ours, notes, quick, seed, runs
        case wallTimeSeconds = "wall_time_seconds"
    }
}

/// Runs an experiment through the ordinary trainer (each run a normal, resumable run
/// directory), analyses it, and writes `summary.json`, `figures.json` and `report.html`.
public struct ExperimentRunner {
    public let spec: ExperimentSpec
    public let quick: Bool
    public let directory: String
    public let seed: UInt64?
    public let showsProgress: Bool
    /// Discard earlier runs instead of resuming them.
    public let restart: Bool
    public var onEvent: (@Sendable (SymmetryEvent) -> Void)?

    public init(spec: ExperimentSpec, quick: Bool, directory: String, seed: UInt64? = nil, showsProgress: Bool = false, restart: Bool = false) {
        (self.spec, self.quick, self.directory, self.seed, self.showsProgress, self.restart) = (spec, quick, directory, seed, showsProgress, restart)
    }

    public func run() throws(RunError) -> ExperimentSummary {
        let clock = ContinuousClock()
        guard let analysis = ExperimentAnalyses.named(spec.analysis) else {
            throw RunError("experiment \(spec.id) names an unknown analysis '\(spec.analysis)'")
        }
        var runs: [ExperimentRun] = []
        for (run, config) in try spec.configurations(quick: quick, seed: seed) {
            let recorder = analysis.needsSnapshots ? SnapshotRecorder() : nil
            let runDirectory = "\(directory)/runs/\(run.name)"
            // A finished run has no snapshots on disk: with snapshots needed, it is retrained.
            let restart = self.restart || (analysis.needsSnapshots && RunDirectory(runDirectory).summary()?.status == "completed")
            let trainer = Trainer(config: config, options: TrainingOptions(directory: runDirectory, restart: restart,
                                                                          showsProgress: showsProgress, onEvent: onEvent),
                                  callbacks: recorder.map { [$0] } ?? [])
            let result = try trainer.run()
            runs.append(ExperimentRun(name: run.name, label: run.label ?? run.name, config: config, result: result,
                                      directory: runDirectory, snapshots: recorder?.snapshots ?? [:]))
        }
        let trainingSeconds = runs.reduce(0.0) { $0 + $1.result.summary.wallTimeSeconds }
        let start = clock.now
        let outcome = try analysis.analyze(spec, runs, quick: quick)
        let elapsed = Duration.seconds(trainingSeconds) + start.duration(to: clock.now)
        let summary = ExperimentSummary(
            experiment: spec.id, title: spec.title, claim: spec.claim, source: spec.source, criterion: spec.criterion,
            holds: outcome.holds, evidence: outcome.evidence, settings: settings(runs), ours: spec.ours, notes: outcome.notes,
            quick: quick, seed: seed ?? spec.base.seed, runs: runs.map(\.name),
            wallTimeSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        try ReportWriter.write(summary: summary, figures: outcome.figures, to: directory)
        return summary
    }

    /// The base config and each run's overrides, as reported.
    func settings(_ runs: [ExperimentRun]) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        if let data = try? JSONSerialization.data(withJSONObject: ConfigLoader.encodeTree(spec.base)),
           let base = try? JSONDecoder().decode(JSONValue.self, from: data) {
            result["base"] = base
        }
        var variants: [String: JSONValue] = [:]
        for run in spec.runs where runs.contains(where: { $0.name == run.name }) {
            variants[run.name] = .object(spec.overrides(of: run, quick: quick))
        }
        result["runs"] = .object(variants)
        return result
    }
}
