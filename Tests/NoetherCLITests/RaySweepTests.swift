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
        }
    }

    /// A run's metrics without their wall-clock times.
    func metricValues(_ run: String) throws -> [String] {
        try String(contentsOfFile: "\(run)/metrics.jsonl", encoding: .utf8).split(separator: "\n").map { line in
            line.replacingOccurrences(of: #""time":[^,]*,"#, with: "", options: .regularExpression)
        }
    }
}
