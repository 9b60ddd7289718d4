import Foundation
import NoetherData
import NoetherNN
import NoetherTensor

/// Everything a run needs to continue exactly where it stopped: the learned parameters, the
/// optimiser and sampler state, the running batch loss, the callbacks' own states and the log
/// so far. The run directory writes it to disk (``Checkpoint``) and reads it back on resume.
public struct TrainingCheckpoint: Sendable {
    public var step: Int
    /// θ, the parameters the optimiser updates.
    public var parameters: Parameters<Float>
    public var optimizer: Optimizer<Float>
    public var sampler: BatchSampler
    /// The running sum and count of batch losses since the last evaluation.
    public var batchLossSum: Double
    public var batchLossCount: Int
    public var elapsedSeconds: Double
    /// Each callback's ``TrainingCallback/savedState()`` under its ``TrainingCallback/checkpointKey``.
    public var callbackStates: [String: Data]
    /// Metrics and events up to `step`.
    public var log: TrainingLog

    public init(step: Int, parameters: Parameters<Float>, optimizer: Optimizer<Float>, sampler: BatchSampler, batchLossSum: Double,
                batchLossCount: Int, elapsedSeconds: Double, callbackStates: [String: Data] = [:], log: TrainingLog = TrainingLog()) {
        (self.step, self.parameters, self.optimizer, self.sampler) = (step, parameters, optimizer, sampler)
        (self.batchLossSum, self.batchLossCount, self.elapsedSeconds) = (batchLossSum, batchLossCount, elapsedSeconds)
        (self.callbackStates, self.log) = (callbackStates, log)
    }
}
