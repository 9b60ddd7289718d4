import NoetherTensor

/// What a dataset's samples are labelled with.
public enum DatasetTargets: Sendable, Equatable {
    /// Class indices in `0..<classes`.
    case classes([Int32], classes: Int)
    /// Real-valued targets `[N, k]`.
    case values(Tensor<Float>)

    /// The width of a model's output for these targets.
    public var outputCount: Int {
        switch self {
        case .classes(_, let classes): classes
        case .values(let tensor): tensor.shape.last
        }
    }
}

/// Samples in memory: inputs flattened to `[N, features]` plus their targets.
public struct Dataset: Sendable {
    public var name: String
    public var inputs: Tensor<Float>
    public var targets: DatasetTargets
    /// The shape of one sample before flattening (e.g. `[1, 28, 28]`), for image augmentation.
    public var sampleShape: [Int]
    /// For synthetic tasks, the input coordinates the target depends on; augmentation may flip
    /// or permute the others.
    public var relevantCoordinates: [Int]?

    public init(name: String, inputs: Tensor<Float>, targets: DatasetTargets, sampleShape: [Int]? = nil, relevantCoordinates: [Int]? = nil) {
        self.name = name
        self.inputs = inputs
        self.targets = targets
        self.sampleShape = sampleShape ?? [inputs.shape.last]
        self.relevantCoordinates = relevantCoordinates
    }

    public var count: Int { inputs.rank == 0 ? 0 : inputs.shape[0] }
    public var featureCount: Int { inputs.shape.last }

    /// The first `n` samples.
    public func prefix(_ n: Int) -> Dataset {
        let n = min(n, count)
        var result = self
        result.inputs = inputs.slice(alongAxis: 0, 0..<n)
        switch targets {
        case .classes(let labels, let classes): result.targets = .classes(Array(labels.prefix(n)), classes: classes)
        case .values(let values): result.targets = .values(values.slice(alongAxis: 0, 0..<n))
        }
        return result
    }

    /// Checks that inputs and targets are finite and consistent, naming the first problem.
    public func validate() throws(DataError) {
        guard count > 0 else { throw DataError("dataset '\(name)' is empty") }
        guard inputs.isFinite else { throw DataError("dataset '\(name)' has NaN or infinite inputs; clean the data first") }
        switch targets {
        case .classes(let labels, let classes):
            guard labels.count == count else { throw DataError("dataset '\(name)' has \(labels.count) labels for \(count) samples") }
            if let bad = labels.first(where: { $0 < 0 || Int($0) >= classes }) {
                throw DataError("dataset '\(name)' has label \(bad) outside 0..<\(classes)")
            }
        case .values(let values):
            guard values.rank >= 1, values.shape[0] == count else { throw DataError("dataset '\(name)' has targets \(values.shape) for \(count) samples") }
            guard values.isFinite else { throw DataError("dataset '\(name)' has NaN or infinite targets") }
        }
    }
}

/// A training set and a held-out test set.
public struct DataSplit: Sendable {
    public var train: Dataset
    public var test: Dataset

    public init(train: Dataset, test: Dataset) {
        self.train = train
        self.test = test
    }
}
