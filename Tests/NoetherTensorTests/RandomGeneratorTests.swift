import Testing
@testable import NoetherTensor

@Suite("Seeded random numbers")
struct RandomGeneratorTests {
    @Test func sameSeedGivesSameStream() {
        var a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42), c = RandomGenerator(seed: 43)
        let first = (0..<5).map { _ in a.next() }
        #expect(first == (0..<5).map { _ in b.next() })
        #expect(first != (0..<5).map { _ in c.next() })
    }

    @Test func streamIsPinnedAcrossVersions() {
        // xoshiro256** seeded by SplitMix64(0): changing either breaks every recorded run.
        var generator = RandomGenerator(seed: 0)
        #expect(generator.next() == 0x99EC_5F36_CB75_F2B4)
        #expect(generator.next() == 0xBF6E_1F78_4956_452A)
    }

    @Test func derivedStreamsAreIndependentAndDoNotAdvanceTheParent() {
        let parent = RandomGenerator(seed: 7)
        var x = parent.derived("init"), y = parent.derived("data"), z = parent.derived("init")
        let drawn = x.next()
        #expect(drawn == z.next())
        #expect(drawn != y.next())
        #expect(parent == RandomGenerator(seed: 7))
    }

    @Test func normalDrawsHaveUnitMomentsAndUniformIsInRange() {
        var generator = RandomGenerator(seed: 1)
        let n = 200_000
        let samples = Tensor<Double>.normal([n], using: &generator)
        let mean = samples.mean()
        let variance = (samples - mean).squaredNorm() / Double(n)
        #expect(abs(mean) < 0.01)
        #expect(abs(variance - 1) < 0.01)
        let uniform = Tensor<Float>.uniform([10_000], low: -2, high: 3, using: &generator)
        #expect(uniform.min() >= -2 && uniform.max() < 3)
        let coin = Tensor<Double>.bernoulli([n], probability: 0.25, using: &generator).mean()
        #expect(abs(coin - 0.25) < 0.01)
    }

    @Test func permutationIsAPermutation() {
        var generator = RandomGenerator(seed: 5)
        let p = generator.permutation(100)
        #expect(p.sorted() == Array(0..<100))
        #expect(p != Array(0..<100))
    }

    @Test func stateRoundTripsThroughCodable() throws {
        var generator = RandomGenerator(seed: 99)
        _ = generator.next()
        let data = try JSONEncoder().encode(generator)
        var restored = try JSONDecoder().decode(RandomGenerator.self, from: data)
        #expect(restored.next() == generator.next())
    }
}
import Foundation
