import NoetherTensor

/// Seeded shuffling and batching: every epoch visits the samples in a fresh random order, in
/// full batches (a final partial batch is dropped, like PyTorch's `drop_last=True`).
///
/// Its whole state is (epoch, position): each epoch's order is derived from the seed and the
/// epoch number, so a checkpoint restores the exact sequence of batches.
public struct BatchSampler: Sendable, Codable, Equatable {
    public let sampleCount: Int
    public let batchSize: Int
    public private(set) var epoch = 0
    public private(set) var position = 0
    private let seed: RandomGenerator
    private var order: [Int] = []

    private enum CodingKeys: String, CodingKey { case sampleCount, batchSize, epoch, position, seed }

    /// - Parameters:
    ///   - sampleCount: the dataset size.
    ///   - batchSize: samples per batch (at most `sampleCount`: larger requests use the whole set).
    public init(sampleCount: Int, batchSize: Int, seed: RandomGenerator) {
        self.sampleCount = sampleCount
        self.batchSize = max(1, min(batchSize, sampleCount))
        self.seed = seed
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sampleCount = try c.decode(Int.self, forKey: .sampleCount)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        epoch = try c.decode(Int.self, forKey: .epoch)
        position = try c.decode(Int.self, forKey: .position)
        seed = try c.decode(RandomGenerator.self, forKey: .seed)
    }

    public static func == (a: BatchSampler, b: BatchSampler) -> Bool {
        (a.sampleCount, a.batchSize, a.epoch, a.position) == (b.sampleCount, b.batchSize, b.epoch, b.position) && a.seed == b.seed
    }

    /// The indices of the next batch.
    public mutating func next() -> ArraySlice<Int> {
        if position + batchSize > sampleCount {
            epoch += 1
            position = 0
            order = []
        }
        if order.isEmpty {
            var stream = seed.derived("epoch \(epoch)")
            order = stream.permutation(sampleCount)
        }
        defer { position += batchSize }
        return order[position..<(position + batchSize)]
    }

    /// A generator for this batch's augmentation, fixed by (epoch, position).
    public var augmentationStream: RandomGenerator { seed.derived("augment \(epoch) \(position)") }
}

/// One batch, in buffers that are refilled in place batch after batch.
public struct Batch: Sendable {
    public var inputs: Tensor<Float>
    public var labels: [Int32]
    public var values: Tensor<Float>

    public init() {
        inputs = .zeros([0])
        labels = []
        values = .zeros([0])
    }

    /// Copies the samples at `indices` from `dataset` into the buffers.
    public mutating func fill(from dataset: Dataset, indices: some Collection<Int>) {
        // Concrete from here on: loops over an unspecialised collection cost runtime metadata
        // look-ups per element (see `Tensor.gatherRows(_:into:)`).
        fill(from: dataset, rows: Array(indices))
    }

    /// Copies the samples of a sampler's batch; concrete, so that the copy of the indices is
    /// one memcpy rather than a generic walk that asks the runtime for conformances.
    public mutating func fill(from dataset: Dataset, indices: ArraySlice<Int>) {
        fill(from: dataset, rows: Array(indices))
    }

    private mutating func fill(from dataset: Dataset, rows indices: [Int]) {
        let features = dataset.featureCount
        if inputs.shape != [indices.count, features] { inputs = Tensor(uninitializedShape: [indices.count, features]) }
        dataset.inputs.gatherRows(indices, into: &inputs)
        switch dataset.targets {
        case .classes(let all, _):
            labels.removeAll(keepingCapacity: true)
            let per = dataset.targetsPerSample
            for index in indices { labels.append(contentsOf: all[(index * per)..<((index + 1) * per)]) }
        case .values(let all):
            let width = all.shape.last
            if values.shape != [indices.count, width] { values = Tensor(uninitializedShape: [indices.count, width]) }
            all.gatherRows(indices, into: &values)
        }
    }
}
