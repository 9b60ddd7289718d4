import NoetherTraining
/// The run store as a training callback: indexes the run directory once training has ended
/// (after the run directory callback wrote its summary, so it must come after that one).
public final class RunStoreIndexer: TrainingCallback {
    public let store: RunStore
    public let directory: String

    public init(store: RunStore, directory: String) {
        (self.store, self.directory) = (store, directory)
    }

    public func trainingDidEnd(_ outcome: TrainingOutcome) throws(RunError) {
        try store.index(run: directory)
    }
}
