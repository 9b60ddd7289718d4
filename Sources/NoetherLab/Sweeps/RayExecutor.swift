import Foundation

/// Runs a sweep on a Ray cluster through the Python driver `integrations/ray/run_sweep.py`:
/// one Ray task per trial, each running `noether run-trial` with `num_cpus` and
/// `OPENBLAS_NUM_THREADS` set. Ray schedules; Noether only says what to run. Every node must
/// see the binary and the sweep directory at the same paths (a shared file system).
public struct RayExecutor: Sendable {
    /// The cluster (`host:port`, `ray://…` or `auto`); nil starts a local one bound to 127.0.0.1.
    public var address: String?
    public var cpusPerTrial: Int
    /// The Python that has `ray` installed.
    public var python: String
    /// The driver script.
    public var driver: String
    /// The `noether` binary the tasks run.
    public var binary: String
    public var retryFailed: Bool

    public init(address: String?, cpusPerTrial: Int, python: String, driver: String, binary: String = RepositoryFiles.executable, retryFailed: Bool = false) {
        (self.address, self.cpusPerTrial, self.python, self.driver) = (address, max(1, cpusPerTrial), python, driver)
        (self.binary, self.retryFailed) = (binary, retryFailed)
    }

    /// The driver shipped with Noether.
    public static func locateDriver() throws(RunError) -> String {
        guard let path = RepositoryFiles.locate("integrations/ray/run_sweep.py") else {
            throw RunError("cannot find integrations/ray/run_sweep.py; run from the repository or pass --ray-driver PATH")
        }
        return path
    }

    /// The driver's command line for `indices` of the sweep.
    public func arguments(trialsPath: String, indices: [Int]) -> [String] {
        var arguments = [driver, "--trials", trialsPath, "--noether", binary,
                         "--indices", indices.map(String.init).joined(separator: ","), "--cpus-per-trial", String(cpusPerTrial)]
        if let address { arguments += ["--address", address] }
        if retryFailed { arguments.append("--retry-failed") }
        return arguments
    }

    public func run(_ sweep: SweepDirectory) throws(RunError) -> SweepRunReport {
        let trials = try sweep.trials()
        var report = SweepRunReport(before: trials, in: sweep, retryFailed: retryFailed)
        let runnable = sweep.runnable(trials, retryFailed: retryFailed)
        guard !runnable.isEmpty else { return report }
        let trialsPath = URL(fileURLWithPath: sweep.trialsPath).standardizedFileURL.path
        fflush(nil)  // our lines before the driver's
        let status = try ChildProcess.spawn(python, arguments(trialsPath: trialsPath, indices: runnable.map(\.index))).wait()
        if status != 0, !runnable.contains(where: { sweep.state(of: $0) == .completed || sweep.error(of: $0) != nil }) {
            throw RunError("the Ray driver (\(python) \(driver)) exited with status \(status) before any trial ran; see its output above")
        }
        for trial in runnable {
            if sweep.state(of: trial) == .completed {
                report.completed.append(trial.index)
            } else if TrialRunner.attempts(of: trial, in: sweep).last == "busy" {
                report.busy.append(trial.index)
            } else {
                report.failed.append((trial.index, sweep.error(of: trial) ?? "did not finish; see the Ray driver's output above and \(sweep.runDirectory(of: trial))/attempts.jsonl"))
            }
        }
        if status != 0, report.failed.isEmpty, report.busy.isEmpty {
            throw RunError("the Ray driver (\(python) \(driver)) exited with status \(status); see its output above")
        }
        return report
    }
}
