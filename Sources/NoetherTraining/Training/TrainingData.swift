import NoetherData
import NoetherTensor

/// The samples ``Trainer`` learns from, in memory: a training set, an optional test set
/// (evaluated as `test_loss`/`test_accuracy`) and optional augmentation of training batches.
public struct TrainingData: Sendable {
    public var train: Dataset
    public var test: Dataset?
    public var augmentation: AugmentationSpec?

    public init(train: Dataset, test: Dataset? = nil, augmentation: AugmentationSpec? = nil) {
        (self.train, self.test, self.augmentation) = (train, test, augmentation)
    }

    /// A loaded split (e.g. `DataSpec.load(using:)`).
    public init(_ split: DataSplit, augmentation: AugmentationSpec? = nil) {
        self.init(train: split.train, test: split.test, augmentation: augmentation)
    }

    /// Inputs `[N, features]` with class labels in `0..<classes`.
    public init(inputs: Tensor<Float>, labels: [Int32], classes: Int) {
        self.init(train: Dataset(name: "in-memory", inputs: inputs, targets: .classes(labels, classes: classes)))
    }

    /// Inputs `[N, features]` with real-valued targets `[N, k]`.
    public init(inputs: Tensor<Float>, targets: Tensor<Float>) {
        self.init(train: Dataset(name: "in-memory", inputs: inputs, targets: .values(targets)))
    }
}
