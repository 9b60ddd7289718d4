import Foundation
import Synchronization
import Testing
@testable import NoetherLab
import NoetherIO
@testable import NoetherSweeps
@testable import NoetherTraining

/// The repository's experiments folder.
let experimentsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("experiments").path

func runQuick(_ id: String, overrides: [String: JSONValue] = [:]) throws -> (ExperimentSummary, String) {
    let spec = try ExperimentSpec.load(id, from: experimentsDirectory)
    let directory = temporaryDirectory() + "/\(id)-quick"
    var runner = ExperimentRunner(spec: spec, quick: true, directory: directory)
    runner.overrides = overrides
    return (try runner.run(), directory)
}

@Suite("Verdicts and effects")
struct VerdictTests {
    @Test func seedsCombineByThePreRegisteredCount() {
        let (h, n, i) = (Verdict.holds, Verdict.doesNotHold, Verdict.inconclusive)
        #expect(Verdict.combining([h, h, h, h, n], required: 4, minimum: 5) == .holds)
        #expect(Verdict.combining([h, h, h, n, n], required: 4, minimum: 5) == .doesNotHold)
        // An undecided seed that could have made the count leaves the verdict open.
        #expect(Verdict.combining([h, h, h, i, n], required: 4, minimum: 5) == .inconclusive)
        #expect(Verdict.combining([h, h, h, h], required: 4, minimum: 5) == .inconclusive, "too few seeds")
        #expect(Verdict.experiment(main: .holds, controls: [.doesNotHold]) == .holds)
        #expect(Verdict.experiment(main: .holds, controls: [.doesNotHold, .holds]) == .inconclusive)
        #expect(Verdict.experiment(main: .holds, controls: [.inconclusive]) == .inconclusive)
        #expect(Verdict.experiment(main: .doesNotHold, controls: [.holds]) == .doesNotHold)
    }

    @Test func effectsCarryAStudentTInterval() {
        // mean 2, s = 1, n = 3: half-width t(0.975, 2) / √3 = 4.303 / 1.732.
        let effect = Effect(name: "x", values: [1, 2, 3])
        #expect(effect.mean == 2 && effect.n == 3)
        #expect(abs(effect.ci95[1] - 2 - 4.303 / 3.0.squareRoot()) < 1e-9)
        #expect(abs(Effect(name: "y", values: [5, 7, .nan]).ci95[0] - (6 - 12.706 * 1.4142135623730951 / 2.0.squareRoot())) < 1e-9)
        #expect(Effect(name: "z", values: [4]).ci95[1] == .infinity, "one seed has no interval")
        #expect(abs(Effect.tQuantile975(degreesOfFreedom: 4) - 2.776) < 1e-12)
    }

    @Test func aCriterionOnAnUnfitRunIsInconclusive() {
        #expect(SeedEvaluation.decide(true, unfit: ["a (train loss 1 > 0.1)"], failing: "x").0 == .inconclusive)
        #expect(SeedEvaluation.decide(false, unfit: [], failing: "x") == (.doesNotHold, "x"))
        #expect(SeedEvaluation.decide(true, unfit: [], failing: "x").0 == .holds)
    }

    @Test func requiredSeedsFollowTheShare() throws {
        let spec = try ExperimentSpec.load("E1", from: experimentsDirectory)
        #expect(spec.requiredSeeds(of: 5) == 4)
        #expect(spec.requiredSeeds(of: 2) == 2)
        #expect(spec.requiredSeeds(of: 10) == 8)
    }
}

@Suite("E10's teacher spectrum")
struct TeacherSpectrumTests {
    // A learned spectrum that is exactly the soft-thresholded teacher (κ = 2, τ = 0.3): τ is
    // recovered from σ1/σ2 and σ3/σ1, σ4/σ1 are predicted exactly; the scaled teacher misses them.
    @Test func aSoftThresholdedSpectrumIsPredictedFromItsFirstTwoValues() throws {
        let teacher = [4.0, 2, 1, 0.5]
        let spectrum = TeacherSpectrum(learned: teacher.map { 2 * max($0 - 0.3, 0) }, teacher: teacher)
        let tau = try #require(spectrum.threshold)
        #expect(abs(tau - 0.3) < 1e-12)
        for (predicted, observed) in zip(spectrum.softThresholdRatios, spectrum.observedRatios) { #expect(abs(predicted - observed) < 1e-12) }
        #expect(abs(spectrum.scaledRatios[0] - spectrum.observedRatios[0]) > 0.01)
        // A scaled teacher has τ = 0, and both predictions then agree with it.
        let scaled = TeacherSpectrum(learned: teacher.map { 3 * $0 }, teacher: teacher)
        #expect(abs(try #require(scaled.threshold)) < 1e-12)
        #expect(zip(scaled.scaledRatios, scaled.observedRatios).allSatisfy { abs($0 - $1) < 1e-12 })
        // A flat spectrum determines no threshold.
        #expect(TeacherSpectrum(learned: [1, 1, 1, 1], teacher: teacher).threshold == nil)
    }
}

@Suite("The paper's experiments")
struct ExperimentTests {
    @Test func everyExperimentIsPreRegisteredWithSeedsAndControls() throws {
        #expect(ExperimentSpec.identifiers == (1...15).map { "E\($0)" })
        for id in ExperimentSpec.identifiers {
            let spec = try ExperimentSpec.load(id, from: experimentsDirectory)
            #expect(spec.id == id)
            #expect(!spec.ours.isEmpty && !spec.criterion.isEmpty && !spec.cause.isEmpty)
            #expect(spec.seeds.count >= 5 && spec.seeds(quick: true).count >= 2, "\(id)")
            #expect(!spec.controls(quick: true).isEmpty, "\(id) has a control in quick form")
            #expect(ExperimentAnalyses.named(spec.analysis) != nil, "\(id): analysis \(spec.analysis)")
            for quick in [false, true] {
                let runner = ExperimentRunner(spec: spec, quick: quick, directory: "unused")
                let planned = try runner.plan()
                let variants = 1 + spec.controls(quick: quick).count
                #expect(planned.count == variants * spec.seeds(quick: quick).count * spec.arms(quick: quick).count)
                for p in planned { try p.trial.config.validate() }
                // Distinct runs have distinct hashes, so no two trials share a directory.
                #expect(Set(planned.map(\.trial.hash)).count == planned.count)
            }
        }
    }

    @Test func seedOffsetsKeepArmsDistinctUnderEverySeed() throws {
        let spec = try ExperimentSpec.load("E8", from: experimentsDirectory)
        var runner = ExperimentRunner(spec: spec, quick: true, directory: "unused")
        runner.seedShift = 7
        let planned = try runner.plan().filter { $0.control == nil }
        for seed in spec.seeds(quick: true, shift: 7) {
            let seeds = planned.filter { $0.seed == seed }.map(\.trial.config.seed)
            // Three networks (MLP A, MLP B, the CNN), three distinct seeds.
            #expect(seeds.count == 3 && Set(seeds).count == 3 && seeds.contains(seed))
        }
    }

    @Test func overridesAreForcedIntoEveryRunAfterTheArms() throws {
        let spec = try ExperimentSpec.load("E3", from: experimentsDirectory)
        var runner = ExperimentRunner(spec: spec, quick: true, directory: "unused")
        runner.overrides = ["optimizer.weight_decay": .number(0)]
        #expect(try runner.plan().allSatisfy { $0.trial.config.optimizer.weightDecay == 0 })
        runner.overrides = ["optimizer.weight_decy": .number(0)]
        #expect(throws: RunError.self) { try runner.plan() }
    }

    @Test func e3SummaryFollowsTheContractAndItsNullVariantDoesNotHold() throws {
        let (summary, directory) = try runQuick("E3")
        try expectContract(summary, directory: directory)
        let data = try #require(FileManager.default.contents(atPath: "\(directory)/summary.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["experiment", "claim", "criterion", "verdict", "holds", "seeds", "controls", "effects", "predictions", "settings", "ours"] {
            #expect(json[key] != nil, "summary.json has \(key)")
        }
        // Weight decay removed by --override: the criterion cannot hold.
        let (null, _) = try runQuick("E3", overrides: ["optimizer.weight_decay": .number(0)])
        #expect(null.verdict != .holds)
        #expect(null.seeds.allSatisfy { $0.verdict != .holds })
    }

    @Test func e10WithoutWeightDecayDoesNotHold() throws {
        // Shortened (a debug build trains the transformer slowly); still the null variant.
        let (null, directory) = try runQuick("E10", overrides: ["optimizer.weight_decay": .number(0), "training.steps": .number(300)])
        try expectContract(null, directory: directory)
        #expect(null.verdict != .holds)
        #expect(null.seeds.allSatisfy { $0.verdict != .holds })
    }

    /// `prepare` writes the trials and trains nothing; an executor elsewhere (here a stand-in
    /// that runs each trial it is handed) trains them, and the analysis reads what it left:
    /// the verdicts of the in-process run.
    @Test func anExecutorElsewhereTrainsTheRunsTheAnalysisReads() throws {
        let spec = try ExperimentSpec.load("E2", from: experimentsDirectory)
        let short: [String: JSONValue] = ["training.steps": .number(60)]
        var runner = ExperimentRunner(spec: spec, quick: true, directory: temporaryDirectory() + "/E2-quick")
        runner.overrides = short
        let (sweep, trials) = try runner.prepare()
        #expect(trials.count == (try runner.runCount()) && trials.count > 1)
        #expect(sweep.runnable(trials, retryFailed: false).count == trials.count, "prepare trained nothing")
        let handed = Mutex<[Int]>([])
        runner.executor = { sweep throws(RunError) in
            let trials = try sweep.trials()
            var report = SweepRunReport(before: trials, in: sweep, retryFailed: false)
            for trial in sweep.runnable(trials, retryFailed: false) {
                handed.withLock { $0.append(trial.index) }
                _ = try TrialRunner.run(trialsPath: sweep.trialsPath, index: trial.index)
                _ = report.record(trial, exit: .status(0), in: sweep)
            }
            return report
        }
        let elsewhere = try runner.run()
        #expect(handed.withLock { $0 } == trials.map(\.index))
        let (here, _) = try runQuick("E2", overrides: short)
        // Compared as JSON: at 60 steps some effects are NaN (a direction not learned yet).
        let json = JSONFormat.encoder()
        #expect(try json.encode(elsewhere.seeds) == json.encode(here.seeds))
        #expect(try json.encode(elsewhere.effects) == json.encode(here.effects))
        #expect(elsewhere.verdict == here.verdict)
        // Run again, nothing is missing: the executor is not asked.
        _ = try runner.run()
        #expect(handed.withLock { $0.count } == trials.count)
    }

    @Test func e9ResumesToTheSameSummaryAndRebuildsItsReport() throws {
        let (summary, directory) = try runQuick("E9")
        try expectContract(summary, directory: directory)
        let html = try String(contentsOfFile: "\(directory)/report.html", encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("Negative controls") && html.contains("95%"))
        try FileManager.default.removeItem(atPath: "\(directory)/report.html")
        #expect(try ReportWriter.rebuild(directory).verdict == summary.verdict)
        // A second run finds every trial complete and recomputes the same verdicts.
        let again = try ExperimentRunner(spec: try ExperimentSpec.load("E9", from: experimentsDirectory), quick: true, directory: directory).run()
        #expect(again.seeds == summary.seeds && again.effects == summary.effects)
        let markdown = ReportWriter.markdown([(directory, summary)])
        #expect(markdown.contains("| E9 DCS gates prune layers the task does not need (quick) | **\(summary.verdict.rawValue)** |"))
    }

    @Test func runStoreRebuildsTheSameIndex() throws {
        let (summary, directory) = try runQuick("E9")
        let path = temporaryDirectory() + "/store.sqlite"
        let store = try RunStore(path: path)
        for run in summary.runs { try store.index(run: "\(directory)/\(run)", experiment: "E9") }
        let before = try store.runs()
        #expect(before.count == summary.runs.count && before.allSatisfy { $0.experiment == "E9" && $0.status == "completed" })
        try FileManager.default.removeItem(atPath: path)
        let rebuilt = try RunStore(path: path)
        #expect(try rebuilt.importDirectory("\(directory)/trials") == summary.runs.count)
        #expect(try rebuilt.runs().map(\.id).sorted() == before.map(\.id).sorted())
        #expect(throws: RunError.self) { try rebuilt.run("no-such-run") }
    }

    @Test func overridesAreStrict() throws {
        let base = try staircaseConfig(steps: 10)
        let changed = try ConfigOverrides.apply(["optimizer.weight_decay": 0.5, "model.hidden": [8]], to: base, source: "test")
        #expect(changed.optimizer.weightDecay == 0.5)
        #expect(changed.model.inputCount == 20)
        #expect(throws: RunError.self) { try ConfigOverrides.apply(["optimizer.weight_decy": 0.5], to: base, source: "test") }
    }
}

/// The summary.json contract: a verdict of three, `holds` exactly when it holds, ≥ 2 seeds each
/// with a verdict, ≥ 1 control with the cause it removes, effects with intervals.
func expectContract(_ summary: ExperimentSummary, directory: String) throws {
    #expect(summary.holds == (summary.verdict == .holds))
    #expect(summary.seeds.count >= 2)
    #expect(!summary.controls.isEmpty && summary.controls.allSatisfy { !$0.causeRemoved.isEmpty && $0.seeds.count == summary.seeds.count })
    #expect(!summary.effects.isEmpty && summary.effects.allSatisfy { $0.ci95.count == 2 && $0.n <= summary.seeds.count })
    for file in ["summary.json", "figures.json", "report.html"] { #expect(FileManager.default.fileExists(atPath: "\(directory)/\(file)")) }
    let decoded = try ReportWriter.summary(directory)
    #expect(decoded.verdict == summary.verdict && decoded.seeds.count == summary.seeds.count)
}
