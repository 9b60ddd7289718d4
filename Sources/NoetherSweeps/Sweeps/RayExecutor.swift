import Foundation
import NoetherTraining

/// Runs a sweep on a Ray cluster through the Python driver `integrations/ray/run_sweep.py`:
/// one Ray task per unit of ``SeedStackUnits`` (the seeds of a stackable arm as one seed stack,
/// other trials alone; the driver halves the largest units until every CPU of the cluster has a
/// task), each running `noether run-trial` with `num_cpus` and `OPENBLAS_NUM_THREADS` set (its
/// log in the sweep's `logs/`). The driver reports each trial's
/// exit, so trials are filed exactly as the local executor files them; SIGINT or SIGTERM makes
/// it cancel the trials and stop their processes. Ray schedules; Noether only says what to run. Every node must
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
    /// The most seeds of an arm one task trains as seed stacks (1: one task per trial).
    public var largestStack = SeedStackUnits.largestStack

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

    /// The driver's command line for `units` of the sweep's trials (one task each, before halving).
    public func arguments(trialsPath: String, units: [[Int]]) -> [String] {
        var arguments = [driver, "--trials", trialsPath, "--noether", binary,
                         "--units", units.map { $0.map(String.init).joined(separator: ",") }.joined(separator: ";"),
                         "--cpus-per-trial", String(cpusPerTrial)]
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
        let reportPath = "\(sweep.logsPath)/ray-driver-\(ProcessInfo.processInfo.processIdentifier).jsonl"
        try? FileManager.default.createDirectory(atPath: sweep.logsPath, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: reportPath)
        defer { try? FileManager.default.removeItem(atPath: reportPath) }
        fflush(nil)  // our lines before the driver's
        // Ctrl-C reaches the driver from the terminal too; a signal sent to noether alone is passed on.
        let monitor = InterruptMonitor()
        defer { monitor.stop() }
        // Not halved here: the driver knows the cluster's size.
        let units = SeedStackUnits.units(runnable, jobs: 1, largest: largestStack)
        let process = try ChildProcess.spawn(python, arguments(trialsPath: trialsPath, units: units.map { $0.map(\.index) }) + ["--report", reportPath])
        var forwarded = false
        var status: Int32
        while true {
            if let exit = process.poll() { status = exit; break }
            if let signal = monitor.receivedSignal, !forwarded {
                process.signal(signal)
                forwarded = true
            }
            usleep(20_000)
        }
        let entries = DriverReport.read(reportPath)
        if let error = entries.error { throw RunError(error) }
        if let signal = monitor.receivedSignal {
            report.interruptedBy = signal
        } else if entries.interrupted || status == 128 + SIGINT {
            report.interruptedBy = SIGINT
        }
        if report.interruptedBy != nil {
            report.completed = runnable.filter { sweep.state(of: $0) == .completed }.map(\.index)
            return report
        }
        if entries.exits.isEmpty, status != 0 {
            throw RunError("the Ray driver (\(python) \(driver)) exited with status \(status) before any trial ran; see its output above")
        }
        for trial in runnable {
            report.record(trial, exit: entries.exits[trial.index].map { $0.map(SweepRunReport.Exit.shell) ?? .unknown } ?? .unknown, in: sweep)
        }
        report.recheckBusy(trials, in: sweep)
        return report
    }
}

/// The JSON lines the driver appends to its `--report` file: one `{"index", "exit"}` per trial
/// that ended (`exit` null when the Ray task itself died), `{"error"}` when it could not run the
/// sweep, `{"interrupted"}` after SIGINT or SIGTERM.
struct DriverReport {
    var exits: [Int: Int32?] = [:]
    var error: String?
    var interrupted = false

    static func read(_ path: String) -> DriverReport {
        var report = DriverReport()
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return report }
        for line in text.split(separator: "\n") {
            guard let entry = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            if let error = entry["error"] as? String { report.error = error }
            if entry["interrupted"] != nil { report.interrupted = true }
            if let index = entry["index"] as? Int { report.exits[index] = (entry["exit"] as? Int).map(Int32.init) }
        }
        return report
    }
}
