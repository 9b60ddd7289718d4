import Foundation
import NoetherIO

/// What `sweep.json` records about a sweep, so that `collect` needs only the directory.
public struct SweepManifest: Codable, Sendable, Equatable {
    public var name: String
    /// The metric the report plots (a name in the trials' `metrics.jsonl`).
    public var metric: String
    public var sweptKeys: [String]
    public var trialCount: Int

    enum CodingKeys: String, CodingKey {
        case name, metric, sweptKeys = "swept_keys", trialCount = "trial_count"
    }
}

/// A sweep on disk: `trials.jsonl`, `sweep.json`, `trials/<index>-<hash>/` run directories
/// and `logs/`. Every executor reads and writes the same layout, so a sweep started on one
/// executor can be finished on another.
public struct SweepDirectory: Sendable {
    public let path: String

    public init(_ path: String) { self.path = path.isEmpty ? "." : path }

    /// The sweep directory of a `trials.jsonl` path.
    public init(trialsPath: String) { self.init((trialsPath as NSString).deletingLastPathComponent) }

    public var trialsPath: String { "\(path)/trials.jsonl" }
    public var manifestPath: String { "\(path)/sweep.json" }
    public var logsPath: String { "\(path)/logs" }

    /// Expands `spec` and writes `trials.jsonl` and `sweep.json`. Expansion is deterministic,
    /// so writing again over an earlier expansion of the same spec changes nothing.
    @discardableResult
    public func prepare(_ spec: SweepSpec) throws(RunError) -> [Trial] {
        let trials = try spec.expand()
        try Trial.write(trials, to: trialsPath)
        let manifest = SweepManifest(name: spec.name, metric: spec.metric ?? "test_loss", sweptKeys: spec.sweptKeys, trialCount: trials.count)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do { try AtomicWrite.write(try encoder.encode(manifest), to: manifestPath) } catch {
            throw RunError("cannot write \(manifestPath): \(error)")
        }
        return trials
    }

    public func trials() throws(RunError) -> [Trial] { try Trial.read(trialsPath) }

    /// The manifest; for a `trials.jsonl` made elsewhere, one inferred from the trials.
    public func manifest() throws(RunError) -> SweepManifest {
        if let data = FileManager.default.contents(atPath: manifestPath),
           let manifest = try? JSONDecoder().decode(SweepManifest.self, from: data) { return manifest }
        let trials = try trials()
        let keys = Set(trials.flatMap(\.overrides.keys)).sorted()
        return SweepManifest(name: (path as NSString).lastPathComponent, metric: "test_loss", sweptKeys: keys, trialCount: trials.count)
    }

    public func runDirectory(of trial: Trial) -> String { trial.directory(in: path) }

    public func logPath(of trial: Trial) -> String { "\(logsPath)/\(String(format: "%04d", trial.index)).log" }

    /// The state of a trial, from its run directory.
    public func state(of trial: Trial) -> TrialState {
        let directory = runDirectory(of: trial)
        if RunDirectory(directory).summary()?.status == "completed" { return .completed }
        if FileManager.default.fileExists(atPath: "\(directory)/\(TrialRunner.errorFile)") { return .failed }
        return FileManager.default.fileExists(atPath: "\(directory)/config.json") ? .started : .pending
    }

    /// The recorded error of a failed trial.
    public func error(of trial: Trial) -> String? {
        (try? String(contentsOfFile: "\(runDirectory(of: trial))/\(TrialRunner.errorFile)", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The trials an executor should run: not completed, and not failed unless `retryFailed`.
    public func runnable(_ trials: [Trial], retryFailed: Bool) -> [Trial] {
        trials.filter { trial in
            switch state(of: trial) {
            case .completed: false
            case .failed: retryFailed
            case .pending, .started: true
            }
        }
    }
}
