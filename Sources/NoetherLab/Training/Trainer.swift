import Foundation
import NoetherData
import NoetherIO
import NoetherNN
import NoetherSymmetry
import NoetherTensor

/// How a run is executed (not part of what it computes).
public struct TrainingOptions: Sendable {
    /// Where to write the run; nil keeps everything in memory.
    public var directory: String?
    /// Discard an earlier run in the directory instead of resuming it.
    public var restart = false
    /// Show progress on the terminal.
    public var showsProgress = false
    /// Stop after this many steps in this session (as if interrupted), for tests.
    public var stopAfterSteps: Int?
    /// Called with each symmetry event as it is detected.
    public var onEvent: (@Sendable (SymmetryEvent) -> Void)?
    /// Refuse a config whose memory estimate exceeds this many bytes (nil: ``MemoryEstimate/defaultLimit``).
    public var maxMemory: Int?

    public init(directory: String? = nil, restart: Bool = false, showsProgress: Bool = false, stopAfterSteps: Int? = nil,
                onEvent: (@Sendable (SymmetryEvent) -> Void)? = nil) {
        (self.directory, self.restart, self.showsProgress, self.stopAfterSteps) = (directory, restart, showsProgress, stopAfterSteps)
        self.onEvent = onEvent
    }
}

/// The outcome of ``Trainer/run()``.
public struct TrainingResult: Sendable {
    public let summary: RunSummary
    public let parameters: Parameters<Float>
    public let architecture: Architecture
    /// Every metric recorded in this session (and, when resumed, earlier ones from the file).
    public let metrics: [MetricRecord]
    /// Symmetry breaking and restoration events (likewise).
    public let events: [SymmetryEvent]
    /// The symmetries the tracker measured (empty when `track.enabled` is false).
    public let catalogue: [SymmetrySpec]
    /// The symmetry state of `parameters` under the run's thresholds (nil without tracking).
    public let symmetryReport: ModelSymmetryReport?
    /// Whether an earlier, already finished run was found and returned unchanged.
    public let wasAlreadyComplete: Bool
}

/// The training loop: data, model, optimiser and schedule from a ``RunConfig``; evaluation,
/// callbacks, checkpoints and the run directory around them. The same config and seed give
/// bit-identical weights and metric values, also across an interruption and resume.
public struct Trainer {
    public private(set) var config: RunConfig
    public let options: TrainingOptions
    public var callbacks: [TrainingCallback]

    public init(config: RunConfig, options: TrainingOptions = TrainingOptions(), callbacks: [TrainingCallback] = []) {
        self.config = config
        self.options = options
        self.callbacks = callbacks
    }

    public func run() throws(RunError) -> TrainingResult {
        try config.validate(memoryLimit: options.maxMemory ?? MemoryEstimate.defaultLimit)
        let generator = RandomGenerator(seed: config.seed)
        let split: DataSplit
        do { split = try config.data.load(using: generator.derived("data")) } catch { throw RunError(error.description) }
        var config = self.config
        config.loss = try Self.resolveLoss(config.loss, for: split.train.targets)
        let loss = config.loss ?? .mse
        let architecture: Architecture
        do { architecture = try Architecture(config.model) } catch { throw RunError("model: \(error.description)") }
        try Self.checkCompatibility(config.model, split.train)
        let catalogue: [SymmetrySpec]
        do { catalogue = config.track.enabled ? try SymmetryCatalogue.infer(config.model, loss: loss) : [] } catch {
            throw RunError("model: \(error.description)")
        }

        let run = options.directory.map(RunDirectory.init)
        let configHash = config.contentHash
        var resumeFrom: String?
        var lock: RunLock?
        // Held until this function returns (however it returns).
        defer { withExtendedLifetime(lock) {} }
        if let run {
            guard !run.path.isEmpty else { throw RunError("the run directory is an empty path; give the run an output directory") }
            try run.create()
            lock = try RunLock(directory: run.path)
            // Under the lock no other process writes here: what an interrupted one left is debris.
            run.removeLeftovers()
            if run.exists, !options.restart {
                guard run.recordedConfig() == config else {
                    throw RunError("\(run.path) holds a run of a different config; use another output directory or --restart to replace it")
                }
                if let summary = run.summary(), summary.status == "completed" {
                    return try finishedResult(run, summary: summary, architecture: architecture, catalogue: catalogue)
                }
                resumeFrom = Checkpoint.all(in: run).last?.path
            } else if options.restart {
                try run.clear()
            }
            try run.create()
            try run.writeJSON(ConfigLoader.canonicalJSON(config), to: run.configPath)
        }

        // Initial weights, unless a checkpoint provides them (below).
        var parameters = Parameters<Float>()
        if resumeFrom == nil {
            parameters = try config.initializer.from.map { path throws(RunError) in try Self.loadInitialWeights(path, spec: config.model) }
                ?? config.initializer.initialize(architecture, using: generator.derived("init"))
        }
        var optimizer = Optimizer<Float>(config.optimizer, noiseSeed: generator.derived("noise"))
        var sampler = BatchSampler(sampleCount: split.train.count, batchSize: config.training.batchSize, seed: generator.derived("batches"))
        var lossSum = 0.0, lossCount = 0, elapsedBefore = 0.0
        var firstStep = 0
        var records: [MetricRecord] = []
        var events: [SymmetryEvent] = []
        let training = config.training
        let tracker = config.track.enabled
            ? SymmetryTracker(catalogue: catalogue, spec: config.track, interval: config.track.every ?? training.evalEvery) : nil
        tracker?.architecture = architecture
        if let tracker, config.track.neuralCollapse > 0, case .classes(let labels, _) = split.train.targets {
            let n = min(config.track.neuralCollapse, split.train.count)
            tracker.probe = (split.train.inputs.slice(alongAxis: 0, 0..<n), labels.prefix(n).map { Int($0) })
        }
        if let tracker, config.track.functional > 0 {
            tracker.functionalProbe = split.train.inputs.slice(alongAxis: 0, 0..<min(config.track.functional, split.train.count))
        }
        if let resumeFrom, let run {
            let (p, o, state) = try Checkpoint.load(resumeFrom, architecture: architecture, optimizer: config.optimizer)
            (parameters, optimizer, sampler) = (p, o, state.sampler)
            (lossSum, lossCount, elapsedBefore, firstStep) = (state.batchLossSum, state.batchLossCount, state.elapsedSeconds, state.step)
            if let saved = state.tracker { try tracker?.restoreState(saved) }
            records = try MetricRecord.read(run.metricsPath).filter { $0.step <= firstStep }
            try run.writeJSON(Data(records.map { $0.jsonLine + "\n" }.joined().utf8), to: run.metricsPath)
            events = try SymmetryEventLog.read(run.eventsPath).filter { $0.detectedAt <= firstStep }
            try run.writeJSON(SymmetryEventLog.encode(events), to: run.eventsPath)
        } else if let run {
            try run.writeJSON(Data(), to: run.metricsPath)
            try run.writeJSON(Data(), to: run.eventsPath)
        }
        let metricsFile = try run.map { r throws(RunError) in try JSONLinesWriter(path: r.metricsPath) }
        let eventsFile = try run.map { r throws(RunError) in try JSONLinesWriter(path: r.eventsPath) }
        // TensorBoard: a fresh event file holding every metric so far (replayed on resume).
        let tensorBoard: TensorBoardWriter?
        if let run {
            run.removeTensorBoardFiles()
            do { tensorBoard = try TensorBoardWriter(directory: run.path) } catch { throw RunError(error.description) }
            tensorBoard?.scalars(records.map { ($0.name, $0.value, $0.step) })
        } else {
            tensorBoard = nil
        }

        let step = TrainingStep<Float>(architecture: architecture, loss: loss)
        if let syre = config.control.syre {
            let (anchors, factors): ([Tensor<Float>?], [Tensor<Float>?]) = syre.anchors(
                for: architecture, initializer: config.initializer,
                generator: syre.seed.map { RandomGenerator(seed: $0) } ?? generator.derived("syre"))
            step.anchors = anchors
            optimizer.decayFactors = factors
            if syre.matchInit, resumeFrom == nil {
                for position in 0..<min(parameters.count, anchors.count) {
                    if let anchor = anchors[position] { parameters[position: position] = parameters[position: position] - anchor }
                }
            }
        }
        let sink = MetricSink()
        let clock = ContinuousClock()
        let started = clock.now
        // θ + θ₀ (with syre a copy of every parameter) at most once per step; dropped before
        // the next update, which would otherwise have to copy the parameters it shares.
        var effectiveCache: Parameters<Float>?
        func effective() -> Parameters<Float> {
            if let effectiveCache { return effectiveCache }
            let value = step.effective(parameters)
            effectiveCache = value
            return value
        }
        func elapsed() -> Double {
            let d = started.duration(to: clock.now)
            return elapsedBefore + Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        func state(_ completed: Int, batchLoss: Double, learningRate: Double) -> TrainingState {
            TrainingState(step: completed, totalSteps: training.steps, batchLoss: batchLoss, learningRate: learningRate,
                          parameters: effective(), architecture: architecture, metrics: sink)
        }
        func flush() throws(RunError) {
            let drained = sink.drain()
            records += drained
            try metricsFile?.append(drained.map(\.jsonLine))
            tensorBoard?.scalars(drained.map { ($0.name, $0.value, $0.step) })
        }
        func weightHistograms(_ completed: Int) {
            guard let tensorBoard else { return }
            let current = effective()
            for descriptor in architecture.layout where descriptor.role == .weight {
                if let tensor = current[descriptor.name] { tensorBoard.histogram(descriptor.name, tensor.scalars.map(Double.init), step: completed) }
            }
        }
        func snapshot(_ completed: Int) throws(RunError) {
            guard let run, let every = training.snapshotEvery, completed % every == 0 else { return }
            do {
                try FileManager.default.createDirectory(atPath: run.snapshotsPath, withIntermediateDirectories: true)
                try SafetensorsFile.write(effective().tensors, metadata: ["format": "pt", "step": String(completed)], to: run.snapshotPath(step: completed))
            } catch { throw RunError("cannot save the snapshot of step \(completed) in \(run.snapshotsPath): \(error)") }
        }
        func track(_ completed: Int, loss: Double) throws(RunError) {
            guard let tracker, tracker.isDue(step: completed, totalSteps: training.steps) else { return }
            let detected = tracker.measure(effective(), learned: parameters, step: completed, loss: loss, sink: sink)
            events += detected
            try eventsFile?.append(detected.map(SymmetryEventLog.line))
            for event in detected { options.onEvent?(event) }
        }
        let progress = options.showsProgress ? ProgressReporter(label: config.name) : nil
        progress?.begin(at: firstStep)
        for callback in callbacks { callback.trainingWillStart(state(firstStep, batchLoss: .nan, learningRate: config.optimizer.learningRate)) }
        if firstStep == 0 { try snapshot(0) }
        if firstStep == 0, let tracker {
            tracker.start(parameters)
            (sink.step, sink.time) = (0, elapsed())
            try track(0, loss: .nan)
            try flush()
        }

        var batch = Batch()
        var lastMetrics: [String: Double] = [:]
        var stepsThisSession = 0
        var completed = firstStep
        // Training to a stated loss: a resumed run that had reached it is finished.
        var reachedTarget = firstStep > 0 && stopsAt(records.last { $0.name == "train_loss" && $0.step == firstStep }?.value)
        while completed < training.steps && !reachedTarget {
            if let stop = options.stopAfterSteps, stepsThisSession >= stop { break }
            let indices = sampler.next()
            batch.fill(from: split.train, indices: indices)
            if let augmentation = config.data.augmentation, augmentation.isActive {
                var stream = sampler.augmentationStream
                augmentation.apply(to: &batch.inputs, sampleShape: split.train.sampleShape,
                                   relevantCoordinates: split.train.relevantCoordinates, using: &stream)
            }
            let learningRate = config.schedule.learningRate(base: config.optimizer.learningRate, step: completed, totalSteps: training.steps)
            let targets: Targets<Float> = if case .classes = split.train.targets { .classes(batch.labels) } else { .values(batch.values) }
            effectiveCache = nil
            let batchLoss = Double(step.step(&parameters, optimizer: &optimizer, inputs: batch.inputs, targets: targets, learningRate: learningRate))
            completed += 1
            stepsThisSession += 1
            guard batchLoss.isFinite else {
                progress?.finish()
                throw RunError("training diverged at step \(completed) (batch loss \(batchLoss)); lower optimizer.learning_rate or the init scale")
            }
            lossSum += batchLoss
            lossCount += 1
            (sink.step, sink.time) = (completed, elapsed())
            if !callbacks.isEmpty {
                let current = state(completed, batchLoss: batchLoss, learningRate: learningRate)
                for callback in callbacks { callback.stepDidFinish(current) }
            }
            try track(completed, loss: batchLoss)

            if completed % training.evalEvery == 0 || completed == training.steps {
                lastMetrics = evaluate(effective(), split: split, loss: loss, step: step, limit: training.evalSamples)
                lastMetrics["batch_loss"] = lossSum / Double(max(lossCount, 1))
                lastMetrics["learning_rate"] = learningRate
                (lossSum, lossCount) = (0, 0)
                for name in lastMetrics.keys.sorted() { sink.record(name, lastMetrics[name] ?? .nan) }
                weightHistograms(completed)
                try snapshot(completed)
                reachedTarget = stopsAt(lastMetrics["train_loss"])
                if !callbacks.isEmpty {
                    let current = state(completed, batchLoss: batchLoss, learningRate: learningRate)
                    for callback in callbacks { callback.evaluationDidFinish(current, metrics: lastMetrics) }
                }
                try flush()
            }
            if let run, training.checkpointEvery > 0, completed % training.checkpointEvery == 0, completed < training.steps, !reachedTarget {
                try flush()
                try Checkpoint.save(in: run, parameters: parameters, optimizer: optimizer, state: CheckpointState(
                    step: completed, model: config.model, optimizer: config.optimizer, optimizerStep: optimizer.step, noise: optimizer.noise, sampler: sampler,
                    batchLossSum: lossSum, batchLossCount: lossCount, elapsedSeconds: elapsed(), tracker: tracker?.saveState()))
            }
            progress?.update(step: completed, of: training.steps, loss: batchLoss)
        }
        progress?.finish()
        try flush()

        let finished = completed >= training.steps || reachedTarget
        let wall = elapsed()
        let summary = RunSummary(
            name: config.name, status: finished ? "completed" : "interrupted", steps: completed, configHash: configHash,
            parameterCount: parameters.scalarCount, final: lastMetrics, wallTimeSeconds: wall,
            stepsPerSecond: Double(stepsThisSession) / max(wall - elapsedBefore, 1e-9))
        let finalParameters = effective()
        if finished {
            for callback in callbacks { callback.trainingDidFinish(state(completed, batchLoss: .nan, learningRate: .nan)) }
            try flush()
            if let run {
                do { try SafetensorsFile.write(finalParameters.tensors, metadata: ["format": "pt", "noether_config_hash": configHash], to: run.weightsPath) } catch {
                    throw RunError(error.description)
                }
                try run.writeJSON(Self.summaryJSON(summary), to: run.summaryPath)
            }
        }
        return TrainingResult(summary: summary, parameters: finalParameters, architecture: architecture, metrics: records,
                              events: events, catalogue: catalogue, symmetryReport: tracker?.report(of: parameters, at: completed),
                              wasAlreadyComplete: false)
    }

    /// Whether a training loss meets `training.stop_at_train_loss`.
    private func stopsAt(_ trainLoss: Double?) -> Bool {
        guard let target = config.training.stopAtTrainLoss, let trainLoss else { return false }
        return trainLoss <= target
    }

    private func evaluate(_ parameters: Parameters<Float>, split: DataSplit, loss: LossKind, step: TrainingStep<Float>, limit: Int) -> [String: Double] {
        let predict = { (p: Parameters<Float>, x: Tensor<Float>) in step.predict(p, inputs: x) }
        let train = Evaluation.evaluate(parameters, on: split.train, limit: limit, loss: loss, predict: predict)
        let test = Evaluation.evaluate(parameters, on: split.test, loss: loss, predict: predict)
        var metrics = ["train_loss": train.loss, "test_loss": test.loss]
        if let accuracy = train.accuracy { metrics["train_accuracy"] = accuracy }
        if let accuracy = test.accuracy { metrics["test_accuracy"] = accuracy }
        return metrics
    }

    private func finishedResult(_ run: RunDirectory, summary: RunSummary, architecture: Architecture,
                                catalogue: [SymmetrySpec]) throws(RunError) -> TrainingResult {
        do {
            let parameters = Parameters(try SafetensorsFile(contentsOf: run.weightsPath).tensors(as: Float.self))
            let report = config.track.enabled ? SymmetryAnalysis.analyze(parameters, catalogue: catalogue, thresholds: config.track.thresholds) : nil
            return TrainingResult(summary: summary, parameters: parameters, architecture: architecture,
                                  metrics: try MetricRecord.read(run.metricsPath), events: try SymmetryEventLog.read(run.eventsPath),
                                  catalogue: catalogue, symmetryReport: report, wasAlreadyComplete: true)
        } catch let error as RunError {
            throw error
        } catch {
            throw RunError("\(run.path) says it is complete but its weights cannot be read (\(error)); use --restart")
        }
    }

    /// The summary as pretty-printed JSON (as in `summary.json`).
    public static func summaryJSON(_ summary: RunSummary) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return (try? encoder.encode(summary)) ?? Data("{}".utf8)
    }

    /// Weights to start from (`init.from`): a safetensors file or a run directory.
    static func loadInitialWeights(_ path: String, spec: ModelSpec) throws(RunError) -> Parameters<Float> {
        do {
            let collection = try SafetensorsCollection(path: path)
            var tensors = Parameters<Float>()
            for (entry, _) in collection.entries where !entry.encoding.isInteger { tensors[entry.name] = try collection.tensor(entry.name, as: Float.self) }
            return try Model<Float>(spec, parameters: tensors).parameters
        } catch let error as FileFormatError {
            throw RunError("init.from: \(error.description)")
        } catch let error as ModelSpecError {
            throw RunError("init.from \(path) does not fit the model: \(error.description)")
        } catch {
            throw RunError("init.from: \(error)")
        }
    }

    /// The configured loss, or the one the targets call for (cross-entropy for class labels).
    public static func resolveLoss(_ loss: LossKind?, for targets: DatasetTargets) throws(RunError) -> LossKind {
        switch (loss, targets) {
        case (nil, .classes): return .crossEntropy
        case (nil, .values): return .mse
        case (.crossEntropy, .values):
            throw RunError("loss cross_entropy needs class labels, but this data has real-valued targets; use loss: mse")
        case (let chosen?, _): return chosen
        }
    }

    static func checkCompatibility(_ model: ModelSpec, _ data: Dataset) throws(RunError) {
        if let tokens = data.tokens, tokens.targetsPerSample != 1 {
            throw RunError("data '\(data.name)' is scored at \(tokens.targetsPerSample) positions per sequence, but the model predicts one output per sample; sequence models arrive with the layer graph (issue 13)")
        }
        guard model.inputCount == data.featureCount else {
            throw RunError("the model takes \(model.inputCount) input features but the data has \(data.featureCount); set the model's input size to \(data.featureCount)")
        }
        guard model.outputCount == data.targets.outputCount else {
            let what = if case .classes = data.targets { "classes" } else { "target values per sample" }
            throw RunError("the model has \(model.outputCount) outputs but the data has \(data.targets.outputCount) \(what); set the model's output size to \(data.targets.outputCount)")
        }
    }
}
