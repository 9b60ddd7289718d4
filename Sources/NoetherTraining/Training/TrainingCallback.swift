import Foundation
import NoetherNN
import NoetherSymmetry
import NoetherTensor

/// A view of a run in progress, handed to callbacks.
public struct TrainingState {
    /// Steps completed.
    public let step: Int
    public let totalSteps: Int
    /// The loss of the batch just trained on (NaN before the first step).
    public let batchLoss: Double
    public let learningRate: Double
    /// The parameters the model computes with (with syre: θ + θ₀).
    public let parameters: Parameters<Float>
    /// The parameters the optimiser updates (θ; the same as `parameters` without syre).
    public let learnedParameters: Parameters<Float>
    public let architecture: Architecture
    /// Where callbacks record their own metrics and events (written to the run's log).
    public let metrics: MetricSink
    /// Whether the run finishes with this step (its last step, or the stated loss reached).
    public let isLastStep: Bool
    let makeCheckpoint: () -> TrainingCheckpoint

    /// Everything needed to continue the run exactly from this step.
    public func checkpoint() -> TrainingCheckpoint { makeCheckpoint() }
}

/// Hooks into the training loop: the run directory, TensorBoard, the run store, symmetry
/// tracking and progress are callbacks, and so is anything a library user adds. Callbacks are
/// objects because they accumulate state across steps. Every hook has an empty default.
///
/// Per step the trainer calls, in the callbacks' order: ``stepDidFinish(_:)``, then at an
/// evaluation ``evaluationDidFinish(_:metrics:)``, then ``logDidGrow(_:replayed:)`` with what
/// was recorded, then ``stepDidEnd(_:)``.
public protocol TrainingCallback: AnyObject {
    /// Asked once before training, in order; the first non-nil answer is the state the run
    /// continues from (a run directory's last checkpoint). Also where a callback prepares its files.
    func resumePoint(for model: Model<Float>, optimizer: OptimizerSpec) throws(RunError) -> TrainingCheckpoint?
    func trainingWillStart(_ state: TrainingState) throws(RunError)
    func stepDidFinish(_ state: TrainingState) throws(RunError)
    /// After each evaluation, with its metrics (train/test loss and accuracy).
    func evaluationDidFinish(_ state: TrainingState, metrics: [String: Double]) throws(RunError)
    /// Metrics and events as they are recorded; on resume first those of the earlier session
    /// (`replayed`), so that a log kept elsewhere (TensorBoard) can be rebuilt.
    func logDidGrow(_ entries: TrainingLog, replayed: Bool) throws(RunError)
    /// The end of a step, after its log was delivered (the place for checkpoints and progress).
    func stepDidEnd(_ state: TrainingState) throws(RunError)
    /// When training reached its end (all steps, or the stated loss), before ``trainingDidEnd(_:)``.
    func trainingDidFinish(_ state: TrainingState) throws(RunError)
    /// After the last step of this session, finished or stopped early.
    func trainingDidEnd(_ outcome: TrainingOutcome) throws(RunError)
    /// The key under which a checkpoint keeps this callback's state; nil: it has none.
    var checkpointKey: String? { get }
    func savedState() -> Data?
    func restoreState(_ data: Data) throws(RunError)
}

extension TrainingCallback {
    public func resumePoint(for model: Model<Float>, optimizer: OptimizerSpec) throws(RunError) -> TrainingCheckpoint? { nil }
    public func trainingWillStart(_ state: TrainingState) throws(RunError) {}
    public func stepDidFinish(_ state: TrainingState) throws(RunError) {}
    public func evaluationDidFinish(_ state: TrainingState, metrics: [String: Double]) throws(RunError) {}
    public func logDidGrow(_ entries: TrainingLog, replayed: Bool) throws(RunError) {}
    public func stepDidEnd(_ state: TrainingState) throws(RunError) {}
    public func trainingDidFinish(_ state: TrainingState) throws(RunError) {}
    public func trainingDidEnd(_ outcome: TrainingOutcome) throws(RunError) {}
    public var checkpointKey: String? { nil }
    public func savedState() -> Data? { nil }
    public func restoreState(_ data: Data) throws(RunError) {}
}

/// What a run recorded: metric values and symmetry events, in order.
public struct TrainingLog: Sendable, Equatable {
    public var metrics: [MetricRecord]
    public var events: [SymmetryEvent]

    public init(metrics: [MetricRecord] = [], events: [SymmetryEvent] = []) {
        (self.metrics, self.events) = (metrics, events)
    }

    public var isEmpty: Bool { metrics.isEmpty && events.isEmpty }

    mutating func append(_ other: TrainingLog) {
        metrics += other.metrics
        events += other.events
    }
}

/// Collects metric records and events until the trainer hands them to the callbacks.
public final class MetricSink {
    private(set) var pending = TrainingLog()
    var step = 0
    var time = 0.0

    public init() {}

    /// Records `value` under `name` at the current step.
    public func record(_ name: String, _ value: Double) {
        pending.metrics.append(MetricRecord(step: step, time: time, name: name, value: value))
    }

    /// Records symmetry events confirmed at the current step.
    public func report(_ events: [SymmetryEvent]) {
        pending.events += events
    }

    func drain() -> TrainingLog {
        defer {
            pending.metrics.removeAll(keepingCapacity: true)
            pending.events.removeAll(keepingCapacity: true)
        }
        return pending
    }
}
