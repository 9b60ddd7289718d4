import Foundation
import NoetherData
import NoetherNN
import NoetherTensor

/// One run of ``Trainer`` taken apart at its optimisation step: ``nextStep()`` draws the
/// batch, the caller updates ``parameters`` and ``optimizer`` with it, ``finishStep(batchLoss:learningRate:)``
/// does everything after the update (callbacks, evaluation, the log). ``Trainer/run()`` is this
/// with ``TrainingStep/step(_:optimizer:inputs:targets:learningRate:)`` in between;
/// ``SeedStackTrainer`` steps several sessions at once with one stacked step.
final class TrainingSession {
    /// What one optimisation step trains on.
    struct StepInput {
        let inputs: Tensor<Float>
        let targets: Targets<Float>
        let learningRate: Double
    }

    let trainer: Trainer
    let loss: LossKind
    let architecture: Architecture
    let step: TrainingStep<Float>
    var parameters: Parameters<Float>
    var optimizer: Optimizer<Float>
    private var sampler: BatchSampler
    private var lossSum: Double, lossCount: Int
    private let elapsedBefore: Double
    private var log: TrainingLog
    private let sink = MetricSink()
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant
    /// θ + θ₀ (with syre a copy of every parameter) at most once per step; dropped before the
    /// next update, which would otherwise have to copy the parameters it shares.
    private var effectiveCache: Parameters<Float>?
    private var batch = Batch()
    private var lastMetrics: [String: Double] = [:]
    private var stepsThisSession = 0
    private(set) var completed: Int
    private var reachedTarget: Bool

    /// Validates the run, resumes it when a callback offers a checkpoint, and tells the
    /// callbacks that training starts.
    init(_ trainer: Trainer) throws(RunError) {
        let training = trainer.training
        try training.validate()
        do { try trainer.optimizer.validate(); try trainer.schedule.validate() } catch { throw RunError(error) }
        loss = try Trainer.resolveLoss(trainer.loss, for: trainer.data.train.targets)
        try Trainer.checkCompatibility(trainer.model.spec, trainer.data.train)
        self.trainer = trainer
        architecture = trainer.model.architecture
        let generator = RandomGenerator(seed: trainer.seed)

        parameters = trainer.model.parameters
        optimizer = Optimizer<Float>(trainer.optimizer, noiseSeed: generator.derived("noise"))
        sampler = BatchSampler(sampleCount: trainer.data.train.count, batchSize: training.batchSize, seed: generator.derived("batches"))
        (lossSum, lossCount) = (0, 0)
        var elapsedBefore = 0.0, firstStep = 0
        log = TrainingLog()
        var resumed: TrainingCheckpoint?
        for callback in trainer.callbacks {
            let offered = try callback.resumePoint(for: trainer.model, optimizer: trainer.optimizer)
            if resumed == nil { resumed = offered }
        }
        if let resumed {
            (parameters, optimizer, sampler) = (resumed.parameters, resumed.optimizer, resumed.sampler)
            (lossSum, lossCount, elapsedBefore, firstStep) = (resumed.batchLossSum, resumed.batchLossCount, resumed.elapsedSeconds, resumed.step)
            for callback in trainer.callbacks {
                if let key = callback.checkpointKey, let saved = resumed.callbackStates[key] { try callback.restoreState(saved) }
            }
            log = resumed.log
        }
        self.elapsedBefore = elapsedBefore
        completed = firstStep

        step = TrainingStep<Float>(architecture: architecture, loss: loss)
        step.dropoutStream = generator.derived("dropout")
        if let frozenOffset = trainer.frozenOffset {
            step.anchors = frozenOffset.anchors
            optimizer.decayFactors = frozenOffset.decayFactors
        }
        started = clock.now
        reachedTarget = false
        if !log.isEmpty { for callback in trainer.callbacks { try callback.logDidGrow(log, replayed: true) } }

        (sink.step, sink.time) = (firstStep, elapsed())
        do {
            // Scoped, so that the state's reference to the parameters is gone before the first update.
            let opening = state(batchLoss: .nan, learningRate: trainer.optimizer.learningRate, isLast: false)
            for callback in trainer.callbacks { try callback.trainingWillStart(opening) }
        }
        try flush()
        // Training to a stated loss: a resumed run that had reached it is finished.
        reachedTarget = firstStep > 0 && trainer.stopsAt(log.metrics.last { $0.name == "train_loss" && $0.step == firstStep }?.value)
    }

    /// The batch of the next step (augmented, after any teleport due before it), or nil when
    /// the run is over: all steps done, the stated loss reached, or `stopAfterSteps` taken.
    func nextStep() throws(RunError) -> StepInput? {
        let training = trainer.training
        guard completed < training.steps && !reachedTarget else { return nil }
        if let stop = trainer.stopAfterSteps, stepsThisSession >= stop { return nil }
        let indices = sampler.next()
        batch.fill(from: trainer.data.train, indices: indices)
        if let augmentation = trainer.data.augmentation, augmentation.isActive {
            var stream = sampler.augmentationStream
            augmentation.apply(to: &batch.inputs, sampleShape: trainer.data.train.sampleShape,
                               relevantCoordinates: trainer.data.train.relevantCoordinates, using: &stream)
        }
        let learningRate = trainer.schedule.learningRate(base: trainer.optimizer.learningRate, step: completed, totalSteps: training.steps)
        let targets: Targets<Float> = if case .classes = trainer.data.train.targets { .classes(batch.labels) } else { .values(batch.values) }
        effectiveCache = nil
        if let teleport = trainer.teleport, teleport.isDue(afterStep: completed) {
            sink.report([teleport.jump(&parameters, architecture: architecture, loss: loss, inputs: batch.inputs, targets: targets, step: completed)])
        }
        return StepInput(inputs: batch.inputs, targets: targets, learningRate: learningRate)
    }

    /// Everything after the update of a step: the divergence check, the callbacks, an
    /// evaluation when one is due, the log.
    func finishStep(batchLoss: Double, learningRate: Double) throws(RunError) {
        let training = trainer.training
        completed += 1
        stepsThisSession += 1
        guard batchLoss.isFinite else {
            throw RunError("training diverged at step \(completed) (batch loss \(batchLoss))", hint: "lower optimizer.learning_rate or the init scale")
        }
        lossSum += batchLoss
        lossCount += 1
        (sink.step, sink.time) = (completed, elapsed())
        let evaluates = completed % training.evalEvery == 0 || completed == training.steps
        var current = state(batchLoss: batchLoss, learningRate: learningRate, isLast: completed >= training.steps)
        for callback in trainer.callbacks { try callback.stepDidFinish(current) }

        if evaluates {
            lastMetrics = trainer.evaluate(effective(), step: step, loss: loss)
            lastMetrics["batch_loss"] = lossSum / Double(max(lossCount, 1))
            lastMetrics["learning_rate"] = learningRate
            (lossSum, lossCount) = (0, 0)
            for name in lastMetrics.keys.sorted() { sink.record(name, lastMetrics[name] ?? .nan) }
            reachedTarget = trainer.stopsAt(lastMetrics["train_loss"])
            current = state(batchLoss: batchLoss, learningRate: learningRate, isLast: completed >= training.steps || reachedTarget)
            for callback in trainer.callbacks { try callback.evaluationDidFinish(current, metrics: lastMetrics) }
        }
        try flush()
        for callback in trainer.callbacks { try callback.stepDidEnd(current) }
    }

    /// Closes the run: the callbacks' end of training, and the outcome.
    func end() throws(RunError) -> TrainingOutcome {
        let finished = completed >= trainer.training.steps || reachedTarget
        if finished {
            let closing = state(batchLoss: .nan, learningRate: .nan, isLast: true)
            for callback in trainer.callbacks { try callback.trainingDidFinish(closing) }
            try flush()
        }
        let wall = elapsed()
        let trained: Model<Float>
        do { trained = try Model(architecture.spec, parameters: effective()) } catch { throw RunError("model: \(error.description)") }
        let outcome = TrainingOutcome(
            model: trained, learnedParameters: parameters, steps: completed,
            isFinished: finished, finalMetrics: lastMetrics, log: log, wallTimeSeconds: wall,
            stepsPerSecond: Double(stepsThisSession) / max(wall - elapsedBefore, 1e-9))
        for callback in trainer.callbacks { try callback.trainingDidEnd(outcome) }
        return outcome
    }

    private func effective() -> Parameters<Float> {
        if let effectiveCache { return effectiveCache }
        let value = step.effective(parameters)
        effectiveCache = value
        return value
    }

    private func elapsed() -> Double {
        let d = started.duration(to: clock.now)
        return elapsedBefore + Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    private func checkpoint(_ completed: Int) -> TrainingCheckpoint {
        var states: [String: Data] = [:]
        for callback in trainer.callbacks { if let key = callback.checkpointKey, let saved = callback.savedState() { states[key] = saved } }
        return TrainingCheckpoint(step: completed, parameters: parameters, optimizer: optimizer, sampler: sampler, batchLossSum: lossSum,
                                  batchLossCount: lossCount, elapsedSeconds: elapsed(), callbackStates: states, log: log)
    }

    private func state(batchLoss: Double, learningRate: Double, isLast: Bool) -> TrainingState {
        let completed = completed
        return TrainingState(step: completed, totalSteps: trainer.training.steps, batchLoss: batchLoss, learningRate: learningRate,
                             parameters: effective(), learnedParameters: parameters, architecture: architecture, metrics: sink,
                             isLastStep: isLast, makeCheckpoint: { self.checkpoint(completed) })
    }

    private func flush() throws(RunError) {
        let drained = sink.drain()
        guard !drained.isEmpty else { return }
        log.append(drained)
        for callback in trainer.callbacks { try callback.logDidGrow(drained, replayed: false) }
    }
}
