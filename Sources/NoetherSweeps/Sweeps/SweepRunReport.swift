import Foundation
import NoetherTraining

/// What an executor did with a sweep's trials, and what it means for the user: every executor
/// files a trial's end the same way (by what its run directory says), so the same situation
/// gives the same message and exit status on every executor.
public struct SweepRunReport: Sendable {
    /// Trials completed by this invocation (or, while it ran, by another process).
    public var completed: [Int] = []
    /// Trials that were already complete and were skipped.
    public var skipped: [Int] = []
    /// Trials that stopped with a recorded error (`error.txt`): they run again only with
    /// `--retry-failed`, after the cause is fixed.
    public var failed: [(index: Int, error: String)] = []
    /// Trials whose process ended without finishing or recording an error (killed by a signal,
    /// e.g. out of memory): a plain rerun resumes them from their last checkpoint.
    public var stopped: [(index: Int, reason: String)] = []
    /// Trials another process was running, left to it.
    public var busy: [Int] = []
    /// Failed trials of an earlier invocation, not retried.
    public var previouslyFailed: [(index: Int, error: String)] = []
    /// The signal that interrupted the sweep, if one did.
    public var interruptedBy: Int32?

    /// A report that starts from the trials' states: completed ones are skipped, failed ones
    /// noted unless they will be retried.
    public init(before trials: [Trial], in sweep: SweepDirectory, retryFailed: Bool) {
        for trial in trials {
            switch sweep.state(of: trial) {
            case .completed: skipped.append(trial.index)
            case .failed where !retryFailed: previouslyFailed.append((trial.index, sweep.error(of: trial) ?? "no error recorded"))
            case .failed, .pending, .started: break
            }
        }
    }

    /// How a trial's `noether run-trial` process ended.
    public enum Exit: Sendable, Equatable {
        /// Its exit status (0 success, 75 busy, 128 + n killed by signal n as a shell reports it).
        case status(Int32)
        /// Killed by this signal.
        case signal(Int32)
        /// Not known (the executor lost track of it).
        case unknown

        /// From a shell-style status: 128 + n means signal n.
        public static func shell(_ status: Int32) -> Exit { status > 128 && status < 160 ? .signal(status - 128) : .status(status) }
    }

    /// Files the end of `trial`'s process by what its run directory says; returns the progress
    /// line to print.
    @discardableResult
    public mutating func record(_ trial: Trial, exit: Exit, in sweep: SweepDirectory) -> String {
        let index = trial.index
        if sweep.state(of: trial) == .completed {
            completed.append(index)
            return "trial \(index) completed"
        }
        // A child that trained several trials exits with one status; its attempts say which was busy.
        if exit == .status(TrialRunner.busyExitStatus) && sweep.state(of: trial) != .failed
            || TrialRunner.attempts(of: trial, in: sweep).last == "busy" {
            busy.append(index)
            return "trial \(index) is being run by another process; left to it"
        }
        if sweep.state(of: trial) == .failed {
            let error = sweep.error(of: trial).flatMap { $0.isEmpty ? nil : $0 } ?? "no error recorded"
            failed.append((index, error))
            return "trial \(index) failed: \(error)"
        }
        let how: String = switch exit {
        case .signal(let number): "killed by signal \(number)\(Self.signalName(number).map { " (\($0))" } ?? "")"
        case .status(let status): "exited with status \(status) without finishing"
        case .unknown: "did not finish"
        }
        let reason = "\(how); see \(sweep.logPath(of: trial))"
        stopped.append((index, reason))
        return "trial \(index) stopped: \(reason)"
    }

    /// Looks again at the trials left to another process: those it has finished (or failed)
    /// since are no longer running anywhere.
    public mutating func recheckBusy(_ trials: [Trial], in sweep: SweepDirectory) {
        let busyTrials = trials.filter { busy.contains($0.index) }
        busy = []
        for trial in busyTrials {
            switch sweep.state(of: trial) {
            case .completed: completed.append(trial.index)
            case .failed: failed.append((trial.index, sweep.error(of: trial) ?? "no error recorded"))
            case .pending, .started: busy.append(trial.index)
            }
        }
    }

    /// The outcome for the user: the lines to print and, when the sweep is not complete, the
    /// one-line error that ends the command with a non-zero status.
    public func conclusion(total: Int, directory: String) -> (lines: [String], error: RunError?) {
        var lines: [String] = []
        if !skipped.isEmpty { lines.append("\(skipped.count) trials were already complete") }
        for (index, error) in previouslyFailed { lines.append("trial \(index) failed earlier (not retried): \(error)") }
        let done = skipped.count + completed.count
        if let signal = interruptedBy {
            return (lines, RunError("interrupted (signal \(signal)) with \(done) of \(total) trials complete; run the same command again to finish the rest"))
        }
        var problems: [String] = []
        let allFailed = failed + previouslyFailed
        if !allFailed.isEmpty {
            let list = allFailed.map { "trial \($0.index): \($0.error)" }.joined(separator: "; ")
            problems.append("\(allFailed.count) failed (\(list)): fix the cause and rerun with --retry-failed")
        }
        if !stopped.isEmpty {
            let list = stopped.map { "trial \($0.index): \($0.reason)" }.joined(separator: "; ")
            problems.append("\(stopped.count) stopped without finishing (\(list)): run the same command again to resume \(stopped.count == 1 ? "it" : "them")")
        }
        if !busy.isEmpty {
            problems.append("\(busy.count) are running in another process (\(busy.map(String.init).joined(separator: ", "))): run the same command again once it has finished")
        }
        if !problems.isEmpty {
            return (lines, RunError("\(done) of \(total) trials complete; " + problems.joined(separator: "; ")))
        }
        lines.append("\(done) of \(total) trials complete; collect them with: noether sweep collect \(directory)")
        return (lines, nil)
    }

    static func signalName(_ number: Int32) -> String? {
        [SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGABRT: "SIGABRT", SIGBUS: "SIGBUS",
         SIGFPE: "SIGFPE", SIGKILL: "SIGKILL, e.g. out of memory", SIGSEGV: "SIGSEGV", SIGTERM: "SIGTERM", SIGXCPU: "SIGXCPU, CPU time limit"][number]
    }
}
