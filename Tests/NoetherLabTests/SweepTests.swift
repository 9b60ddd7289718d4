import Foundation
import Testing
@testable import NoetherLab
@testable import NoetherSweeps
@testable import NoetherTraining

/// A sweep over two widths and two seeds of a small teacher–student regression.
func smallSweep(steps: Int = 200, extra: String = "") throws -> SweepSpec {
    try ConfigLoader.decode(SweepSpec.self, from: """
        name: tiny
        metric: layers.0/distinct
        base:
          model: {kind: mlp, input: 6, hidden: [8], output: 1, activation: relu}
          data: {kind: teacher_student, dimension: 6, teacher_width: 2, train: 100, test: 50}
          optimizer: {kind: sgd, learning_rate: 0.05, weight_decay: 0.05}
          training: {steps: \(steps), batch_size: 25, eval_every: 100}
        grid:
          model.hidden: [[4], [8]]
          seed: [0, 1]
        \(extra)
        """, format: .yaml, source: "tiny.yaml")
}

func hidden(_ config: RunConfig) -> [Int] {
    guard case .mlp(let mlp) = config.model else { return [] }
    return mlp.hidden
}

@Suite("Sweeps")
struct SweepTests {
    @Test func gridExpandsDeterministicallyWithStableHashes() throws {
        let trials = try smallSweep().expand()
        #expect(trials.map(\.index) == [0, 1, 2, 3])
        // Sorted keys, the last varying fastest.
        #expect(trials.map { $0.overrides["seed"]?.number } == [0, 1, 0, 1])
        #expect(trials.map { hidden($0.config) } == [[4], [4], [8], [8]])
        #expect(trials.map(\.config.seed) == [0, 1, 0, 1])
        #expect(try smallSweep().expand() == trials)
        #expect(Set(trials.map(\.hash)).count == 4)
        // A trial's hash is its content: adding a width in front moves the indices, not the hashes.
        var wider = try smallSweep()
        wider.grid?["model.hidden"] = [[2], [4], [8]]
        let widerTrials = try wider.expand()
        #expect(widerTrials.count == 6)
        #expect(Set(trials.map(\.hash)).isSubset(of: Set(widerTrials.map(\.hash))))
        #expect(trials[0].directory(in: "s") == "s/trials/0000-\(trials[0].hash.prefix(8))")
    }

    @Test func widerGridsKeepTheRunsOfRenumberedTrials() throws {
        let sweep = SweepDirectory(temporaryDirectory())
        let before = try sweep.prepare(try smallSweep())
        // Stand-ins for runs: a file in each trial's directory, named after its hash.
        for trial in before {
            try FileManager.default.createDirectory(atPath: sweep.runDirectory(of: trial), withIntermediateDirectories: true)
            #expect(FileManager.default.createFile(atPath: "\(sweep.runDirectory(of: trial))/\(trial.hash)", contents: nil))
        }
        var wider = try smallSweep()
        wider.grid?["model.hidden"] = [[2], [4], [8]]
        let after = try sweep.prepare(wider)
        #expect(after.count == 6)
        for trial in after {
            let kept = before.contains { $0.hash == trial.hash }
            #expect(FileManager.default.fileExists(atPath: "\(sweep.runDirectory(of: trial))/\(trial.hash)") == kept)
        }
        // Every old directory was taken over; nothing is left under its old name.
        let names = try FileManager.default.contentsOfDirectory(atPath: "\(sweep.path)/trials")
        #expect(names.count == 4 && names.allSatisfy { name in after.contains { sweep.runDirectory(of: $0).hasSuffix(name) } })
        // Expanding the same grid again changes nothing.
        #expect(try sweep.adoptRenumberedRuns(after) == 0)
    }

    @Test func anInterruptedTrialWhoseIndexMovedResumes() throws {
        func spec(_ widths: String) throws -> SweepSpec {
            try ConfigLoader.decode(SweepSpec.self, from: """
                name: moving
                base:
                  model: {kind: mlp, input: 6, hidden: [8], output: 1, activation: relu}
                  data: {kind: teacher_student, dimension: 6, teacher_width: 2, train: 100, test: 50}
                  optimizer: {kind: sgd, learning_rate: 0.05}
                  training: {steps: 300, batch_size: 25, eval_every: 100, checkpoint_every: 100}
                grid:
                  model.hidden: \(widths)
                """, format: .yaml, source: "moving.yaml")
        }
        let sweep = SweepDirectory(temporaryDirectory())
        let before = try #require(try sweep.prepare(try spec("[[8]]")).first)
        let interrupted = try ConfigTrainer(config: before.config, options: TrainingOptions(directory: sweep.runDirectory(of: before), stopAfterSteps: 150)).run()
        #expect(interrupted.summary.status == "interrupted")
        let after = try #require(try sweep.prepare(try spec("[[4], [8]]")).last)
        #expect(after.hash == before.hash && after.index == 1 && after.config == before.config)
        guard case .ran(let summary) = try TrialRunner.run(trialsPath: sweep.trialsPath, index: after.index) else {
            Issue.record("the adopted trial did not run")
            return
        }
        #expect(summary.status == "completed")
        let uninterrupted = try ConfigTrainer(config: before.config).run()
        #expect(try RunLoader.load(sweep.runDirectory(of: after)).1.parameters.bitwiseEquals(uninterrupted.parameters))
    }

    @Test func aTrialRunningElsewhereIsNotMarkedFailed() throws {
        let sweep = SweepDirectory(temporaryDirectory())
        let trial = try #require(try sweep.prepare(try smallSweep(steps: 100)).first)
        try FileManager.default.createDirectory(atPath: sweep.runDirectory(of: trial), withIntermediateDirectories: true)
        do {
            let otherExecutor = try RunLock(directory: sweep.runDirectory(of: trial))
            let error = #expect(throws: RunError.self) { try TrialRunner.run(trialsPath: sweep.trialsPath, index: trial.index) }
            #expect(error?.isRunInUse == true)
            #expect(sweep.state(of: trial) != .failed)
            withExtendedLifetime(otherExecutor) {}
        }
        #expect(TrialRunner.attempts(of: trial, in: sweep) == ["start", "busy"])
        guard case .ran(let summary) = try TrialRunner.run(trialsPath: sweep.trialsPath, index: trial.index) else {
            Issue.record("the trial did not run once free")
            return
        }
        #expect(summary.status == "completed")
    }

    @Test func trialsRoundTripThroughJSONLines() throws {
        let trials = try smallSweep().expand()
        let path = temporaryDirectory() + "/trials.jsonl"
        try Trial.write(trials, to: path)
        #expect(try Trial.read(path) == trials)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.split(separator: "\n").count == 4 && text.contains("\"learning_rate\":0.05"))
        // Two lines with one index would be two runs in one directory: refused, with the line named.
        var twice = trials
        twice[3].index = 1
        try Trial.write(twice, to: path)
        #expect { try Trial.read(path) } throws: { ($0 as? RunError)?.message.contains("line 4: trial index 1 is given twice") ?? false }
        twice[3].index = -2
        try Trial.write(twice, to: path)
        #expect { try Trial.read(path) } throws: { ($0 as? RunError)?.message.contains("trial index -2 is negative") ?? false }
    }

    @Test func randomSearchIsSeededAndInRange() throws {
        let extra = """
        random:
          samples: 5
          seed: 7
          space:
            optimizer.learning_rate: {log_uniform: [0.001, 0.1]}
            optimizer.weight_decay: {uniform: [0, 0.2]}
            training.batch_size: {int_uniform: [10, 20]}
            model.activation: {choice: [relu, tanh]}
        """
        let trials = try smallSweep(extra: extra).expand()
        #expect(trials.count == 20)
        #expect(try smallSweep(extra: extra).expand() == trials)
        for trial in trials {
            let optimizer = trial.config.optimizer
            #expect(optimizer.learningRate >= 0.001 && optimizer.learningRate <= 0.1)
            #expect(optimizer.weightDecay >= 0 && optimizer.weightDecay <= 0.2)
            #expect((10...20).contains(trial.config.training.batchSize))
        }
        #expect(Set(trials.map(\.config.optimizer.learningRate)).count == 20)
        #expect(Set(trials.map { trial -> String in
            guard case .mlp(let mlp) = trial.config.model else { return "" }
            return mlp.activation.rawValue
        }).count == 2)
        let other = try smallSweep(extra: extra.replacingOccurrences(of: "seed: 7", with: "seed: 8")).expand()
        #expect(other.map(\.config.optimizer.learningRate) != trials.map(\.config.optimizer.learningRate))
    }

    @Test func badSweepsAreErrorsThatSayWhy() throws {
        var misspelt = try smallSweep()
        misspelt.grid = ["optimizer.weight_decy": [0.1]]
        #expect(throws: RunError.self) { try misspelt.expand() }
        var empty = try smallSweep()
        empty.grid = ["seed": []]
        let error = try #require(throws: RunError.self) { try empty.expand() }
        #expect(error.description.contains("seed"))
        let badDistribution = try smallSweep(extra: "random: {samples: 2, space: {seed: {uniform: [1]}}}")
        #expect(throws: RunError.self) { try badDistribution.expand() }
    }

    @Test func trialsRunOnceAndFailuresAreStickyUntilRetried() throws {
        let sweep = SweepDirectory(temporaryDirectory())
        let spec = try smallSweep(extra: "  init.from: [null, /no/such/weights.safetensors]")
        let trials = try sweep.prepare(spec)
        #expect(trials.count == 8)
        let good = try #require(trials.first { $0.config.initializer.from == nil })
        let bad = try #require(trials.first { $0.config.initializer.from != nil })

        guard case .ran(let summary) = try TrialRunner.run(trialsPath: sweep.trialsPath, index: good.index) else {
            Issue.record("a pending trial should run"); return
        }
        #expect(summary.status == "completed" && sweep.state(of: good) == .completed)
        #expect(try TrialRunner.run(trialsPath: sweep.trialsPath, index: good.index) == .alreadyComplete)
        #expect(TrialRunner.attempts(of: good, in: sweep) == ["start", "finish", "skip"])

        #expect(throws: RunError.self) { try TrialRunner.run(trialsPath: sweep.trialsPath, index: bad.index) }
        #expect(sweep.state(of: bad) == .failed)
        #expect(sweep.error(of: bad)?.contains("no/such/weights") == true)
        let again = try #require(throws: RunError.self) { try TrialRunner.run(trialsPath: sweep.trialsPath, index: bad.index) }
        #expect(again.description.contains("--retry-failed"))
        #expect(TrialRunner.attempts(of: bad, in: sweep) == ["start", "fail"])
        #expect(throws: RunError.self) { try TrialRunner.run(trialsPath: sweep.trialsPath, index: bad.index, retryFailed: true) }
        #expect(TrialRunner.attempts(of: bad, in: sweep) == ["start", "fail", "start", "fail"])
        #expect(sweep.runnable(trials, retryFailed: false).count == 6)
        #expect(sweep.runnable(trials, retryFailed: true).count == 7)
        #expect(throws: RunError.self) { try TrialRunner.run(trialsPath: sweep.trialsPath, index: 99) }
        // A task queued for another expansion of the sweep refuses to run.
        let moved = try #require(throws: RunError.self) {
            try TrialRunner.run(trialsPath: sweep.trialsPath, index: good.index, expectedHash: "00000000")
        }
        #expect(moved.description.contains("expanded again"))
        #expect(try TrialRunner.run(trialsPath: sweep.trialsPath, index: good.index, expectedHash: String(good.hash.prefix(8))) == .alreadyComplete)
    }

    @Test func reportGroupsTheMetricBySweptKeyOverSeeds() throws {
        let sweep = SweepDirectory(temporaryDirectory())
        let trials = try sweep.prepare(try smallSweep())
        for trial in trials { _ = try TrialRunner.run(trialsPath: sweep.trialsPath, index: trial.index) }
        let report = try SweepReport(sweep)
        #expect(report.manifest.metric == "layers.0/distinct" && report.manifest.sweptKeys == ["model.hidden", "seed"])
        #expect(report.chartedKeys == ["model.hidden"])
        let cells = report.cells(against: "model.hidden")
        #expect(cells.map(\.value) == [[4], [8]] && cells.allSatisfy { $0.values.count == 2 })
        for cell in cells {
            let expected = report.rows.filter { $0.trial.overrides["model.hidden"] == cell.value }.compactMap(\.metric)
            #expect(cell.values == expected)
            #expect(abs(cell.mean - (expected[0] + expected[1]) / 2) < 1e-12)
            #expect(abs(cell.standardDeviation - abs(expected[0] - expected[1]) / 2.squareRoot()) < 1e-12)
            #expect(expected.allSatisfy { $0 >= 1 && $0 <= 8 })
        }
        guard case .lines(let chart) = report.figure(against: "model.hidden") else { Issue.record("a line chart"); return }
        #expect(chart.series.first?.points.map(\.x) == [4, 8])
        try report.write(to: sweep)
        // RFC 4180 records end in CRLF.
        let csv = try String(contentsOfFile: "\(sweep.path)/results.csv", encoding: .utf8).components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(csv.first == "index,hash,state,model.hidden,seed,layers.0/distinct,test_loss" && csv.count == 5)
        let html = try String(contentsOfFile: "\(sweep.path)/report.html", encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("4 completed"))
    }

    @Test func slurmArrayCoversExactlyTheRunnableTrials() throws {
        let sweep = SweepDirectory(temporaryDirectory())
        let script = SlurmScript(name: "tiny", sweep: sweep, binary: "/opt/noether bin/noether", indices: [7, 0, 1, 2, 5, 8], concurrency: 3, cpusPerTrial: 2, options: ["--time=00:30:00"])
        #expect(script.arraySpecification == "0-2,5,7-8%3")
        #expect(SlurmScript(name: "t", sweep: sweep, binary: "b", indices: Array(0..<6), concurrency: nil, cpusPerTrial: 1).arraySpecification == "0-5")
        let lines = script.text.split(separator: "\n").map(String.init)
        #expect(lines.first == "#!/bin/bash")
        #expect(lines.contains("#SBATCH --array=0-2,5,7-8%3") && lines.contains("#SBATCH --cpus-per-task=2") && lines.contains("#SBATCH --time=00:30:00"))
        #expect(lines.contains("#SBATCH --chdir=\(FileManager.default.currentDirectoryPath)"))
        #expect(lines.contains("'/opt/noether bin/noether' run-trial \(sweep.path)/trials.jsonl \"${trial_options[@]}\" || status=$?"))
        #expect(lines.contains("TASKS=(--index=0 --index=1 --index=2 '' '' --index=5 '' --index=7 --index=8)"))
        #expect(lines.last == "exit \"$status\"")
        var hashed = script
        hashed.hashes = [0: "aaaa1111", 2: "cccc3333"]
        #expect(hashed.text.contains("\nTASKS=('--index=0 --hash=aaaa1111' --index=1 '--index=2 --hash=cccc3333' "))
        var retrying = script
        retrying.retryFailed = true
        #expect(retrying.text.contains("\"${trial_options[@]}\" --retry-failed || status=$?\n"))
    }
}
