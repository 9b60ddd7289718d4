import Foundation
import XCTest

/// Sweeps through the binary as a cluster user meets them: the same weights whatever the
/// thread split, progress that reaches a log file as it happens, one message per situation.
extension CommandLineTests {
    /// A sweep whose products are large enough that OpenBLAS's own threads would change their
    /// bits (300-wide hidden layer, 10 classes).
    func threadSensitiveSweepFile() throws -> String {
        try write("""
            name: threads
            metric: test_loss
            base:
              model: {kind: mlp, input: 100, hidden: [300], output: 10, activation: relu}
              data: {kind: gaussian_mixture, dimension: 100, classes: 10, train: 400, test: 200}
              optimizer: {kind: sgd, learning_rate: 0.05, momentum: 0.9}
              training: {steps: 40, batch_size: 100, eval_every: 20}
            grid:
              seed: [0, 1]
            """, "threads.yaml")
    }

    /// Asserts that two sweeps hold the same trials with bit-identical weights.
    func assertSameWeights(_ a: String, _ b: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let (first, second) = (try trialDirectories(a), try trialDirectories(b))
        XCTAssertEqual(first.map { ($0 as NSString).lastPathComponent }, second.map { ($0 as NSString).lastPathComponent }, file: file, line: line)
        XCTAssertFalse(first.isEmpty, file: file, line: line)
        for (x, y) in zip(first, second) {
            XCTAssertTrue(isComplete(y), y, file: file, line: line)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: "\(x)/weights.safetensors")),
                           try Data(contentsOf: URL(fileURLWithPath: "\(y)/weights.safetensors")), "weights of \(y) differ from \(x)", file: file, line: line)
        }
    }

    /// `--jobs 1` gives each trial every core, `--jobs 2` half of them: the weights are the same.
    func testSweepWeightsDoNotDependOnTheThreadSplit() throws {
        let file = try threadSensitiveSweepFile()
        let folder = (file as NSString).deletingLastPathComponent
        for jobs in ["1", "2"] {
            let outcome = try run(["sweep", "run", file, "--out", "\(folder)/jobs\(jobs)", "--jobs", jobs])
            XCTAssertEqual(outcome.status, 0, outcome.stderr)
        }
        try assertSameWeights("\(folder)/jobs1", "\(folder)/jobs2")
        let collected = try run(["sweep", "collect", "\(folder)/jobs1", "--store", "\(folder)/store.sqlite"])
        XCTAssertEqual(collected.status, 0, collected.stderr)
        let header = try String(contentsOfFile: "\(folder)/jobs1/results.csv", encoding: .utf8).components(separatedBy: "\r\n").first
        XCTAssertEqual(header, "index,hash,state,seed,test_loss")
    }

    /// With stdout a file, each progress line is there as soon as it is printed.
    func testProgressReachesALogFileAsItHappens() throws {
        let file = try sweepFile(steps: 30_000)
        let folder = (file as NSString).deletingLastPathComponent
        let logPath = "\(folder)/progress.log"
        XCTAssertTrue(FileManager.default.createFile(atPath: logPath, contents: nil))
        let log = try XCTUnwrap(FileHandle(forWritingAtPath: logPath))
        let process = Process()
        process.executableURL = binary
        process.arguments = ["sweep", "run", file, "--out", "\(folder)/sweep", "--jobs", "1"]
        process.standardOutput = log
        process.standardError = FileHandle.nullDevice
        try process.run()
        var seenWhileRunning = false
        while process.isRunning {
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if text.contains("trial 0 completed") && text.contains("trial 1 started") {
                seenWhileRunning = process.isRunning
                break
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.interrupt()
        process.waitUntilExit()
        XCTAssertTrue(seenWhileRunning, "progress lines reached the log only when the sweep ended")
    }

    /// A failed trial: the local and the slurm executors end with the same message and status.
    func testAFailedTrialGivesOneMessageOnEveryExecutor() throws {
        let file = try write("""
            name: failing
            base:
              model: {kind: mlp, input: 6, hidden: [8], output: 1}
              data: {kind: teacher_student, dimension: 6, teacher_width: 2, train: 100, test: 50}
              training: {steps: 20, batch_size: 25, eval_every: 10}
            grid:
              init.from: [null, /no/such/weights.safetensors]
            """, "failing.yaml")
        let sweep = (file as NSString).deletingLastPathComponent + "/sweep"
        let local = try run(["sweep", "run", file, "--out", sweep])
        assertCleanFailure(local, mentioning: "1 of 2 trials complete; 1 failed (trial 1: ")
        XCTAssertTrue(local.stderr.contains("fix the cause and rerun with --retry-failed"), local.stderr)
        let slurm = try run(["sweep", "run", "\(sweep)/trials.jsonl", "--executor", "slurm"])
        assertCleanFailure(slurm, mentioning: "1 of 2 trials complete; 1 failed (trial 1: ")
        XCTAssertEqual(slurm.stderr, local.stderr)
        let again = try run(["sweep", "run", "\(sweep)/trials.jsonl"])
        XCTAssertEqual(again.stderr, local.stderr)
    }
}
