import Foundation
import XCTest

/// Sweeps through the binary: interrupted and resumed locally, and on a real Ray cluster.
extension CommandLineTests {
    func sweepFile(steps: Int) throws -> String {
        try write("""
            name: cli-sweep
            metric: layers.0/distinct
            base:
              model: {kind: mlp, input: 10, hidden: [16], output: 1, activation: relu}
              data: {kind: teacher_student, dimension: 10, teacher_width: 2, train: 200, test: 100}
              optimizer: {kind: sgd, learning_rate: 0.02, weight_decay: 0.1}
              training: {steps: \(steps), batch_size: 50, eval_every: 500, checkpoint_every: 1000}
            grid:
              model.hidden: [[8], [16], [32]]
              seed: [0, 1]
            """, "sweep.yaml")
    }

    func trialDirectories(_ sweep: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: "\(sweep)/trials").sorted().map { "\(sweep)/trials/\($0)" }
    }

    func isComplete(_ trial: String) -> Bool {
        (try? String(contentsOfFile: "\(trial)/summary.json", encoding: .utf8))?.contains("\"completed\"") ?? false
    }

    func attempts(_ trial: String, _ event: String) -> Int {
        ((try? String(contentsOfFile: "\(trial)/attempts.jsonl", encoding: .utf8)) ?? "")
            .split(separator: "\n").filter { $0.contains("\"event\":\"\(event)\"") }.count
    }

    /// SIGINT in the middle of a local sweep, then the same command: every trial finishes
    /// exactly once; those complete before the interruption are not started again.
    func testInterruptedLocalSweepRunsEveryTrialExactlyOnce() throws {
        let file = try sweepFile(steps: 20_000)
        let sweep = (file as NSString).deletingLastPathComponent + "/sweep"
        let process = Process()
        process.executableURL = binary
        process.arguments = ["sweep", "run", file, "--out", sweep, "--jobs", "2"]
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline, process.isRunning {
            if let trials = try? trialDirectories(sweep), trials.contains(where: isComplete) { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        process.interrupt()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 1, message)
        XCTAssertTrue(message.contains("run the same command again"), message)
        let completedBefore = Set(try trialDirectories(sweep).filter(isComplete))
        XCTAssertFalse(completedBefore.isEmpty)
        XCTAssertLessThan(completedBefore.count, 6, "the sweep finished before it could be interrupted; make the trials longer")

        let resumed = try run(["sweep", "run", file, "--out", sweep, "--jobs", "2"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("\(completedBefore.count) trials were already complete"), resumed.stdout)
        XCTAssertTrue(resumed.stdout.contains("6 of 6 trials complete"), resumed.stdout)
        let trials = try trialDirectories(sweep)
        XCTAssertEqual(trials.count, 6)
        for trial in trials {
            XCTAssertTrue(isComplete(trial), trial)
            XCTAssertEqual(attempts(trial, "finish"), 1, trial)
            XCTAssertEqual(attempts(trial, "fail"), 0, trial)
            if completedBefore.contains(trial) { XCTAssertEqual(attempts(trial, "start"), 1, trial) }
        }
        // A third run has nothing to do; collect indexes all six and writes the report.
        let again = try run(["sweep", "run", "\(sweep)/trials.jsonl"])
        XCTAssertTrue(again.stdout.contains("6 trials were already complete"), again.stdout)
        let collected = try run(["sweep", "collect", sweep, "--store", "\(sweep)/store.sqlite"])
        XCTAssertEqual(collected.status, 0, collected.stderr)
        XCTAssertTrue(collected.stdout.hasPrefix("6 trials indexed"), collected.stdout)
        let html = try String(contentsOfFile: "\(sweep)/report.html", encoding: .utf8)
        XCTAssertTrue(html.contains("<svg") && html.contains("layers.0/distinct against model.hidden"))
    }

    /// The SLURM script runs the binary on exactly the trials its array task names: the seeds of
    /// an arm as one task, split until --jobs tasks can run at once.
    func testSlurmScriptRunsEachArrayTasksTrials() throws {
        let file = try sweepFile(steps: 200)
        let sweep = (file as NSString).deletingLastPathComponent + "/sweep"
        let outcome = try run(["sweep", "run", file, "--out", sweep, "--executor", "slurm", "--jobs", "4", "--cpus-per-trial", "2"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        XCTAssertTrue(outcome.stdout.contains("sbatch \(sweep)/sweep.sbatch"), outcome.stdout)
        XCTAssertTrue(outcome.stdout.contains("4 array tasks: the seeds of an arm train in one task as one seed stack, up to 2 per task"), outcome.stdout)
        let script = try String(contentsOfFile: "\(sweep)/sweep.sbatch", encoding: .utf8)
        // Three arms of two seeds; the first split in two so that four tasks run at once.
        XCTAssertTrue(script.contains("#SBATCH --array=0-2,4%4\n") && script.contains("#SBATCH --cpus-per-task=2\n"), script)
        // Run two array tasks as SLURM would (without SLURM): each completes its own trials only.
        for task in ["4", "1"] {
            let bash = Process()
            bash.executableURL = URL(fileURLWithPath: "/bin/bash")
            bash.arguments = ["\(sweep)/sweep.sbatch"]
            bash.environment = ProcessInfo.processInfo.environment.merging(["SLURM_ARRAY_TASK_ID": task, "SLURM_CPUS_PER_TASK": "2"]) { $1 }
            bash.standardOutput = FileHandle.nullDevice
            try bash.run()
            bash.waitUntilExit()
            XCTAssertEqual(bash.terminationStatus, 0)
        }
        let complete = try trialDirectories(sweep).filter(isComplete).map { ($0 as NSString).lastPathComponent.prefix(4) }
        XCTAssertEqual(complete, ["0001", "0004", "0005"])
        // Written again, the array covers only the trials still to run; without stacks, one task each.
        _ = try run(["sweep", "run", "\(sweep)/trials.jsonl", "--executor", "slurm"])
        let rewritten = try String(contentsOfFile: "\(sweep)/sweep.sbatch", encoding: .utf8)
        XCTAssertTrue(rewritten.contains("#SBATCH --array=0,2\n"), rewritten)
        _ = try run(["sweep", "run", "\(sweep)/trials.jsonl", "--executor", "slurm", "--no-seed-stacks"])
        let unstacked = try String(contentsOfFile: "\(sweep)/sweep.sbatch", encoding: .utf8)
        XCTAssertTrue(unstacked.contains("#SBATCH --array=0,2-3\n"), unstacked)
    }

    /// `reproduce --executor slurm` writes the experiment's job array (seed stacks as tasks),
    /// trains nothing, and names the command that analyses the runs once the array is done.
    func testReproduceWritesASlurmArrayAndTheCommandThatAnalysesIt() throws {
        let out = (try write("", "placeholder") as NSString).deletingLastPathComponent + "/reproduce"
        let written = try run(["reproduce", "E2", "--quick", "--out", out, "--executor", "slurm", "--override", "training.steps=60"])
        XCTAssertEqual(written.status, 0, written.stderr)
        let analysis = "noether reproduce E2 --out \(out) --analysis-only --quick --override=training.steps=60"
        XCTAssertTrue(written.stdout.contains("when it is done:  \(analysis)\n"), written.stdout)
        XCTAssertTrue(written.stdout.contains("4 array tasks: the seeds of an arm train in one task as one seed stack, up to 2 per task"), written.stdout)
        let script = try String(contentsOfFile: "\(out)/E2-quick/sweep.sbatch", encoding: .utf8)
        XCTAssertTrue(script.contains("#SBATCH --array=0-1,4-5\n") && script.contains("\n# Then: \(analysis)\n"), script)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(out)/E2-quick/summary.json"), "nothing is analysed before the array has run")
        XCTAssertEqual(((try? trialDirectories("\(out)/E2-quick")) ?? []).filter(isComplete), [])
        // The analysis before the array has run: an error that says so, and nothing trained here.
        let early = try run(Array(analysis.split(separator: " ").dropFirst().map(String.init)))
        assertCleanFailure(early, mentioning: "8 of 8 runs of E2 are not complete")
        XCTAssertEqual(((try? trialDirectories("\(out)/E2-quick")) ?? []).filter(isComplete), [])
        // With at most one seed per stack, one array task per run.
        let single = try run(["reproduce", "E2", "--quick", "--out", out, "--executor", "slurm", "--stack-size", "1", "--override", "training.steps=60"])
        XCTAssertFalse(single.stdout.contains("array tasks:"), single.stdout)
        XCTAssertTrue(try String(contentsOfFile: "\(out)/E2-quick/sweep.sbatch", encoding: .utf8).contains("#SBATCH --array=0-7\n"))
    }

    func testSweepMistakesAreOneLineErrors() throws {
        assertCleanFailure(try run(["sweep", "run", "/nonexistent/grid.yaml"]), mentioning: "does not exist")
        assertCleanFailure(try run(["sweep", "collect", "/nonexistent/sweep"]), mentioning: "sweep expand")
        let file = try sweepFile(steps: 100)
        let sweep = (file as NSString).deletingLastPathComponent + "/sweep"
        XCTAssertEqual(try run(["sweep", "expand", file, "--out", sweep]).status, 0)
        assertCleanFailure(try run(["run-trial", "\(sweep)/trials.jsonl", "--index", "6"]), mentioning: "no trial 6")
        let misspelt = try write("name: bad\nbase: {model: {kind: mlp, input: 2, output: 1}, data: {kind: teacher_student, dimension: 2}, training: {steps: 1}}\ngrid: {optimizer.weight_decy: [0.1]}\n", "bad.yaml")
        assertCleanFailure(try run(["sweep", "expand", misspelt]), mentioning: "weight_decy")
    }

    /// A trial another process is training (its run directory's lock held) is left to it:
    /// `run-trial` exits with EX_TEMPFAIL (75), and `sweep run` says so instead of calling it failed.
    func testATrialRunningElsewhereIsLeftToIt() throws {
        let file = try sweepFile(steps: 100)
        let sweep = (file as NSString).deletingLastPathComponent + "/sweep"
        XCTAssertEqual(try run(["sweep", "expand", file, "--out", sweep]).status, 0)
        let first = try XCTUnwrap(try String(contentsOfFile: "\(sweep)/trials.jsonl", encoding: .utf8).split(separator: "\n").first)
        let hash = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])?["hash"] as? String)
        let directory = "\(sweep)/trials/0000-\(hash.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let descriptor = open("\(directory)/.lock", O_RDWR | O_CREAT, 0o644)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        XCTAssertEqual(flock(descriptor, LOCK_EX | LOCK_NB), 0)
        let busy = try run(["run-trial", "\(sweep)/trials.jsonl", "--index", "0"])
        XCTAssertEqual(busy.status, 75, busy.stderr)
        XCTAssertTrue(busy.stderr.contains("in use by another Noether process"), busy.stderr)
        let sweepRun = try run(["sweep", "run", "\(sweep)/trials.jsonl", "--jobs", "2"])
        XCTAssertEqual(sweepRun.status, 1)
        XCTAssertTrue(sweepRun.stdout.contains("trial 0 is being run by another process; left to it"), sweepRun.stdout)
        XCTAssertTrue(sweepRun.stderr.contains("5 of 6 trials complete; 1 are running in another process (0): run the same command again once it has finished"), sweepRun.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(directory)/error.txt"))
        close(descriptor)
        XCTAssertEqual(try run(["sweep", "run", "\(sweep)/trials.jsonl"]).status, 0)
    }
}
