import NoetherTensor

/// What a dataset's samples are labelled with.
public enum DatasetTargets: Sendable, Equatable {
    /// Class indices in `0..<classes`: one per sample, or for token sequences one per scored
    /// position (see ``TokenSequenceLayout``).
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
    /// For token sequences, what the inputs and labels hold; nil for feature data.
    public var tokens: TokenSequenceLayout?

    public init(name: String, inputs: Tensor<Float>, targets: DatasetTargets, sampleShape: [Int]? = nil, relevantCoordinates: [Int]? = nil,
                tokens: TokenSequenceLayout? = nil) {
        self.name = name
        self.inputs = inputs
        self.targets = targets
        self.sampleShape = sampleShape ?? [inputs.shape.last]
        self.relevantCoordinates = relevantCoordinates
        self.tokens = tokens
    }

    public var count: Int { inputs.rank == 0 ? 0 : inputs.shape[0] }
    public var featureCount: Int { inputs.shape.last }
    /// Class labels per sample: 1, or the scored positions of a token sequence.
    public var targetsPerSample: Int { tokens?.targetsPerSample ?? 1 }

    /// The first `n` samples.
    public func prefix(_ n: Int) -> Dataset {
        let n = min(n, count)
        var result = self
        result.inputs = inputs.slice(alongAxis: 0, 0..<n)
        switch targets {
        case .classes(let labels, let classes): result.targets = .classes(Array(labels.prefix(n * targetsPerSample)), classes: classes)
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
            guard labels.count == count * targetsPerSample else {
                throw DataError("dataset '\(name)' has \(labels.count) labels for \(count) samples of \(targetsPerSample) targets")
            }
            if let bad = labels.first(where: { $0 < 0 || Int($0) >= classes }) {
                throw DataError("dataset '\(name)' has label \(bad) outside 0..<\(classes)")
            }
        case .values(let values):
            guard values.rank >= 1, values.shape[0] == count else { throw DataError("dataset '\(name)' has targets \(values.shape) for \(count) samples") }
            guard values.isFinite else { throw DataError("dataset '\(name)' has NaN or infinite targets") }
        }
        if let tokens { try validate(tokens) }
    }

    /// The data boundary of token models: every id an integer in range, so that an embedding
    /// lookup never meets an id it cannot place.
    private func validate(_ tokens: TokenSequenceLayout) throws(DataError) {
        guard case .classes = targets else { throw DataError("token dataset '\(name)' needs class labels as targets") }
        guard inputs.rank == 2, tokens.targetPositions.lowerBound >= 0, tokens.targetPositions.upperBound <= featureCount else {
            throw DataError("token dataset '\(name)' scores positions \(tokens.targetPositions) of sequences \(inputs.shape)")
        }
        let vocabulary = Float(tokens.vocabulary)
        let bad = inputs.withUnsafeBufferPointer { ids in ids.firstIndex { !($0 >= 0 && $0 < vocabulary && $0.rounded() == $0) } }
        if let bad {
            let (sample, position) = bad.quotientAndRemainder(dividingBy: max(featureCount, 1))
            throw DataError("token dataset '\(name)' has id \(inputs.scalars[bad]) at sample \(sample), position \(position), outside 0..<\(tokens.vocabulary)")
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
