import Foundation
import Testing
import NoetherTensor
@testable import NoetherData

@Suite("Batching and augmentation")
struct BatchingTests {
    @Test func everyEpochVisitsEachSampleOnceInANewOrder() {
        var sampler = BatchSampler(sampleCount: 12, batchSize: 4, seed: RandomGenerator(seed: 1))
        let first = (0..<3).flatMap { _ in Array(sampler.next()) }
        let second = (0..<3).flatMap { _ in Array(sampler.next()) }
        #expect(first.sorted() == Array(0..<12) && second.sorted() == Array(0..<12))
        #expect(first != second)
        #expect(sampler.epoch == 1)
    }

    @Test func restoredSamplerContinuesTheSameSequence() throws {
        var uninterrupted = BatchSampler(sampleCount: 10, batchSize: 3, seed: RandomGenerator(seed: 2))
        var interrupted = uninterrupted
        for _ in 0..<5 { _ = interrupted.next() }
        let saved = try JSONEncoder().encode(interrupted)
        var restored = try JSONDecoder().decode(BatchSampler.self, from: saved)
        for _ in 0..<5 { _ = uninterrupted.next() }
        for _ in 0..<7 { #expect(Array(restored.next()) == Array(uninterrupted.next())) }
    }

    @Test func batchCopiesTheSelectedSamples() {
        let dataset = Dataset(name: "t", inputs: Tensor(rows: [[0, 0], [1, 1], [2, 2]]), targets: .classes([5, 6, 7], classes: 8))
        var batch = Batch()
        batch.fill(from: dataset, indices: [2, 0])
        #expect(batch.inputs.scalars == [2, 2, 0, 0])
        #expect(batch.labels == [7, 5])
    }

    @Test func flipsMirrorImagesAndCropsShiftThem() {
        // One 1×2×3 image: rows [1 2 3], [4 5 6].
        let image: [Float] = [1, 2, 3, 4, 5, 6]
        var flipped = 0
        var generator = RandomGenerator(seed: 0)
        for _ in 0..<20 {
            var x = Tensor<Float>(shape: [1, 6], scalars: image)
            AugmentationSpec(flip: true).apply(to: &x, sampleShape: [1, 2, 3], relevantCoordinates: nil, using: &generator)
            #expect(x.scalars == image || x.scalars == [3, 2, 1, 6, 5, 4])
            if x.scalars != image { flipped += 1 }
        }
        #expect(flipped > 3 && flipped < 17)
        var x = Tensor<Float>(shape: [1, 6], scalars: image)
        AugmentationSpec(cropPadding: 1).apply(to: &x, sampleShape: [1, 2, 3], relevantCoordinates: nil, using: &generator)
        // A crop keeps pixel values (or zero padding) and never invents new ones.
        #expect(Set(x.scalars).isSubset(of: Set(image + [0])))
    }

    @Test func irrelevantCoordinateAugmentationKeepsTheTarget() throws {
        var spec = DataSpec(kind: .staircase)
        (spec.dimension, spec.degree, spec.train) = (8, 2, 16)
        let data = try spec.load(using: RandomGenerator(seed: 1)).train
        var x = data.inputs
        var generator = RandomGenerator(seed: 9)
        AugmentationSpec(signFlipIrrelevant: true, permuteIrrelevant: true)
            .apply(to: &x, sampleShape: data.sampleShape, relevantCoordinates: data.relevantCoordinates, using: &generator)
        #expect(x.slice(alongAxis: 1, 0..<2) == data.inputs.slice(alongAxis: 1, 0..<2))
        #expect(x != data.inputs)
    }

    @Test func additiveNoiseHasTheRequestedScale() {
        var x = Tensor<Float>.zeros([100, 100])
        var generator = RandomGenerator(seed: 3)
        AugmentationSpec(noise: 0.3).apply(to: &x, sampleShape: [100], relevantCoordinates: nil, using: &generator)
        #expect(abs((x.squaredNorm() / 10_000).squareRoot() - 0.3) < 0.01)
    }
}
