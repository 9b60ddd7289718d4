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
        try run(trialsPath: trialsPath, indices: [index], expectedHashes: expectedHash.map { [$0] }, retryFailed: retryFailed)[0].get()
    }

    /// Runs several trials of a sweep in this process, each as ``run(trialsPath:index:expectedHash:retryFailed:)``
    /// would (skipped when complete, refused when failed before, its attempts recorded); those
    /// that differ only in their seed and have a model a seed stack carries train as
    /// ``SeedGroupTrainer`` stacks, one per thread of `concurrency` (nil: the threads this
    /// process was given, `OPENBLAS_NUM_THREADS`, so that a Ray or SLURM task with several CPUs
    /// uses them). Returns each trial's outcome, in the order of `indices`.
    public static func run(trialsPath: String, indices: [Int], expectedHashes: [String]? = nil,
                           retryFailed: Bool = false, concurrency: Int? = nil) throws(RunError) -> [Result<Outcome, RunError>] {
        let sweep = SweepDirectory(trialsPath: trialsPath)
        let trials = try sweep.trials()
        if let expectedHashes, expectedHashes.count != indices.count {
            throw RunError("\(expectedHashes.count) hashes for \(indices.count) trial indices", hint: "give one --hash per --index, or none")
        }
        var chosen: [Trial] = []
        for (k, index) in indices.enumerated() {
            guard let trial = trials.first(where: { $0.index == index }) else {
                throw RunError("\(trialsPath) has no trial \(index) (its indices are 0…\(max(trials.count - 1, 0)))")
            }
            if let expectedHash = expectedHashes?[k], expectedHash.isEmpty || !trial.hash.hasPrefix(expectedHash) {
                throw RunError("trial \(index) of \(trialsPath) is now \(trial.hash.prefix(8)), not the queued \(expectedHash): the sweep was expanded again since; run `noether sweep run` again")
            }
            chosen.append(trial)
        }
        var outcomes = [Result<Outcome, RunError>](repeating: .success(.alreadyComplete), count: chosen.count)
        var pending: [Int] = []
        for (k, trial) in chosen.enumerated() {
            switch sweep.state(of: trial) {
            case .completed:
                log("skip", trial: trial, sweep: sweep)
            case .failed where !retryFailed:
                outcomes[k] = .failure(RunError("trial \(trial.index) failed before (\(sweep.error(of: trial) ?? "no error recorded")); rerun with --retry-failed"))
            case .failed, .pending, .started:
                pending.append(k)
            }
        }
        for k in pending {
            try? FileManager.default.removeItem(atPath: "\(sweep.runDirectory(of: chosen[k]))/\(errorFile)")
            log("start", trial: chosen[k], sweep: sweep)
        }
        let members = pending.map { SeedGroupTrainer.Member(config: chosen[$0].config, options: TrainingOptions(directory: sweep.runDirectory(of: chosen[$0]))) }
        for (k, result) in zip(pending, SeedGroupTrainer(members: members, concurrency: concurrency).run()) {
            let trial = chosen[k]
            switch result {
            case .success(let trained):
                log("finish", trial: trial, sweep: sweep)
                outcomes[k] = .success(.ran(trained.summary))
            case .failure(let error) where error.isRunInUse:
                // Another executor is running this trial: not a failure of the trial.
                log("busy", trial: trial, sweep: sweep, detail: error.description)
                outcomes[k] = .failure(error)
            case .failure(let error):
                try? Data((error.description + "\n").utf8).write(to: URL(fileURLWithPath: "\(sweep.runDirectory(of: trial))/\(errorFile)"))
                log("fail", trial: trial, sweep: sweep, detail: error.description)
                outcomes[k] = .failure(error)
            }
        }
        return outcomes
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
