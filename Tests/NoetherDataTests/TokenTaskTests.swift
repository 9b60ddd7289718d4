import Testing
import NoetherTensor
@testable import NoetherData

/// The labels of a token dataset, `targetsPerSample` per sample.
func labels(_ dataset: Dataset) -> [Int32] {
    if case .classes(let labels, _) = dataset.targets { return labels }
    Issue.record("expected class labels")
    return []
}

func ids(_ dataset: Dataset, _ sample: Int) -> [Int] {
    (0..<dataset.featureCount).map { Int(dataset.inputs[sample, $0]) }
}

@Suite("Built-in token tasks")
struct TokenTaskTests {
    @Test func modularAdditionLabelsEveryPairOnceWithItsSum() throws {
        var spec = DataSpec(kind: .modularAddition)
        (spec.modulus, spec.trainFraction) = (7, 0.3)
        let split = try spec.load(using: RandomGenerator(seed: 1))
        #expect(split.train.count == 15 && split.test.count == 34, "round(0.3 · 49) = 15 pairs train, 34 test")
        var seen = Set<[Int]>()
        for dataset in [split.train, split.test] {
            #expect(dataset.tokens == TokenSequenceLayout(vocabulary: 8, targetPositions: 2..<3))
            #expect(dataset.targets.outputCount == 7)
            for n in 0..<dataset.count {
                let x = ids(dataset, n)
                #expect(x[2] == 7, "the = token")
                #expect(Int(labels(dataset)[n]) == (x[0] + x[1]) % 7)
                seen.insert(x)
            }
        }
        #expect(seen.count == 49, "train and test partition all pairs")
    }

    @Test func modularAdditionSplitIsFixedByTheSeed() throws {
        var spec = DataSpec(kind: .modularAddition)
        spec.modulus = 11
        let a = try spec.load(using: RandomGenerator(seed: 3))
        let b = try spec.load(using: RandomGenerator(seed: 3))
        let c = try spec.load(using: RandomGenerator(seed: 4))
        #expect(a.train.inputs.bitwiseEquals(b.train.inputs) && a.test.inputs.bitwiseEquals(b.test.inputs))
        #expect(!a.train.inputs.bitwiseEquals(c.train.inputs))
        #expect(a.train.count == 61, "round(0.5 · 121)")
    }

    @Test func copyingRepeatsTheFirstHalfAfterASeparator() throws {
        var spec = DataSpec(kind: .copying)
        (spec.vocabulary, spec.sequenceLength, spec.train, spec.test) = (5, 8, 50, 10)
        let split = try spec.load(using: RandomGenerator(seed: 2))
        let data = split.train
        #expect(data.inputs.shape == [50, 8])
        #expect(data.tokens == TokenSequenceLayout(vocabulary: 6, targetPositions: 4..<8))
        #expect(labels(data).count == 50 * 4)
        for n in 0..<50 {
            let x = ids(data, n)
            let y = labels(data)[(n * 4)..<(n * 4 + 4)].map(Int.init)
            #expect(Array(x[0..<4]) == y, "the labels are the first half")
            #expect(x[4] == 5, "separator")
            #expect(Array(x[5..<8]) == Array(y[0..<3]), "teacher-forced copy")
        }
    }

    @Test func inductionScoresEveryPredictableRepeatedToken() throws {
        var spec = DataSpec(kind: .induction)
        (spec.vocabulary, spec.sequenceLength, spec.train, spec.test) = (10, 8, 40, 10)
        let split = try spec.load(using: RandomGenerator(seed: 2))
        let data = split.train
        #expect(data.tokens == TokenSequenceLayout(vocabulary: 10, targetPositions: 4..<7))
        for n in 0..<40 {
            let x = ids(data, n)
            #expect(Array(x[0..<4]) == Array(x[4..<8]))
            #expect(Set(x[0..<4]).count == 4, "distinct tokens in the first half")
            let y = labels(data)[(n * 3)..<(n * 3 + 3)].map(Int.init)
            // Position t ∈ 4..<7 predicts the token after the earlier occurrence of x[t].
            for (i, t) in (4..<7).enumerated() { #expect(y[i] == x[t + 1] && y[i] == x[t - 4 + 1]) }
        }
    }

    @Test func sparseParityLabelsTheXorOfAFixedSecret() throws {
        var spec = DataSpec(kind: .sparseParity)
        (spec.dimension, spec.degree, spec.train, spec.test) = (12, 3, 300, 100)
        let split = try spec.load(using: RandomGenerator(seed: 5))
        let secret = try #require(split.train.relevantCoordinates)
        #expect(secret.count == 3 && split.test.relevantCoordinates == secret)
        for dataset in [split.train, split.test] {
            for n in 0..<dataset.count {
                let x = ids(dataset, n)
                #expect(x.allSatisfy { $0 == 0 || $0 == 1 })
                #expect(Int(labels(dataset)[n]) == secret.map { x[$0] }.reduce(0, ^))
            }
        }
        let ones = labels(split.train).filter { $0 == 1 }.count
        #expect(ones > 100 && ones < 200, "balanced labels")
        let again = try spec.load(using: RandomGenerator(seed: 5))
        #expect(again.train.inputs.bitwiseEquals(split.train.inputs) && labels(again.train) == labels(split.train))
        #expect(try spec.load(using: RandomGenerator(seed: 6)).train.relevantCoordinates != nil)
    }

    @Test func tokenSettingsOutOfRangeAreRejected() {
        func rejects(_ kind: DataSpec.Kind, _ edit: (inout DataSpec) -> Void) -> Bool {
            var spec = DataSpec(kind: kind)
            edit(&spec)
            do { _ = try spec.load(using: RandomGenerator(seed: 0)); return false } catch { return true }
        }
        #expect(rejects(.modularAddition) { $0.trainFraction = 1 })
        #expect(rejects(.modularAddition) { $0.modulus = 1 })
        #expect(rejects(.modularAddition) { $0.modulus = 100_000 }, "10¹⁰ pairs")
        #expect(rejects(.copying) { $0.vocabulary = 1 << 25 }, "ids beyond exact Float32 integers")
        #expect(rejects(.modularAddition) { $0.vocabulary = 4 }, "a field of another kind")
        #expect(rejects(.copying) { $0.sequenceLength = 7 })
        #expect(rejects(.induction) { $0.sequenceLength = 2 })
        #expect(rejects(.sparseParity) { ($0.dimension, $0.degree) = (4, 5) })
        #expect(rejects(.copying) { $0.normalize = true })
        #expect(rejects(.induction) { $0.augmentation = AugmentationSpec(noise: 0.1) })
    }

    @Test func batchesCarryEveryLabelOfTheirSamples() throws {
        var spec = DataSpec(kind: .copying)
        (spec.vocabulary, spec.sequenceLength, spec.train, spec.test) = (7, 6, 20, 4)
        let data = try spec.load(using: RandomGenerator(seed: 8)).train
        var batch = Batch()
        batch.fill(from: data, indices: [3, 0, 17])
        let all = labels(data)
        #expect(batch.labels == Array(all[9..<12] + all[0..<3] + all[51..<54]))
        #expect(batch.inputs.shape == [3, 6])
        let prefix = data.prefix(5)
        #expect(labels(prefix) == Array(all.prefix(15)))
        #expect(throws: Never.self) { try prefix.validate() }
    }

    @Test func idsOutsideTheVocabularyFailValidation() {
        let layout = TokenSequenceLayout(vocabulary: 4, targetPositions: 1..<2)
        func dataset(_ x: [Float]) -> Dataset {
            Dataset(name: "tokens", inputs: Tensor(shape: [2, 2], scalars: x), targets: .classes([0, 1], classes: 4), tokens: layout)
        }
        #expect(throws: Never.self) { try dataset([0, 1, 3, 2]).validate() }
        for bad: [Float] in [[0, 4, 1, 1], [0, -1, 1, 1], [0, 1.5, 1, 1]] {
            #expect(throws: DataError.self) { try dataset(bad).validate() }
        }
        let tooFewLabels = Dataset(name: "tokens", inputs: .zeros([2, 2]), targets: .classes([0], classes: 4), tokens: layout)
        #expect(throws: DataError.self) { try tooFewLabels.validate() }
    }
}
