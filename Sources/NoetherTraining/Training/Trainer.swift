import Foundation
import NoetherData
import NoetherNN
import NoetherSymmetry
import NoetherTensor

/// Training as a library call: a model value, in-memory data, an optimiser and a schedule; no
/// config and no files. Everything around the loop — the run directory and its checkpoints,
/// TensorBoard, the run store, symmetry tracking, progress — is a ``TrainingCallback``.
///
/// The same inputs and seed give bit-identical weights and metric values, also across an
/// interruption and resume (through a callback that offers a ``TrainingCheckpoint``).
public struct Trainer {
    /// The model to train; its parameters are the starting point.
    public var model: Model<Float>
    public var data: TrainingData
    public var optimizer: OptimizerSpec
    public var schedule: ScheduleSpec
    /// Steps, batch size, evaluation interval and the stated loss to stop at.
    /// (`checkpointEvery` and `snapshotEvery` belong to the run directory callback.)
    public var training: TrainingSpec
    /// nil: cross-entropy for class labels, mean squared error otherwise.
    public var loss: LossKind?
    /// Seeds the batch order (`derived("batches")`) and gradient noise (`derived("noise")`).
    public var seed: UInt64
    public var callbacks: [any TrainingCallback]
    /// A frozen offset θ₀ added in the forward pass and the per-parameter decay factors (syre).
    public var frozenOffset: FrozenOffset?
    /// Stop after this many steps in this session, as if interrupted (for tests of resume).
    public var stopAfterSteps: Int?
    /// Symmetry teleportation (`control.teleport`): jumps along the group before some steps.
    public var teleport: TeleportSchedule?

    public init(model: Model<Float>, data: TrainingData, optimizer: OptimizerSpec, schedule: ScheduleSpec = ScheduleSpec(),
                training: TrainingSpec = TrainingSpec(steps: 1000), loss: LossKind? = nil, seed: UInt64 = 0,
                callbacks: [any TrainingCallback] = []) {
        (self.model, self.data, self.optimizer, self.schedule) = (model, data, optimizer, schedule)
        (self.training, self.loss, self.seed, self.callbacks) = (training, loss, seed, callbacks)
    }

    /// Trains, calling the callbacks; returns the trained model and what was recorded.
    public func run() throws(RunError) -> TrainingOutcome {
        try training.validate()
        do { try optimizer.validate(); try schedule.validate() } catch { throw RunError(error) }
        let loss = try Self.resolveLoss(loss, for: data.train.targets)
        try Self.checkCompatibility(model.spec, data.train)
        let architecture = model.architecture
        let generator = RandomGenerator(seed: seed)

        var parameters = model.parameters
        var optimizer = Optimizer<Float>(self.optimizer, noiseSeed: generator.derived("noise"))
        var sampler = BatchSampler(sampleCount: data.train.count, batchSize: training.batchSize, seed: generator.derived("batches"))
        var lossSum = 0.0, lossCount = 0, elapsedBefore = 0.0
        var firstStep = 0
        var log = TrainingLog()
        var resumed: TrainingCheckpoint?
        for callback in callbacks {
            let offered = try callback.resumePoint(for: model, optimizer: self.optimizer)
            if resumed == nil { resumed = offered }
        }
        if let resumed {
            (parameters, optimizer, sampler) = (resumed.parameters, resumed.optimizer, resumed.sampler)
            (lossSum, lossCount, elapsedBefore, firstStep) = (resumed.batchLossSum, resumed.batchLossCount, resumed.elapsedSeconds, resumed.step)
            for callback in callbacks {
                if let key = callback.checkpointKey, let saved = resumed.callbackStates[key] { try callback.restoreState(saved) }
            }
            log = resumed.log
            if !log.isEmpty { for callback in callbacks { try callback.logDidGrow(log, replayed: true) } }
        }

        let step = TrainingStep<Float>(architecture: architecture, loss: loss)
        step.dropoutStream = generator.derived("dropout")
        if let frozenOffset {
            step.anchors = frozenOffset.anchors
            optimizer.decayFactors = frozenOffset.decayFactors
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
        func checkpoint(_ completed: Int) -> TrainingCheckpoint {
            var states: [String: Data] = [:]
            for callback in callbacks { if let key = callback.checkpointKey, let saved = callback.savedState() { states[key] = saved } }
            return TrainingCheckpoint(step: completed, parameters: parameters, optimizer: optimizer, sampler: sampler, batchLossSum: lossSum,
                                      batchLossCount: lossCount, elapsedSeconds: elapsed(), callbackStates: states, log: log)
        }
        func state(_ completed: Int, batchLoss: Double, learningRate: Double, isLast: Bool) -> TrainingState {
            TrainingState(step: completed, totalSteps: training.steps, batchLoss: batchLoss, learningRate: learningRate,
                          parameters: effective(), learnedParameters: parameters, architecture: architecture, metrics: sink,
                          isLastStep: isLast, makeCheckpoint: { checkpoint(completed) })
        }
        func flush() throws(RunError) {
            let drained = sink.drain()
            guard !drained.isEmpty else { return }
            log.append(drained)
            for callback in callbacks { try callback.logDidGrow(drained, replayed: false) }
        }

        (sink.step, sink.time) = (firstStep, elapsed())
        do {
            // Scoped, so that the state's reference to the parameters is gone before the first update.
            let opening = state(firstStep, batchLoss: .nan, learningRate: self.optimizer.learningRate, isLast: false)
            for callback in callbacks { try callback.trainingWillStart(opening) }
        }
        try flush()

        var batch = Batch()
        var lastMetrics: [String: Double] = [:]
        var stepsThisSession = 0
        var completed = firstStep
        // Training to a stated loss: a resumed run that had reached it is finished.
        var reachedTarget = firstStep > 0 && stopsAt(log.metrics.last { $0.name == "train_loss" && $0.step == firstStep }?.value)
        while completed < training.steps && !reachedTarget {
            if let stop = stopAfterSteps, stepsThisSession >= stop { break }
            let indices = sampler.next()
            batch.fill(from: data.train, indices: indices)
            if let augmentation = data.augmentation, augmentation.isActive {
                var stream = sampler.augmentationStream
                augmentation.apply(to: &batch.inputs, sampleShape: data.train.sampleShape,
                                   relevantCoordinates: data.train.relevantCoordinates, using: &stream)
            }
            let learningRate = schedule.learningRate(base: self.optimizer.learningRate, step: completed, totalSteps: training.steps)
            let targets: Targets<Float> = if case .classes = data.train.targets { .classes(batch.labels) } else { .values(batch.values) }
            effectiveCache = nil
            if let teleport, teleport.isDue(afterStep: completed) {
                sink.report([teleport.jump(&parameters, architecture: architecture, loss: loss, inputs: batch.inputs, targets: targets, step: completed)])
            }
            let batchLoss = Double(step.step(&parameters, optimizer: &optimizer, inputs: batch.inputs, targets: targets, learningRate: learningRate))
            completed += 1
            stepsThisSession += 1
            guard batchLoss.isFinite else {
                throw RunError("training diverged at step \(completed) (batch loss \(batchLoss))", hint: "lower optimizer.learning_rate or the init scale")
            }
            lossSum += batchLoss
            lossCount += 1
            (sink.step, sink.time) = (completed, elapsed())
            let evaluates = completed % training.evalEvery == 0 || completed == training.steps
            var current = state(completed, batchLoss: batchLoss, learningRate: learningRate, isLast: completed >= training.steps)
            for callback in callbacks { try callback.stepDidFinish(current) }

            if evaluates {
                lastMetrics = evaluate(effective(), step: step, loss: loss)
                lastMetrics["batch_loss"] = lossSum / Double(max(lossCount, 1))
                lastMetrics["learning_rate"] = learningRate
                (lossSum, lossCount) = (0, 0)
                for name in lastMetrics.keys.sorted() { sink.record(name, lastMetrics[name] ?? .nan) }
                reachedTarget = stopsAt(lastMetrics["train_loss"])
                current = state(completed, batchLoss: batchLoss, learningRate: learningRate, isLast: completed >= training.steps || reachedTarget)
                for callback in callbacks { try callback.evaluationDidFinish(current, metrics: lastMetrics) }
            }
            try flush()
            for callback in callbacks { try callback.stepDidEnd(current) }
        }

        let finished = completed >= training.steps || reachedTarget
        if finished {
            let closing = state(completed, batchLoss: .nan, learningRate: .nan, isLast: true)
            for callback in callbacks { try callback.trainingDidFinish(closing) }
            try flush()
        }
        let wall = elapsed()
        let trained: Model<Float>
        do { trained = try Model(architecture.spec, parameters: effective()) } catch { throw RunError("model: \(error.description)") }
        let outcome = TrainingOutcome(
            model: trained, learnedParameters: parameters, steps: completed,
            isFinished: finished, finalMetrics: lastMetrics, log: log, wallTimeSeconds: wall,
            stepsPerSecond: Double(stepsThisSession) / max(wall - elapsedBefore, 1e-9))
        for callback in callbacks { try callback.trainingDidEnd(outcome) }
        return outcome
    }

    /// Whether a training loss meets `training.stopAtTrainLoss`.
    private func stopsAt(_ trainLoss: Double?) -> Bool {
        guard let target = training.stopAtTrainLoss, let trainLoss else { return false }
        return trainLoss <= target
    }

    private func evaluate(_ parameters: Parameters<Float>, step: TrainingStep<Float>, loss: LossKind) -> [String: Double] {
        let predict = { (p: Parameters<Float>, x: Tensor<Float>) in step.predict(p, inputs: x) }
        let train = Evaluation.evaluate(parameters, on: data.train, limit: training.evalSamples, loss: loss, predict: predict)
        var metrics = ["train_loss": train.loss]
        if let accuracy = train.accuracy { metrics["train_accuracy"] = accuracy }
        if let testSet = data.test {
            let test = Evaluation.evaluate(parameters, on: testSet, loss: loss, predict: predict)
            metrics["test_loss"] = test.loss
            if let accuracy = test.accuracy { metrics["test_accuracy"] = accuracy }
        }
        return metrics
    }

    /// The configured loss, or the one the targets call for (cross-entropy for class labels).
    public static func resolveLoss(_ loss: LossKind?, for targets: DatasetTargets) throws(RunError) -> LossKind {
        switch (loss, targets) {
        case (nil, .classes): return .crossEntropy
        case (nil, .values): return .mse
        case (.crossEntropy, .values):
            throw RunError("loss cross_entropy needs class labels, but this data has real-valued targets", hint: "use loss: mse")
        case (let chosen?, _): return chosen
        }
    }

    static func checkCompatibility(_ model: ModelSpec, _ data: Dataset) throws(RunError) {
        let architecture = try? Architecture(model)
        let rows = architecture?.outputsPerSample ?? 1
        guard rows == data.targetsPerSample else {
            throw RunError("data '\(data.name)' is scored at \(data.targetsPerSample) positions per sequence, but the model predicts \(rows) per sample",
                           hint: "score the same positions (gpt: scored: all, last or [from, to])")
        }
        guard model.inputCount == data.featureCount else {
            throw RunError("the model takes \(model.inputCount) input features but the data has \(data.featureCount)", hint: "set the model's input size to \(data.featureCount)")
        }
        // A model that reads tokens predicts over its whole vocabulary; the labels may use fewer ids.
        let readsTokens = data.tokens != nil && architecture?.inputVocabulary != nil
        let outputs = architecture?.outputCount ?? model.outputCount
        let fits = readsTokens ? outputs >= data.targets.outputCount : outputs == data.targets.outputCount
        guard fits else {
            let what = if case .classes = data.targets { "classes" } else { "target values per sample" }
            throw RunError("the model has \(outputs) outputs but the data has \(data.targets.outputCount) \(what)",
                           hint: "set the model's output size to \(data.targets.outputCount)")
        }
    }
}

/// syre's frozen offset θ₀ (added to the parameters in the forward pass) and the per-parameter
/// weight-decay factors of syre-AR; nil entries leave a parameter alone.
public struct FrozenOffset: Sendable {
    public var anchors: [Tensor<Float>?]
    public var decayFactors: [Tensor<Float>?]

    public init(anchors: [Tensor<Float>?], decayFactors: [Tensor<Float>?]) {
        (self.anchors, self.decayFactors) = (anchors, decayFactors)
    }
}

/// What ``Trainer/run()`` returns.
public struct TrainingOutcome: Sendable {
    /// The trained model, with the parameters it computes with (θ + θ₀ under syre).
    public let model: Model<Float>
    /// θ, the parameters the optimiser updated.
    public let learnedParameters: Parameters<Float>
    /// Steps completed (over every session of a resumed run).
    public let steps: Int
    /// Whether training reached its end (all steps, or the stated loss) rather than stopping early.
    public let isFinished: Bool
    /// The last evaluation's metrics.
    public let finalMetrics: [String: Double]
    /// Every metric and symmetry event recorded (on resume, the earlier session's too).
    public let log: TrainingLog
    public let wallTimeSeconds: Double
    public let stepsPerSecond: Double

    /// Symmetry breaking and restoration events, in the order they were confirmed.
    public var events: [SymmetryEvent] { log.events }
}
