import Foundation
import NoetherTraining

/// Runs a sweep's trials as `noether run-trial` child processes on this machine, `jobs` at a
/// time, dividing the cores among them for BLAS. Trials that differ only in their seed, with a
/// model a seed stack carries, go to one child as a group that trains them as one stack
/// (``SeedStackUnits/units(_:jobs:)``). SIGINT or SIGTERM stops the children (an
/// interrupted trial resumes from its checkpoint when the sweep is run again).
public struct LocalExecutor: Sendable {
    public var jobs: Int
    /// The `noether` binary the trials run.
    public var binary: String
    public var retryFailed: Bool
    public var onProgress: @Sendable (String) -> Void
    /// The most seeds of an arm one child trains as a seed stack (1: one child per trial).
    public var largestStack = SeedStackUnits.largestStack

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
        let runnable = sweep.runnable(trials, retryFailed: retryFailed)
        var queue = SeedStackUnits.units(runnable, jobs: jobs, largest: largestStack)[...]
        let threads = Self.threadsPerTrial(jobs: jobs)
        let trialsPath = URL(fileURLWithPath: sweep.trialsPath).standardizedFileURL.path
        let monitor = InterruptMonitor()
        defer { monitor.stop() }
        var running: [(trials: [Trial], process: ChildProcess)] = []

        /// Stops the running trials and waits for them; those that still finished count.
        func stopRunning() {
            for (_, process) in running { process.signal(SIGTERM) }
            for (trials, process) in running {
                _ = process.wait()
                for trial in trials where sweep.state(of: trial) == .completed { report.completed.append(trial.index) }
            }
            running = []
        }
        // A child ended by SIGINT or SIGTERM (e.g. Ctrl-C reaching the whole process group) is an
        // interruption, not a failure, even if our own handler has not seen the signal yet.
        var childInterrupted: Int32?
        while !queue.isEmpty || !running.isEmpty {
            while running.count < jobs, monitor.receivedSignal == nil, childInterrupted == nil, let unit = queue.popFirst(), let first = unit.first {
                var arguments = ["run-trial", trialsPath] + SeedStackUnits.runTrialOptions(unit)
                if retryFailed { arguments.append("--retry-failed") }
                let process: ChildProcess
                do {
                    process = try ChildProcess.spawn(binary, arguments, environment: ["OPENBLAS_NUM_THREADS": String(threads)], log: sweep.logPath(of: first))
                } catch {
                    stopRunning()
                    throw error
                }
                running.append((unit, process))
                for trial in unit {
                    if trial.index != first.index { SeedStackUnits.pointLog(of: trial, to: first, in: sweep) }
                    onProgress("trial \(trial.index) started (\(trial.overrides.keys.sorted().map { "\($0)=\(trial.overrides[$0]?.text ?? "")" }.joined(separator: ", ")))\(unit.count > 1 ? " in a seed stack with \(unit.count - 1) more" : "")")
                }
            }
            var stillRunning: [(trials: [Trial], process: ChildProcess)] = []
            for entry in running {
                guard let status = entry.process.poll() else { stillRunning.append(entry); continue }
                if status == 128 + SIGINT || status == 128 + SIGTERM, entry.trials.contains(where: { sweep.state(of: $0) != .completed }) {
                    childInterrupted = status - 128
                    for trial in entry.trials where sweep.state(of: trial) == .completed { report.completed.append(trial.index) }
                } else if monitor.receivedSignal == nil {
                    for trial in entry.trials { onProgress(report.record(trial, exit: .shell(status), in: sweep)) }
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
        report.recheckBusy(trials, in: sweep)
        return report
    }
}
