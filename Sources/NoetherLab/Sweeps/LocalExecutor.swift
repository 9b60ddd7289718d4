import Foundation

/// What an executor did with a sweep's trials.
public struct SweepRunReport: Sendable {
    /// Trials completed by this invocation.
    public var completed: [Int] = []
    /// Trials that were already complete and were skipped.
    public var skipped: [Int] = []
    /// Trials that failed, with their error.
    public var failed: [(index: Int, error: String)] = []
    /// Trials another process was running, left to it.
    public var busy: [Int] = []
    /// Failed trials of an earlier invocation, not retried.
    public var previouslyFailed: [(index: Int, error: String)] = []
    /// The signal that interrupted the sweep, if one did.
    public var interruptedBy: Int32?

    /// A report that starts from the trials' states: completed ones are skipped, failed ones
    /// noted unless they will be retried.
    init(before trials: [Trial], in sweep: SweepDirectory, retryFailed: Bool) {
        for trial in trials {
            switch sweep.state(of: trial) {
            case .completed: skipped.append(trial.index)
            case .failed where !retryFailed: previouslyFailed.append((trial.index, sweep.error(of: trial) ?? "no error recorded"))
            case .failed, .pending, .started: break
            }
        }
    }
}

/// Runs a sweep's trials as `noether run-trial` child processes on this machine, `jobs` at a
/// time, dividing the cores among them for BLAS. SIGINT or SIGTERM stops the children (an
/// interrupted trial resumes from its checkpoint when the sweep is run again).
public struct LocalExecutor: Sendable {
    public var jobs: Int
    /// The `noether` binary the trials run.
    public var binary: String
    public var retryFailed: Bool
    public var onProgress: @Sendable (String) -> Void

    public init(jobs: Int, binary: String = RepositoryFiles.executable, retryFailed: Bool = false, onProgress: @escaping @Sendable (String) -> Void = { _ in }) {
        (self.jobs, self.binary, self.retryFailed, self.onProgress) = (max(1, jobs), binary, retryFailed, onProgress)
    }

    /// BLAS threads per trial: the cores divided among the parallel trials.
    public static func threadsPerTrial(jobs: Int, cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> Int {
        max(1, cores / max(1, jobs))
    }

    public func run(_ sweep: SweepDirectory) throws(RunError) -> SweepRunReport {
        let trials = try sweep.trials()
        var report = SweepRunReport(before: trials, in: sweep, retryFailed: retryFailed)
        var queue = sweep.runnable(trials, retryFailed: retryFailed)[...]
        let threads = Self.threadsPerTrial(jobs: jobs)
        let trialsPath = URL(fileURLWithPath: sweep.trialsPath).standardizedFileURL.path
        let monitor = InterruptMonitor()
        defer { monitor.stop() }
        var running: [(trial: Trial, process: ChildProcess)] = []

        /// Stops the running trials and waits for them; those that still finished count.
        func stopRunning() {
            for (_, process) in running { process.signal(SIGTERM) }
            for (trial, process) in running {
                _ = process.wait()
                if sweep.state(of: trial) == .completed { report.completed.append(trial.index) }
            }
            running = []
        }
        // A child ended by SIGINT or SIGTERM (e.g. Ctrl-C reaching the whole process group) is an
        // interruption, not a failure, even if our own handler has not seen the signal yet.
        var childInterrupted: Int32?
        while !queue.isEmpty || !running.isEmpty {
            while running.count < jobs, monitor.receivedSignal == nil, childInterrupted == nil, let trial = queue.popFirst() {
                var arguments = ["run-trial", trialsPath, "--index", String(trial.index), "--hash", String(trial.hash.prefix(8))]
                if retryFailed { arguments.append("--retry-failed") }
                let process: ChildProcess
                do {
                    process = try ChildProcess.spawn(binary, arguments, environment: ["OPENBLAS_NUM_THREADS": String(threads)], log: sweep.logPath(of: trial))
                } catch {
                    stopRunning()
                    throw error
                }
                running.append((trial, process))
                onProgress("trial \(trial.index) started (\(trial.overrides.keys.sorted().map { "\($0)=\(trial.overrides[$0]?.text ?? "")" }.joined(separator: ", ")))")
            }
            var stillRunning: [(trial: Trial, process: ChildProcess)] = []
            for entry in running {
                guard let status = entry.process.poll() else { stillRunning.append(entry); continue }
                if status == 0, sweep.state(of: entry.trial) == .completed {
                    report.completed.append(entry.trial.index)
                    onProgress("trial \(entry.trial.index) completed")
                } else if status == TrialRunner.busyExitStatus {
                    report.busy.append(entry.trial.index)
                    onProgress("trial \(entry.trial.index) is being run by another process; left to it")
                } else if status == 128 + SIGINT || status == 128 + SIGTERM {
                    childInterrupted = status - 128
                } else if monitor.receivedSignal == nil {
                    let error = sweep.error(of: entry.trial) ?? "exit status \(status); see \(sweep.logPath(of: entry.trial))"
                    report.failed.append((entry.trial.index, error))
                    onProgress("trial \(entry.trial.index) failed: \(error)")
                }
            }
            running = stillRunning
            if let signal = monitor.receivedSignal ?? childInterrupted {
                stopRunning()
                report.interruptedBy = signal
                return report
            }
            if !running.isEmpty { usleep(20_000) }
        }
        return report
    }
}
