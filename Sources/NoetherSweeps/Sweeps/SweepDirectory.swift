import Foundation
import NoetherIO
import NoetherTraining

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

/// A sweep on disk: `trials.jsonl`, `sweep.json`, `trials/<index>-<hash8>/` run directories
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
        try adoptRenumberedRuns(trials)
        let manifest = SweepManifest(name: spec.name, metric: spec.metric ?? "test_loss", sweptKeys: spec.sweptKeys, trialCount: trials.count)
        do { try AtomicWrite.write(try JSONFormat.encoder().encode(manifest), to: manifestPath) } catch {
            throw RunError("cannot write \(manifestPath): \(error)")
        }
        return trials
    }

    public func trials() throws(RunError) -> [Trial] { try Trial.read(trialsPath) }

    /// Renames run directories of an earlier expansion whose trial now has another index (grid
    /// values were inserted before it), so a finished or started trial is not run again. A
    /// directory belongs to a trial when its hash matches: same hash, same computation.
    @discardableResult
    public func adoptRenumberedRuns(_ trials: [Trial]) throws(RunError) -> Int {
        let root = "\(path)/trials"
        let files = FileManager.default
        guard let names = try? files.contentsOfDirectory(atPath: root) else { return 0 }
        let current = Set(trials.map { (runDirectory(of: $0) as NSString).lastPathComponent })
        // `<index>-<hash8>` directories no current trial owns, by hash.
        var orphans: [Substring: String] = [:]
        for name in names.sorted() where !current.contains(name) {
            guard let dash = name.firstIndex(of: "-") else { continue }
            let hash = name[name.index(after: dash)...]
            if orphans[hash] == nil { orphans[hash] = name }
        }
        var adopted = 0
        for trial in trials {
            let target = runDirectory(of: trial)
            guard !files.fileExists(atPath: target), let name = orphans.removeValue(forKey: trial.hash.prefix(8)) else { continue }
            // A trial still running under its old name must not have its directory moved.
            let lock = try RunLock(directory: "\(root)/\(name)")
            do { try files.moveItem(atPath: "\(root)/\(name)", toPath: target) } catch {
                throw RunError("cannot rename \(root)/\(name) to \(target): \(error.localizedDescription)")
            }
            withExtendedLifetime(lock) {}
            let (oldLog, newLog) = ("\(logsPath)/\(name).log", logPath(of: trial))
            if files.fileExists(atPath: oldLog), !files.fileExists(atPath: newLog) { try? files.moveItem(atPath: oldLog, toPath: newLog) }
            adopted += 1
        }
        return adopted
    }

    /// The manifest; for a `trials.jsonl` made elsewhere, one inferred from the trials.
    public func manifest() throws(RunError) -> SweepManifest {
        if let data = FileManager.default.contents(atPath: manifestPath),
           let manifest = try? JSONDecoder().decode(SweepManifest.self, from: data) { return manifest }
        let trials = try trials()
        let keys = Set(trials.flatMap(\.overrides.keys)).sorted()
        return SweepManifest(name: (path as NSString).lastPathComponent, metric: "test_loss", sweptKeys: keys, trialCount: trials.count)
    }

    public func runDirectory(of trial: Trial) -> String { trial.directory(in: path) }

    /// Named like the run directory, so a log never mixes two trials.
    public func logPath(of trial: Trial) -> String { "\(logsPath)/\((runDirectory(of: trial) as NSString).lastPathComponent).log" }

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
