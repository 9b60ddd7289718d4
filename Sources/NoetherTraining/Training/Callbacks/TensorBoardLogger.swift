import NoetherIO
import NoetherNN
import NoetherTensor

/// TensorBoard as a training callback: a fresh event file in `directory` holding every metric
/// (on resume the earlier session's are replayed into it) and a histogram of each weight at
/// every evaluation.
public final class TensorBoardLogger: TrainingCallback {
    private let writer: TensorBoardWriter

    /// Replaces the event files in `directory` with a new one.
    public init(directory: String) throws(RunError) {
        RunDirectory(directory).removeTensorBoardFiles()
        do { writer = try TensorBoardWriter(directory: directory) } catch { throw RunError(error) }
    }

    public func logDidGrow(_ entries: TrainingLog, replayed: Bool) {
        writer.scalars(entries.metrics.map { ($0.name, $0.value, $0.step) })
    }

    public func evaluationDidFinish(_ state: TrainingState, metrics: [String: Double]) {
        for descriptor in state.architecture.layout where descriptor.role == .weight {
            if let tensor = state.parameters[descriptor.name] { writer.histogram(descriptor.name, tensor.scalars.map(Double.init), step: state.step) }
        }
    }
}
