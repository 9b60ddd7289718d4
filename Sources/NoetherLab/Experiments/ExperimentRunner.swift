import Foundation
import NoetherIO
import NoetherNN
import NoetherSweeps
import NoetherSymmetry
import NoetherTensor
import NoetherTraining

/// A finished run of an experiment, with what analyses read from it.
public struct ExperimentRun: Sendable {
    /// The arm's name.
    public let name: String
    public let label: String
    public let config: RunConfig
    public let result: TrainingResult
    public let directory: String

    /// A metric's (step, value) series.
    public func series(_ name: String) -> [LineChart.Point] {
        result.metrics.filter { $0.name == name && $0.value.isFinite }.map { LineChart.Point(Double($0.step), $0.value) }
    }

    /// A metric's last value.
    public func last(_ name: String) -> Double? { result.metrics.last { $0.name == name }?.value }

    /// The steps with saved weights (`training.snapshot_every`), in order.
    public func snapshotSteps() -> [Int] { RunDirectory(directory).snapshotSteps() }

    /// The effective parameters saved at `step`.
    public func snapshot(at step: Int) throws(RunError) -> Parameters<Float> {
        let path = RunDirectory(directory).snapshotPath(step: step)
        do { return Parameters(try SafetensorsFile(contentsOf: path).tensors(as: Float.self)) } catch {
            throw RunError("cannot read the snapshot \(path): \(error)")
        }
    }
}

/// One seed of one variant (the experiment, or a control) with its finished runs.
public struct SeedContext: Sendable {
    public let spec: ExperimentSpec
    public let seed: UInt64
    /// The control this seed belongs to (nil: the experiment itself).
    public let control: ExperimentSpec.Control?
    public let quick: Bool
    /// The finished arms, in the file's order.
    public let runs: [ExperimentRun]
    /// `--override` values, forced into every run.
    public let forced: [String: JSONValue]

    /// The arm named `name`.
    public func run(_ name: String) -> ExperimentRun? { runs.first { $0.name == name } }

    /// The base config of this variant and seed (for analyses that compute without runs).
    public func baseConfiguration() throws(RunError) -> RunConfig {
        try spec.baseConfiguration(seed: seed, control: control, quick: quick, forced: forced)
    }
}

/// Every seed of the experiment and of its controls.
public struct ExperimentStudy: Sendable {
    public let spec: ExperimentSpec
    public let quick: Bool
    public let main: [SeedContext]
    public let controls: [(control: ExperimentSpec.Control, seeds: [SeedContext])]
}

/// Turns an experiment's runs into per-seed verdicts and figures.
protocol ExperimentAnalysis {
    /// Evaluates the criterion on one seed's runs (of the experiment or of a control).
    func evaluate(_ context: SeedContext) throws(RunError) -> SeedEvaluation
    /// Figures over all seeds, with bands across them.
    func figures(_ study: ExperimentStudy) throws(RunError) -> [Figure]
}

/// Runs an experiment's arms over its seeds and controls as the trials of a sweep (in parallel
/// with `jobs` > 1, resumable either way), evaluates the criterion on each seed, combines the
/// verdicts by the pre-registered share, and writes `summary.json`, `figures.json` and
/// `report.html`.
public struct ExperimentRunner {
    public let spec: ExperimentSpec
    public let quick: Bool
    public let directory: String
    /// Added to every registered seed (`--seed`).
    public var seedShift: UInt64 = 0
    /// Forced into every run after the experiment's own overrides (`--override`).
    public var overrides: [String: JSONValue] = [:]
    /// Trials run at once; 1 runs them in this process.
    public var jobs = 1
    /// The `noether` binary that runs trials when `jobs` > 1.
    public var binary = RepositoryFiles.executable
    /// Discard earlier runs instead of resuming them.
    public var restart = false
    /// The most seeds of an arm trained as one seed stack (``SeedStackUnits``; 1: every run alone).
    public var largestStack = SeedStackUnits.largestStack
    /// Whether missing runs are trained (false: they are an error, e.g. after a SLURM array
    /// that has not finished, rather than training on the machine that analyses).
    public var trainsMissingRuns = true
    /// Runs the missing trials elsewhere (e.g. a ``RayExecutor``) instead of on this machine;
    /// the analysis then reads what they left in the sweep directory.
    public var executor: (@Sendable (SweepDirectory) throws(RunError) -> SweepRunReport)?
    public var onProgress: @Sendable (String) -> Void = { _ in }

    public init(spec: ExperimentSpec, quick: Bool, directory: String) {
        (self.spec, self.quick, self.directory) = (quick ? spec.withQuickParameters() : spec, quick, directory)
    }

    /// A trial of the experiment: which variant, arm and seed it is.
    struct Planned {
        var control: ExperimentSpec.Control?
        var arm: ExperimentSpec.Run
        var seed: UInt64
        var trial: Trial
    }

    /// Every trial of the form: variants × seeds × arms.
    func plan() throws(RunError) -> [Planned] {
        var planned: [Planned] = []
        let variants: [ExperimentSpec.Control?] = [nil] + spec.controls(quick: quick).map { $0 }
        for control in variants {
            for seed in spec.seeds(quick: quick, shift: seedShift) {
                for arm in spec.arms(quick: quick) {
                    let config = try spec.configuration(of: arm, seed: seed, control: control, quick: quick, forced: overrides)
                    var set = spec.overrides(of: arm, quick: quick)
                    set["seed"] = .number(Double(config.seed))
                    let trial = Trial(index: planned.count, hash: config.contentHash, overrides: set, config: config)
                    planned.append(Planned(control: control, arm: arm, seed: seed, trial: trial))
                }
            }
        }
        return planned
    }

    /// The number of training runs of the form.
    public func runCount() throws(RunError) -> Int { try plan().count }

    public func run() throws(RunError) -> ExperimentSummary {
        let clock = ContinuousClock()
        let started = clock.now
        guard let analysis = ExperimentAnalyses.named(spec.analysis) else {
            throw RunError("experiment \(spec.id) names an unknown analysis '\(spec.analysis)'")
        }
        let planned = try plan()
        let (sweep, trials) = try prepare(planned)
        try execute(trials, in: sweep)

        // Finished runs, by trial index; a trial that did not finish leaves its seed undecided.
        var finished: [Int: ExperimentRun] = [:]
        var missing: [Int: String] = [:]
        for p in planned {
            let path = sweep.runDirectory(of: p.trial)
            guard sweep.state(of: p.trial) == .completed else {
                missing[p.trial.index] = sweep.error(of: p.trial) ?? "did not finish"
                continue
            }
            let result = try Self.completedResult(of: p.trial.config, in: path)
            finished[p.trial.index] = ExperimentRun(name: p.arm.name, label: p.arm.label ?? p.arm.name, config: p.trial.config,
                                                   result: result, directory: path)
        }

        func contexts(_ control: ExperimentSpec.Control?) -> [(SeedContext, [String])] {
            spec.seeds(quick: quick, shift: seedShift).map { seed in
                let mine = planned.filter { $0.seed == seed && $0.control?.name == control?.name }
                let problems = mine.compactMap { p in missing[p.trial.index].map { "\(p.arm.name): \($0)" } }
                let context = SeedContext(spec: spec, seed: seed, control: control, quick: quick,
                                          runs: mine.compactMap { finished[$0.trial.index] }, forced: overrides)
                return (context, problems)
            }
        }
        func evaluate(_ control: ExperimentSpec.Control?) throws(RunError) -> ([SeedContext], [SeedEvaluation]) {
            var seeds: [SeedContext] = [], evaluations: [SeedEvaluation] = []
            for (context, problems) in contexts(control) {
                seeds.append(context)
                evaluations.append(problems.isEmpty ? try analysis.evaluate(context)
                    : SeedEvaluation(verdict: .inconclusive, reason: "runs did not finish: \(problems.joined(separator: "; "))"))
            }
            return (seeds, evaluations)
        }

        let seedCount = spec.seeds(quick: quick, shift: seedShift).count
        let required = spec.requiredSeeds(of: seedCount)
        let minimum = quick ? ExperimentSpec.minimumSeeds.quick : ExperimentSpec.minimumSeeds.full
        let (mainSeeds, mainEvaluations) = try evaluate(nil)
        let mainVerdict = Verdict.combining(mainEvaluations.map(\.verdict), required: required, minimum: minimum)
        var controlRecords: [ExperimentSummary.ControlRecord] = []
        var controlStudies: [(control: ExperimentSpec.Control, seeds: [SeedContext])] = []
        for control in spec.controls(quick: quick) {
            let (seeds, evaluations) = try evaluate(control)
            controlStudies.append((control, seeds))
            let verdict = Verdict.combining(evaluations.map(\.verdict), required: required, minimum: minimum)
            let effects = Effect.collect(evaluations)
            var evidence: [String: JSONValue] = [:]
            for effect in effects { evidence[effect.name] = .string(effect.text) }
            evidence["seeds holding"] = .number(Double(evaluations.count { $0.verdict == .holds }))
            controlRecords.append(.init(name: control.name, causeRemoved: control.causeRemoved, verdict: verdict, evidence: evidence,
                                        seeds: Self.records(seeds, evaluations), effects: effects))
        }
        let verdict = Verdict.experiment(main: mainVerdict, controls: controlRecords.map(\.verdict))
        let figures = try analysis.figures(ExperimentStudy(spec: spec, quick: quick, main: mainSeeds, controls: controlStudies))
        let training = finished.values.reduce(0.0) { $0 + $1.result.summary.wallTimeSeconds }
        let elapsed = started.duration(to: clock.now)
        let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let summary = ExperimentSummary(
            experiment: spec.id, title: spec.title, claim: spec.claim, source: spec.source, cause: spec.cause,
            criterion: spec.criterion, fit: spec.fit, verdict: verdict, holds: verdict == .holds, requiredSeeds: required,
            seeds: Self.records(mainSeeds, mainEvaluations), controls: controlRecords, effects: Effect.collect(mainEvaluations),
            predictions: Prediction.collect(mainEvaluations), settings: settings(), ours: spec.ours, notes: [],
            quick: quick, runs: planned.map { String(sweep.runDirectory(of: $0.trial).dropFirst(directory.count + 1)) },
            wallTimeSeconds: max(wall, training / Double(max(jobs, 1))))
        try ReportWriter.write(summary: summary, figures: figures, to: directory)
        return summary
    }

    /// Writes the form's trials to the experiment's sweep directory (`trials.jsonl`), adopting
    /// runs of earlier numberings, without training anything: what an executor elsewhere (a
    /// SLURM array) runs before ``run()`` analyses them.
    public func prepare() throws(RunError) -> (SweepDirectory, [Trial]) { try prepare(try plan()) }

    func prepare(_ planned: [Planned]) throws(RunError) -> (SweepDirectory, [Trial]) {
        let sweep = SweepDirectory(directory)
        if restart { try? FileManager.default.removeItem(atPath: "\(directory)/trials") }
        let trials = planned.map(\.trial)
        try Trial.write(trials, to: sweep.trialsPath)
        try sweep.adoptRenumberedRuns(trials)
        return (sweep, trials)
    }

    /// Runs the trials that are not complete: on ``executor``, in this process, or as
    /// `noether run-trial` children `jobs` at a time.
    func execute(_ trials: [Trial], in sweep: SweepDirectory) throws(RunError) {
        let runnable = sweep.runnable(trials, retryFailed: false)
        guard !runnable.isEmpty else { return }
        guard trainsMissingRuns else {
            throw RunError("\(runnable.count) of \(trials.count) runs of \(spec.id) are not complete (\(sweep.path)/trials)",
                           hint: "wait for its SLURM array to finish or submit it again (sweep.sbatch), or run without --analysis-only to train them here")
        }
        onProgress("\(runnable.count) of \(trials.count) runs to train\(executor == nil && jobs > 1 ? ", \(jobs) at a time" : "")")
        if executor != nil || jobs > 1 {
            let report: SweepRunReport
            if let executor {
                report = try executor(sweep)
            } else {
                var local = LocalExecutor(jobs: jobs, binary: binary, onProgress: onProgress)
                local.largestStack = largestStack
                report = try local.run(sweep)
            }
            if let signal = report.interruptedBy { throw RunError("interrupted by signal \(signal); run the same command again to continue") }
            return
        }
        // The seeds of an arm train as one seed stack (``SeedStackUnits.units(_:jobs:)``).
        var number = 0
        for unit in SeedStackUnits.units(runnable, jobs: 1, largest: largestStack) {
            // One thread: --jobs 1 trains one run, or one stack, at a time.
            let outcomes = try TrialRunner.run(trialsPath: sweep.trialsPath, indices: unit.map(\.index),
                                               expectedHashes: unit.map { String($0.hash.prefix(8)) }, concurrency: 1)
            for (trial, outcome) in zip(unit, outcomes) {
                number += 1
                switch outcome {
                case .success: onProgress("[\(number)/\(runnable.count)] \(trial.config.name) done")
                case .failure(let error) where error.isRunInUse: throw error
                case .failure(let error): onProgress("[\(number)/\(runnable.count)] \(trial.config.name) failed: \(error.description)")
                }
            }
        }
    }

    /// A completed trial's result, read from its directory: what the analyses use (weights,
    /// metrics, events, summary). `Trainer.run` returns the same for a finished run but first
    /// loads its data, which for image data is most of an analysis' time.
    static func completedResult(of config: RunConfig, in path: String) throws(RunError) -> TrainingResult {
        let run = RunDirectory(path)
        // The sweep placed the trial in a directory named by its config's hash and found it complete.
        guard let summary = run.summary(), summary.status == "completed" else {
            return try ConfigTrainer(config: config, options: TrainingOptions(directory: path)).run()
        }
        do {
            let architecture = try Architecture(config.model)
            let parameters = Parameters(try SafetensorsFile(contentsOf: run.weightsPath).tensors(as: Float.self))
            return TrainingResult(summary: summary, parameters: parameters, architecture: architecture,
                                  metrics: try MetricRecord.read(run.metricsPath), events: try SymmetryEventLog.read(run.eventsPath),
                                  catalogue: [], symmetryReport: nil, wasAlreadyComplete: true)
        } catch let error as RunError {
            throw error
        } catch {
            throw RunError("\(path) says it is complete but cannot be read (\(error)); run with --restart")
        }
    }

    static func records(_ seeds: [SeedContext], _ evaluations: [SeedEvaluation]) -> [ExperimentSummary.SeedRecord] {
        zip(seeds, evaluations).map { context, evaluation in
            var evidence = evaluation.evidence
            for (name, value) in evaluation.effects { evidence[name] = .number(value) }
            for p in evaluation.predictions {
                evidence["\(p.name): predicted"] = .number(p.predicted)
                evidence["\(p.name): observed"] = .number(p.observed)
            }
            return .init(seed: context.seed, verdict: evaluation.verdict, reason: evaluation.reason, evidence: evidence)
        }
    }

    /// The base config, each arm's and control's overrides, the seeds and the forced overrides.
    func settings() -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        if let data = try? JSONSerialization.data(withJSONObject: ConfigLoader.encodeTree(spec.base)),
           let base = try? JSONDecoder().decode(JSONValue.self, from: data) {
            result["base"] = base
        }
        result["runs"] = .object(Dictionary(uniqueKeysWithValues: spec.arms(quick: quick).map { ($0.name, JSONValue.object(spec.overrides(of: $0, quick: quick))) }))
        result["controls"] = .object(Dictionary(uniqueKeysWithValues: spec.controls(quick: quick).map { control in
            (control.name, JSONValue.object(["set": .object(control.set), "arms": .object((control.arms ?? [:]).mapValues { .object($0) })]))
        }))
        result["seeds"] = .array(spec.seeds(quick: quick, shift: seedShift).map { .number(Double($0)) })
        if !overrides.isEmpty { result["forced overrides (--override)"] = .object(overrides) }
        return result
    }
}
