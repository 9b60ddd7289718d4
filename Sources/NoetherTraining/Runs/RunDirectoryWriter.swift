import Foundation
import NoetherIO
import NoetherNN
import NoetherTensor

/// The run directory as a training callback: `metrics.jsonl` and `events.jsonl` as they grow,
/// checkpoints every `checkpointEvery` steps (and resume from the last one), weight snapshots,
/// and at the end `weights.safetensors` and `summary.json`.
///
/// Preparing the directory — its lock, `config.json`, a restart — is the caller's (``ConfigTrainer``);
/// this callback only reads and writes the run's files.
public final class RunDirectoryWriter: TrainingCallback {
    public let run: RunDirectory
    /// Continue from the last checkpoint if there is one (else start the files afresh).
    public let resumes: Bool
    public let checkpointEvery: Int
    public let snapshotEvery: Int?
    /// Recorded in checkpoints and the summary.
    public let name: String
    public let configHash: String
    private var metricsFile: JSONLinesWriter?
    private var eventsFile: JSONLinesWriter?
    /// The summary written at the end of a finished run.
    public private(set) var summary: RunSummary?

    public init(_ run: RunDirectory, resumes: Bool, checkpointEvery: Int, snapshotEvery: Int?, name: String, configHash: String) {
        (self.run, self.resumes, self.checkpointEvery, self.snapshotEvery) = (run, resumes, checkpointEvery, snapshotEvery)
        (self.name, self.configHash) = (name, configHash)
    }

    public func resumePoint(for model: Model<Float>, optimizer: OptimizerSpec) throws(RunError) -> TrainingCheckpoint? {
        var resumed: TrainingCheckpoint?
        if resumes, let last = Checkpoint.all(in: run).last {
            let (parameters, restored, state) = try Checkpoint.load(last.path, architecture: model.architecture, optimizer: optimizer)
            let metrics = try MetricRecord.read(run.metricsPath).filter { $0.step <= state.step }
            try run.writeJSON(Data(metrics.map { $0.jsonLine + "\n" }.joined().utf8), to: run.metricsPath)
            let events = try SymmetryEventLog.read(run.eventsPath).filter { $0.detectedAt <= state.step }
            try run.writeJSON(SymmetryEventLog.encode(events), to: run.eventsPath)
            resumed = TrainingCheckpoint(
                step: state.step, parameters: parameters, optimizer: restored, sampler: state.sampler, batchLossSum: state.batchLossSum,
                batchLossCount: state.batchLossCount, elapsedSeconds: state.elapsedSeconds,
                callbackStates: state.tracker.map { ["tracker": $0] } ?? [:], log: TrainingLog(metrics: metrics, events: events))
        } else {
            try run.writeJSON(Data(), to: run.metricsPath)
            try run.writeJSON(Data(), to: run.eventsPath)
        }
        metricsFile = try JSONLinesWriter(path: run.metricsPath)
        eventsFile = try JSONLinesWriter(path: run.eventsPath)
        return resumed
    }

    public func trainingWillStart(_ state: TrainingState) throws(RunError) {
        if state.step == 0 { try snapshot(state) }
    }

    public func logDidGrow(_ entries: TrainingLog, replayed: Bool) throws(RunError) {
        // Replayed entries are those of the earlier session, already in the files.
        guard !replayed else { return }
        try metricsFile?.append(entries.metrics.map(\.jsonLine))
        try eventsFile?.append(entries.events.map(SymmetryEventLog.line))
    }

    public func evaluationDidFinish(_ state: TrainingState, metrics: [String: Double]) throws(RunError) {
        try snapshot(state)
    }

    public func stepDidEnd(_ state: TrainingState) throws(RunError) {
        guard checkpointEvery > 0, state.step % checkpointEvery == 0, !state.isLastStep else { return }
        let checkpoint = state.checkpoint()
        try Checkpoint.save(in: run, parameters: checkpoint.parameters, optimizer: checkpoint.optimizer, state: CheckpointState(
            step: checkpoint.step, model: state.architecture.spec, optimizer: checkpoint.optimizer.spec, optimizerStep: checkpoint.optimizer.step,
            noise: checkpoint.optimizer.noise, sampler: checkpoint.sampler, batchLossSum: checkpoint.batchLossSum,
            batchLossCount: checkpoint.batchLossCount, elapsedSeconds: checkpoint.elapsedSeconds, tracker: checkpoint.callbackStates["tracker"]))
    }

    public func trainingDidEnd(_ outcome: TrainingOutcome) throws(RunError) {
        guard outcome.isFinished else { return }
        do {
            try SafetensorsFile.write(outcome.model.parameters.tensors, metadata: ["format": "pt", "noether_config_hash": configHash], to: run.weightsPath)
        } catch {
            throw RunError(error)
        }
        let summary = RunSummary(outcome, name: name, configHash: configHash)
        try run.writeJSON(RunSummary.json(summary), to: run.summaryPath)
        self.summary = summary
    }

    /// Weights every `snapshotEvery` steps (at evaluations and step 0) under `snapshots/`.
    private func snapshot(_ state: TrainingState) throws(RunError) {
        guard let every = snapshotEvery, state.step % every == 0 else { return }
        do {
            try FileManager.default.createDirectory(atPath: run.snapshotsPath, withIntermediateDirectories: true)
            try SafetensorsFile.write(state.parameters.tensors, metadata: ["format": "pt", "step": String(state.step)], to: run.snapshotPath(step: state.step))
        } catch { throw RunError("cannot save the snapshot of step \(state.step) in \(run.snapshotsPath): \(error)") }
    }
}

extension RunSummary {
    /// The summary of a training outcome.
    public init(_ outcome: TrainingOutcome, name: String, configHash: String) {
        self.init(name: name, status: outcome.isFinished ? "completed" : "interrupted", steps: outcome.steps, configHash: configHash,
                  parameterCount: outcome.model.parameters.scalarCount, final: outcome.finalMetrics,
                  wallTimeSeconds: outcome.wallTimeSeconds, stepsPerSecond: outcome.stepsPerSecond)
    }

    /// The summary as pretty-printed JSON (as in `summary.json`).
    public static func json(_ summary: RunSummary) -> Data {
        (try? JSONFormat.encoder().encode(summary)) ?? Data("{}".utf8)
    }
}
