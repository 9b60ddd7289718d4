import Foundation
import NoetherIO

/// The files of one run: `config.json`, `metrics.jsonl`, `events.jsonl`, `checkpoints/`,
/// `summary.json` and the final `weights.safetensors`.
public struct RunDirectory: Sendable {
    public let path: String

    public init(_ path: String) { self.path = path }

    public var configPath: String { "\(path)/config.json" }
    public var metricsPath: String { "\(path)/metrics.jsonl" }
    public var eventsPath: String { "\(path)/events.jsonl" }
    public var summaryPath: String { "\(path)/summary.json" }
    public var weightsPath: String { "\(path)/weights.safetensors" }
    public var checkpointsPath: String { "\(path)/checkpoints" }
    /// Weights saved during training (`training.snapshot_every`).
    public var snapshotsPath: String { "\(path)/snapshots" }

    /// The weights file of the snapshot at `step`.
    public func snapshotPath(step: Int) -> String { "\(snapshotsPath)/step-\(String(format: "%08d", step)).safetensors" }

    /// The steps that have a snapshot, in order.
    public func snapshotSteps() -> [Int] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: snapshotsPath)) ?? []
        return files.compactMap { name in
            guard name.hasPrefix("step-"), name.hasSuffix(".safetensors") else { return nil }
            return Int(name.dropFirst("step-".count).dropLast(".safetensors".count))
        }.sorted()
    }

    /// Creates the directory (and its parents).
    public func create() throws(RunError) {
        do {
            try FileManager.default.createDirectory(atPath: checkpointsPath, withIntermediateDirectories: true)
        } catch {
            throw RunError("cannot create run directory \(path): \(error.localizedDescription)")
        }
    }

    /// Removes what an interrupted process leaves behind: temporary files of atomic writes
    /// (`.name.tmp-PID`), checkpoints being written (`step-N.partial`), checkpoints whose
    /// removal was cut short (`step-N.removing`) and any `step-N` folder missing one of its files. Call it while
    /// holding the run's lock; complete checkpoints are never touched.
    public func removeLeftovers() {
        let manager = FileManager.default
        for folder in [path, checkpointsPath, snapshotsPath] {
            for name in (try? manager.contentsOfDirectory(atPath: folder)) ?? [] where name.hasPrefix(".") && name.contains(".tmp-") {
                try? manager.removeItem(atPath: "\(folder)/\(name)")
            }
        }
        for name in (try? manager.contentsOfDirectory(atPath: checkpointsPath)) ?? [] where name.hasPrefix("step-") {
            let folder = "\(checkpointsPath)/\(name)"
            let complete = ["state.json", "weights.safetensors", "optimizer.safetensors"].allSatisfy { manager.fileExists(atPath: "\(folder)/\($0)") }
            if Int(name.dropFirst("step-".count)) == nil || !complete {
                try? manager.removeItem(atPath: folder)
            } else {
                for file in (try? manager.contentsOfDirectory(atPath: folder)) ?? [] where file.hasPrefix(".") && file.contains(".tmp-") {
                    try? manager.removeItem(atPath: "\(folder)/\(file)")
                }
            }
        }
    }

    /// Whether anything of a run is here.
    public var exists: Bool { FileManager.default.fileExists(atPath: configPath) }

    /// Removes every file a run writes, leaving other files alone.
    public func clear() throws(RunError) {
        for item in [configPath, metricsPath, eventsPath, summaryPath, weightsPath, checkpointsPath, snapshotsPath] {
            if FileManager.default.fileExists(atPath: item) {
                do { try FileManager.default.removeItem(atPath: item) } catch { throw RunError("cannot remove \(item): \(error.localizedDescription)") }
            }
        }
        removeTensorBoardFiles()
    }

    /// Deletes the run's TensorBoard event files.
    public func removeTensorBoardFiles() {
        for file in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] where file.hasPrefix("events.out.tfevents") {
            try? FileManager.default.removeItem(atPath: "\(path)/\(file)")
        }
    }

    /// Writes JSON atomically.
    public func writeJSON(_ data: Data, to file: String) throws(RunError) {
        do { try AtomicWrite.write(data, to: file) } catch { throw RunError(error) }
    }

    /// The resolved config recorded by an earlier run here, if any.
    public func recordedConfig() -> RunConfig? {
        guard let data = FileManager.default.contents(atPath: configPath) else { return nil }
        return try? JSONFormat.decoder(snakeCaseKeys: true).decode(RunConfig.self, from: data)
    }

    /// The parsed `summary.json`, if the run finished.
    public func summary() -> RunSummary? {
        guard let data = FileManager.default.contents(atPath: summaryPath) else { return nil }
        return try? JSONFormat.decoder().decode(RunSummary.self, from: data)
    }
}

/// What `summary.json` records about a finished run.
public struct RunSummary: Codable, Hashable, Sendable {
    public var name: String
    public var status: String
    public var steps: Int
    public var configHash: String
    public var parameterCount: Int
    /// The last evaluation's metrics.
    public var final: [String: Double]
    public var wallTimeSeconds: Double
    public var stepsPerSecond: Double

    public init(name: String, status: String, steps: Int, configHash: String, parameterCount: Int, final: [String: Double],
                wallTimeSeconds: Double, stepsPerSecond: Double) {
        (self.name, self.status, self.steps, self.configHash, self.parameterCount) = (name, status, steps, configHash, parameterCount)
        (self.final, self.wallTimeSeconds, self.stepsPerSecond) = (final, wallTimeSeconds, stepsPerSecond)
    }

    enum CodingKeys: String, CodingKey {
        case name, status, steps, configHash = "config_hash", parameterCount = "parameter_count", final
        case wallTimeSeconds = "wall_time_seconds", stepsPerSecond = "steps_per_second"
    }
}
