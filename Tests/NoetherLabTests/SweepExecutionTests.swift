import Foundation
import Testing
@testable import NoetherLab
@testable import NoetherSweeps
@testable import NoetherTraining
import NoetherSymmetry

/// How executors file the end of each trial, and what they tell the user, checked with a
/// stand-in for `noether run-trial` whose behaviour per trial is scripted.
@Suite("Sweep execution outcomes")
struct SweepExecutionTests {
    /// A real run directory with a completed summary, for stand-ins to copy into a trial's.
    func completedRun() throws -> String {
        let template = temporaryDirectory()
        let config = try #require(try smallSweep(steps: 10).expand().first).config
        _ = try ConfigTrainer(config: config, options: TrainingOptions(directory: template)).run()
        return template
    }

    /// A bash script taking run-trial's arguments (`run-trial TRIALS --index=I --hash=H`) that
    /// does, for trial I, what `behaviour[I]` says (the default: completes the trial).
    func standIn(_ sweep: SweepDirectory, behaviour: [Int: String]) throws -> String {
        let template = try completedRun()
        let cases = behaviour.map { "  \($0.key)) \($0.value) ;;" }.joined(separator: "\n")
        let script = """
            #!/bin/bash
            index="${3#--index=}"
            dir="$(dirname "$2")/trials/$(printf %04d "$index")-${4#--hash=}"
            mkdir -p "$dir"
            complete() { cp '\(template)/summary.json' "$dir/summary.json"; }
            case "$index" in
            \(cases)
              *) complete; exit 0 ;;
            esac
            """
        let path = temporaryDirectory() + "-run-trial.sh"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    /// The stand-in runs one trial per child.
    func oneChildPerTrial(_ executor: LocalExecutor) -> LocalExecutor {
        var executor = executor
        executor.largestStack = 1
        return executor
    }

    /// The seeds of an arm go to one child, halved until every job has a child.
    @Test func seedsOfAnArmShareAChild() throws {
        let trials = try smallSweep(steps: 10, extra: "").expand()
        #expect(trials.count == 4)
        func indices(_ units: [[Trial]]) -> [[Int]] { units.map { $0.map(\.index) } }
        let byArm = Dictionary(grouping: trials.map(\.index)) { hidden(trials[$0].config) }.values.map { $0.sorted() }.sorted { $0[0] < $1[0] }
        #expect(indices(SeedStackUnits.units(trials, jobs: 1)) == byArm)
        #expect(indices(SeedStackUnits.units(trials, jobs: 2)) == byArm)
        #expect(SeedStackUnits.units(trials, jobs: 4).count == 4)
        #expect(indices(SeedStackUnits.units(Array(trials[0..<1]), jobs: 2)) == [[trials[0].index]])
        var withSyre = trials
        for i in withSyre.indices { withSyre[i].config.control.syre = try ConfigLoader.decode(SyreSpec.self, from: "{}", format: .yaml, source: "syre") }
        #expect(SeedStackUnits.units(withSyre, jobs: 1).allSatisfy { $0.count == 1 })
    }

    /// Trials run as a group train the seeds of an arm as a stack, each with its attempts
    /// recorded, and their weights are the bytes of the trials run one by one.
    @Test func aGroupOfTrialsEqualsTheTrialsRunOneByOne() throws {
        let grouped = SweepDirectory(temporaryDirectory()), single = SweepDirectory(temporaryDirectory())
        let trials = try grouped.prepare(try smallSweep(steps: 60))
        _ = try single.prepare(try smallSweep(steps: 60))
        let outcomes = try TrialRunner.run(trialsPath: grouped.trialsPath, indices: trials.map(\.index))
        for (trial, outcome) in zip(trials, outcomes) {
            guard case .success(.ran) = outcome else { Issue.record("trial \(trial.index): \(outcome)"); continue }
            _ = try TrialRunner.run(trialsPath: single.trialsPath, index: trial.index)
            let a = FileManager.default.contents(atPath: "\(grouped.runDirectory(of: trial))/weights.safetensors")
            #expect(a != nil && a == FileManager.default.contents(atPath: "\(single.runDirectory(of: trial))/weights.safetensors"))
            #expect(TrialRunner.attempts(of: trial, in: grouped) == ["start", "finish"])
        }
        let again = try TrialRunner.run(trialsPath: grouped.trialsPath, indices: trials.map(\.index))
        #expect(again.allSatisfy { if case .success(.alreadyComplete) = $0 { true } else { false } })
    }

    /// A stand-in for `noether run-trial TRIALS --index=I --hash=H [--index=…]` that does, for
    /// each trial I, what `behaviour[I]` says (the default: completes it), then exits with the
    /// status the real command gives a group: 1 when a trial failed, else 75 when one was busy.
    func groupStandIn(_ sweep: SweepDirectory, behaviour: [Int: String]) throws -> String {
        let template = try completedRun()
        let cases = behaviour.map { "    \($0.key)) \($0.value) ;;" }.joined(separator: "\n")
        let script = """
            #!/bin/bash
            root="$(dirname "$2")"; shift 2
            failed=0; busy=0
            while [ $# -gt 0 ]; do
              case "$1" in
                --index=*) index="${1#--index=}"; shift ;;
                --hash=*) dir="$root/trials/$(printf %04d "$index")-${1#--hash=}"; shift; mkdir -p "$dir"
                  case "$index" in
            \(cases)
                    *) cp '\(template)/summary.json' "$dir/summary.json" ;;
                  esac ;;
                *) shift ;;
              esac
            done
            [ $failed = 1 ] && exit 1
            [ $busy = 1 ] && exit 75
            exit 0
            """
        let path = temporaryDirectory() + "-run-trials.sh"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    /// In a child that trains an arm's seeds together, each trial is filed by its own state:
    /// one failed, one busy (the child's exit status says "failed"), the other arm complete;
    /// the trial that shared the leader's child has a log that points to the leader's.
    @Test func aGroupedChildFilesEachTrialByItsOwnOutcome() throws {
        let sweep = SweepDirectory(temporaryDirectory())
        let trials = try sweep.prepare(try smallSweep())
        let units = SeedStackUnits.units(sweep.runnable(trials, retryFailed: false), jobs: 1)
        let arm = try #require(units.first { $0.count == 2 })
        let (failing, busy) = (arm[0].index, arm[1].index)
        let binary = try groupStandIn(sweep, behaviour: [
            failing: "echo 'out of cheese' > \"$dir/error.txt\"; failed=1",
            busy: "echo '{\"event\":\"busy\"}' >> \"$dir/attempts.jsonl\"; busy=1",
        ])
        let report = try LocalExecutor(jobs: 1, binary: binary).run(sweep)
        #expect(report.failed.map(\.index) == [failing])
        #expect(report.busy == [busy])
        #expect(report.completed.sorted() == trials.map(\.index).filter { $0 != failing && $0 != busy })
        #expect(report.stopped.isEmpty)
        let pointer = try String(contentsOfFile: sweep.logPath(of: arm[1]), encoding: .utf8)
        #expect(pointer.contains(sweep.logPath(of: arm[0])))
    }

    /// Trial 0 is busy when asked, and the other process finishes it while trial 3 runs (the
    /// stand-in for trial 3 completes both); trial 1's process is killed. Neither may be
    /// reported as running elsewhere or as failed.
    @Test func busyTrialsAreRecheckedAndKilledTrialsAskForAPlainRerun() throws {
        let sweep = SweepDirectory(temporaryDirectory())
        let trials = try sweep.prepare(try smallSweep())
        let binary = try standIn(sweep, behaviour: [0: "exit 75", 1: "kill -9 $$", 3: "complete; dir=\"$(echo \"$(dirname \"$2\")\"/trials/0000-*)\"; complete; exit 0"])
        let report = try oneChildPerTrial(LocalExecutor(jobs: 1, binary: binary)).run(sweep)
        #expect(report.busy.isEmpty)
        #expect(report.completed.sorted() == [0, 2, 3])
        #expect(report.failed.isEmpty && report.stopped.map { $0.index } == [1])
        let (lines, error) = report.conclusion(total: trials.count, directory: sweep.path)
        let message = try #require(error).description
        #expect(message.hasPrefix("3 of 4 trials complete; 1 stopped without finishing (trial 1: killed by signal 9 (SIGKILL"), "\(message)")
        #expect(message.contains("run the same command again") && message.contains(sweep.logPath(of: trials[1])))
        #expect(!message.contains("--retry-failed") && !message.contains("another process"))
        #expect(lines.isEmpty)
    }

    /// A trial that records an error is the one case that needs --retry-failed; a clean sweep
    /// says how to collect it.
    @Test func conclusionsNameTheRemedyOfEachSituation() throws {
        let sweep = SweepDirectory(temporaryDirectory())
        let trials = try sweep.prepare(try smallSweep())
        let binary = try standIn(sweep, behaviour: [2: "echo 'no such file' > \"$dir/error.txt\"; exit 1"])
        let report = try oneChildPerTrial(LocalExecutor(jobs: 2, binary: binary)).run(sweep)
        let error = try #require(report.conclusion(total: trials.count, directory: sweep.path).error)
        #expect(error.description == "3 of 4 trials complete; 1 failed (trial 2: no such file): fix the cause and rerun with --retry-failed")
        // Run again without --retry-failed: nothing runs, and the message is the same (as the slurm executor gives it too).
        let again = try oneChildPerTrial(LocalExecutor(jobs: 2, binary: binary)).run(sweep)
        let conclusion = again.conclusion(total: trials.count, directory: sweep.path)
        #expect(conclusion.error?.description == error.description)
        #expect(conclusion.lines == ["3 trials were already complete", "trial 2 failed earlier (not retried): no such file"])
        let fixed = try LocalExecutor(jobs: 2, binary: try standIn(sweep, behaviour: [:]), retryFailed: true).run(sweep)
        let done = fixed.conclusion(total: trials.count, directory: sweep.path)
        #expect(done.error == nil && done.lines.last == "4 of 4 trials complete; collect them with: noether sweep collect \(sweep.path)")
    }

    @Test func resultsTableNamesTheTestLossOnceWhenItIsTheMetric() throws {
        let sweep = SweepDirectory(temporaryDirectory())
        let trials = try sweep.prepare(try smallSweep(steps: 20))
        for trial in trials { _ = try TrialRunner.run(trialsPath: sweep.trialsPath, index: trial.index) }
        let lines = try SweepReport(sweep, metric: "test_loss").csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines.first == "index,hash,state,model.hidden,seed,test_loss")
        #expect(lines.dropFirst().allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == 6 })
        #expect(try SweepReport(sweep).csv.hasPrefix("index,hash,state,model.hidden,seed,layers.0/distinct,test_loss\r\n"))
    }
}
