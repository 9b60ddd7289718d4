import Foundation
import XCTest

/// A real Ray cluster on 127.0.0.1: the same sweep through Ray gives the local executor's
/// results bit for bit.
extension CommandLineTests {
    /// Runs a program found on PATH; returns its status and output.
    func shell(_ arguments: [String], environment: [String: String] = [:]) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        (process.standardOutput, process.standardError) = (out, err)
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// TCP listeners as "address:port", from `ss -ltn`.
    func listeners() throws -> Set<String> {
        let outcome = try shell(["ss", "-ltnH"])
        XCTAssertEqual(outcome.status, 0, "ss (iproute2) is needed: \(outcome.stderr)")
        return Set(outcome.stdout.split(separator: "\n").compactMap { line in
            let columns = line.split(separator: " ", omittingEmptySubsequences: true)
            return columns.count >= 4 ? String(columns[3]) : nil
        })
    }

    func isLoopback(_ listener: String) -> Bool {
        ["127.0.0.1:", "[::ffff:127.0.0.1]:", "[::1]:"].contains { listener.hasPrefix($0) }
    }

    func testRaySweepEqualsLocalSweepBitForBit() throws {
        let python = ProcessInfo.processInfo.environment["NOETHER_PYTHON"] ?? "python3"
        let probe = try shell([python, "-c", "import ray, sys; print(sys.executable)"])
        guard probe.status == 0 else {
            if ProcessInfo.processInfo.environment["NOETHER_REQUIRE_RAY"] == "1" {
                return XCTFail("Ray is required (NOETHER_REQUIRE_RAY=1) but \(python) cannot import it: \(probe.stderr)")
            }
            throw XCTSkip("Ray is not installed for \(python); `pip install ray` (or set NOETHER_PYTHON) to run this test")
        }
        let executable = probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let sibling = ((executable as NSString).deletingLastPathComponent as NSString).appendingPathComponent("ray")
        let ray = FileManager.default.isExecutableFile(atPath: sibling) ? sibling : "ray"
        let loopbackOnly = ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"]

        let before = try listeners()
        // Registered first, so the cluster stops even when an assertion below fails.
        addTeardownBlock { [self] in _ = try? shell([ray, "stop"]) }
        let start = try shell([ray, "start", "--head", "--node-ip-address=127.0.0.1", "--port=6380", "--include-dashboard=false",
                               "--disable-usage-stats", "--num-cpus=2"], environment: loopbackOnly)
        XCTAssertEqual(start.status, 0, start.stderr)
        guard start.status == 0 else { return }

        let file = try sweepFile(steps: 3000)
        let folder = (file as NSString).deletingLastPathComponent
        let local = try run(["sweep", "run", file, "--out", "\(folder)/local", "--jobs", "2"])
        XCTAssertEqual(local.status, 0, local.stderr)
        let process = Process()
        process.executableURL = binary
        process.arguments = ["sweep", "run", file, "--out", "\(folder)/ray", "--executor", "ray", "--address", "127.0.0.1:6380", "--python", python]
        process.environment = ProcessInfo.processInfo.environment.merging(loopbackOnly) { $1 }
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        // Look at the listeners while the tasks run, when the workers are up.
        Thread.sleep(forTimeInterval: 2)
        let during = try listeners()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, output)
        XCTAssertTrue(output.contains("6 of 6 trials complete"), output)
        // Three arms of two seeds on two CPUs: a seed stack per arm.
        XCTAssertTrue(output.contains("6 trials as 3 Ray tasks (1 CPU each; the seeds of an arm as one seed stack)"), output)

        let opened = during.union(try listeners()).subtracting(before)
        XCTAssertTrue(opened.contains { $0.hasSuffix(":6380") }, "the cluster should listen on port 6380: \(opened)")
        XCTAssertEqual(opened.filter { !isLoopback($0) }, [], "Ray listens beyond 127.0.0.1")

        let localTrials = try trialDirectories("\(folder)/local")
        let rayTrials = try trialDirectories("\(folder)/ray")
        XCTAssertEqual(localTrials.map { ($0 as NSString).lastPathComponent }, rayTrials.map { ($0 as NSString).lastPathComponent })
        XCTAssertEqual(localTrials.count, 6)
        for (a, b) in zip(localTrials, rayTrials) {
            XCTAssertTrue(isComplete(b), b)
            let weights = try ["weights.safetensors"].map { name in
                try (Data(contentsOf: URL(fileURLWithPath: "\(a)/\(name)")), Data(contentsOf: URL(fileURLWithPath: "\(b)/\(name)")))
            }
            XCTAssertEqual(weights[0].0, weights[0].1, "weights of \(b) differ from the local run's")
            XCTAssertEqual(try metricValues(a), try metricValues(b), "metrics of \(b) differ from the local run's")
            // Each Ray trial keeps its log where the local executor keeps it; a seed stack's
            // second trial points to its first's.
            let log = try String(contentsOfFile: "\(folder)/ray/logs/\((b as NSString).lastPathComponent).log", encoding: .utf8)
            let pointer = log.range(of: "the output is in ").map { String(log[$0.upperBound...]).trimmingCharacters(in: CharacterSet(charactersIn: "\"\n")) }
            let trialOutput = try pointer.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? log
            XCTAssertTrue(trialOutput.contains("completed"), log)
        }

        // One or two CPUs per trial give the local run's weights bit for bit.
        let threads = try threadSensitiveSweepFile()
        let threadsFolder = (threads as NSString).deletingLastPathComponent
        XCTAssertEqual(try run(["sweep", "run", threads, "--out", "\(threadsFolder)/local", "--jobs", "2"]).status, 0)
        for cpus in ["1", "2"] {
            let outcome = try run(environment: loopbackOnly, ["sweep", "run", threads, "--out", "\(threadsFolder)/ray\(cpus)", "--executor", "ray", "--address", "127.0.0.1:6380",
                                      "--python", python, "--cpus-per-trial", cpus])
            XCTAssertEqual(outcome.status, 0, outcome.stderr)
            // Two seeds of one arm: split over the two CPUs, or one stack on a task with both.
            XCTAssertTrue(outcome.stdout.contains(cpus == "1" ? "2 trials as 2 Ray tasks (1 CPU each)\n"
                                                              : "2 trials as 1 Ray task (2 CPUs each; the seeds of an arm as one seed stack)\n"), outcome.stdout)
            try assertSameWeights("\(threadsFolder)/local", "\(threadsFolder)/ray\(cpus)")
        }

        // An experiment's runs as Ray tasks, then analysed: the verdict of the runs trained here.
        let experiment = try run(environment: loopbackOnly, ["reproduce", "E2", "--quick", "--out", "\(folder)/reproduce-ray", "--override", "training.steps=60",
                                                             "--executor", "ray", "--address", "127.0.0.1:6380", "--python", python])
        XCTAssertEqual(experiment.status, 0, experiment.stderr)
        XCTAssertTrue(experiment.stdout.contains("8 trials as 4 Ray tasks (1 CPU each; the seeds of an arm as one seed stack)"), experiment.stdout)
        let here = try run(["reproduce", "E2", "--quick", "--out", "\(folder)/reproduce-here", "--override", "training.steps=60"])
        func verdictLines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init).filter { $0.hasPrefix("  ") && !$0.contains("report:") } }
        XCTAssertEqual(verdictLines(experiment.stdout).filter { !$0.contains("Ray") }, verdictLines(here.stdout))
        try assertSameWeights("\(folder)/reproduce-here/E2-quick", "\(folder)/reproduce-ray/E2-quick")

        // More CPUs per trial than any node has: an error at once, with the cluster's capacity.
        let infeasible = try run(environment: loopbackOnly, ["sweep", "run", threads, "--out", "\(threadsFolder)/big", "--executor", "ray", "--address", "127.0.0.1:6380",
                                     "--python", python, "--cpus-per-trial", "64"])
        assertCleanFailure(infeasible, mentioning: "no node of the Ray cluster has 64 CPUs")
        XCTAssertTrue(infeasible.stderr.contains("its 1 node has 2 CPUs; use --cpus-per-trial 2 or less"), infeasible.stderr)

        // Ctrl-C on the driver: the local executor's message, no Python traceback, trials stopped.
        let long = try sweepFile(steps: 400_000)
        let longSweep = (long as NSString).deletingLastPathComponent + "/interrupted"
        let interrupted = Process()
        interrupted.executableURL = binary
        interrupted.arguments = ["sweep", "run", long, "--out", longSweep, "--executor", "ray", "--address", "127.0.0.1:6380", "--python", python]
        interrupted.environment = ProcessInfo.processInfo.environment.merging(loopbackOnly) { $1 }
        let (stdout, stderr) = (Pipe(), Pipe())
        (interrupted.standardOutput, interrupted.standardError) = (stdout, stderr)
        try interrupted.run()
        while interrupted.isRunning, !((try? trialDirectories(longSweep)) ?? []).contains(where: { attempts($0, "start") > 0 }) {
            Thread.sleep(forTimeInterval: 0.1)
        }
        interrupted.interrupt()
        let printed = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        interrupted.waitUntilExit()
        XCTAssertEqual(interrupted.terminationReason, .exit, "noether died by a signal")
        assertCleanFailure(Outcome(status: interrupted.terminationStatus, stdout: printed, stderr: message), mentioning: "run the same command again")
        XCTAssertFalse((printed + message).contains("Traceback") || (printed + message).contains("KeyboardInterrupt"), printed + message)
        // The trials' processes were stopped: nobody holds a trial's lock.
        for trial in try trialDirectories(longSweep) {
            let descriptor = open("\(trial)/.lock", O_RDWR | O_CREAT, 0o644)
            XCTAssertEqual(flock(descriptor, LOCK_EX | LOCK_NB), 0, "\(trial) is still being run")
            close(descriptor)
        }
    }

    /// A run's metrics without their wall-clock times.
    func metricValues(_ run: String) throws -> [String] {
        try String(contentsOfFile: "\(run)/metrics.jsonl", encoding: .utf8).split(separator: "\n").map { line in
            line.replacingOccurrences(of: #""time":[^,]*,"#, with: "", options: .regularExpression)
        }
    }
}
