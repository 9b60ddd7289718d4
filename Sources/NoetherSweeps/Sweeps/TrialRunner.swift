import Foundation
import NoetherIO
import NoetherTraining

/// Where a trial stands, read from its run directory.
public enum TrialState: String, Codable, Sendable {
    /// Not begun.
    case pending
    /// Begun but not finished: running now, or interrupted (it resumes from its checkpoint).
    case started
    /// Its run directory holds a completed summary.
    case completed
    /// It stopped with an error (`error.txt`); rerun only on request.
    case failed
}

/// Runs single trials idempotently — what `noether run-trial` does on every executor: a
/// completed trial is skipped, a failed one is reported and rerun only on request, an
/// interrupted one resumes from its last checkpoint. Each attempt is appended to the trial's
/// `attempts.jsonl` (start, finish, skip, fail, busy), so how often a trial ran can be audited.
public enum TrialRunner {
    static let errorFile = "error.txt"
    /// The exit status of `noether run-trial` when another process is running the trial
    /// (EX_TEMPFAIL: try again later).
    public static let busyExitStatus: Int32 = 75
    static let attemptsFile = "attempts.jsonl"

    /// What happened when asked to run a trial.
    public enum Outcome: Sendable, Equatable {
        case ran(RunSummary)
        case alreadyComplete
    }

    /// Runs trial `index` of the sweep whose `trials.jsonl` is at `trialsPath`. With `expectedHash`
    /// (a prefix of the trial's hash, as queued), a `trials.jsonl` rewritten since — where the
    /// index may now name another trial — is an error rather than the wrong run.
    public static func run(trialsPath: String, index: Int, expectedHash: String? = nil, retryFailed: Bool = false) throws(RunError) -> Outcome {
        let sweep = SweepDirectory(trialsPath: trialsPath)
        let trials = try sweep.trials()
        guard let trial = trials.first(where: { $0.index == index }) else {
            throw RunError("\(trialsPath) has no trial \(index) (its indices are 0…\(max(trials.count - 1, 0)))")
        }
        if let expectedHash, expectedHash.isEmpty || !trial.hash.hasPrefix(expectedHash) {
            throw RunError("trial \(index) of \(trialsPath) is now \(trial.hash.prefix(8)), not the queued \(expectedHash): the sweep was expanded again since; run `noether sweep run` again")
        }
        switch sweep.state(of: trial) {
        case .completed:
            log("skip", trial: trial, sweep: sweep)
            return .alreadyComplete
        case .failed where !retryFailed:
            throw RunError("trial \(index) failed before (\(sweep.error(of: trial) ?? "no error recorded")); rerun with --retry-failed")
        case .failed, .pending, .started:
            break
        }
        let directory = sweep.runDirectory(of: trial)
        try? FileManager.default.removeItem(atPath: "\(directory)/\(errorFile)")
        log("start", trial: trial, sweep: sweep)
        do {
            let result = try ConfigTrainer(config: trial.config, options: TrainingOptions(directory: directory)).run()
            log("finish", trial: trial, sweep: sweep)
            return .ran(result.summary)
        } catch where error.isRunInUse {
            // Another executor is running this trial: not a failure of the trial.
            log("busy", trial: trial, sweep: sweep, detail: error.description)
            throw error
        } catch {
            try? Data((error.description + "\n").utf8).write(to: URL(fileURLWithPath: "\(directory)/\(errorFile)"))
            log("fail", trial: trial, sweep: sweep, detail: error.description)
            throw error
        }
    }

    /// The events of a trial's `attempts.jsonl`, in order.
    public static func attempts(of trial: Trial, in sweep: SweepDirectory) -> [String] {
        guard let text = try? String(contentsOfFile: "\(sweep.runDirectory(of: trial))/\(attemptsFile)", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["event"] as? String
        }
    }

    static func log(_ event: String, trial: Trial, sweep: SweepDirectory, detail: String? = nil) {
        let directory = sweep.runDirectory(of: trial)
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let attempt = Attempt(event: event, time: Date().timeIntervalSince1970, host: ProcessInfo.processInfo.hostName,
                              pid: ProcessInfo.processInfo.processIdentifier, detail: detail)
        if let line = try? JSONFormat.string(attempt), let writer = try? JSONLinesWriter(path: "\(directory)/\(attemptsFile)") { try? writer.append([line]) }
    }
}

/// A line of `attempts.jsonl`.
private struct Attempt: Encodable {
    let event: String
    let time: Double
    let host: String
    let pid: Int32
    let detail: String?
}
