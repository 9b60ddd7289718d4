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
        let session = try TrainingSession(self)
        while let input = try session.nextStep() {
            let batchLoss = session.step.step(&session.parameters, optimizer: &session.optimizer, inputs: input.inputs,
                                              targets: input.targets, learningRate: input.learningRate)
            try session.finishStep(batchLoss: Double(batchLoss), learningRate: input.learningRate)
        }
        return try session.end()
    }

    /// Whether a training loss meets `training.stopAtTrainLoss`.
    func stopsAt(_ trainLoss: Double?) -> Bool {
        guard let target = training.stopAtTrainLoss, let trainLoss else { return false }
        return trainLoss <= target
    }

    func evaluate(_ parameters: Parameters<Float>, step: TrainingStep<Float>, loss: LossKind) -> [String: Double] {
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
