import NoetherNN
import NoetherTensor

/// A view of a run in progress, handed to callbacks.
public struct TrainingState {
    /// Steps completed.
    public let step: Int
    public let totalSteps: Int
    /// The loss of the batch just trained on.
    public let batchLoss: Double
    public let learningRate: Double
    public let parameters: Parameters<Float>
    public let architecture: Architecture
    /// Where callbacks record their own metrics (written to `metrics.jsonl`).
    public let metrics: MetricSink
}

/// Hooks into the training loop — the place symmetry trackers and other observers attach.
/// Callbacks are objects because they accumulate state across steps.
public protocol TrainingCallback: AnyObject {
    func trainingWillStart(_ state: TrainingState)
    func stepDidFinish(_ state: TrainingState)
    /// After each evaluation, with its metrics (train/test loss and accuracy).
    func evaluationDidFinish(_ state: TrainingState, metrics: [String: Double])
    func trainingDidFinish(_ state: TrainingState)
}

extension TrainingCallback {
    public func trainingWillStart(_ state: TrainingState) {}
    public func stepDidFinish(_ state: TrainingState) {}
    public func evaluationDidFinish(_ state: TrainingState, metrics: [String: Double]) {}
    public func trainingDidFinish(_ state: TrainingState) {}
}

/// Collects metric records until the trainer writes them out.
public final class MetricSink {
    private(set) var pending: [MetricRecord] = []
    var step = 0
    var time = 0.0

    /// Records `value` under `name` at the current step.
    public func record(_ name: String, _ value: Double) {
        pending.append(MetricRecord(step: step, time: time, name: name, value: value))
    }

    func drain() -> [MetricRecord] {
        defer { pending.removeAll(keepingCapacity: true) }
        return pending
    }
}
