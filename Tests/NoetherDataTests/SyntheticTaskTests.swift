import Testing
import NoetherTensor
@testable import NoetherData

@Suite("Synthetic tasks")
struct SyntheticTaskTests {
    @Test func rotatedInputsKeepNoCoordinateStructure() throws {
        var spec = DataSpec(kind: .staircase)
        (spec.dimension, spec.degree, spec.train, spec.test, spec.rotationSeed) = (10, 3, 200, 50, 7)
        let split = try spec.load(using: RandomGenerator(seed: 1))
        #expect(split.train.relevantCoordinates == nil && split.test.relevantCoordinates == nil)
        // The rotation preserves each sample's norm (√10 on {±1}¹⁰).
        let norms = (0..<10).map { n in (0..<10).map { Double(split.train.inputs[n, $0] * split.train.inputs[n, $0]) }.reduce(0, +) }
        #expect(norms.allSatisfy { abs($0 - 10) < 1e-4 })
        // Coordinate augmentation would act on mixed coordinates: refused.
        spec.augmentation = AugmentationSpec(signFlipIrrelevant: true)
        #expect(throws: DataError.self) { try spec.load(using: RandomGenerator(seed: 1)) }
        spec.augmentation = AugmentationSpec(noise: 0.1)
        #expect(throws: Never.self) { try spec.load(using: RandomGenerator(seed: 1)) }
    }

    @Test func shuffledLabelsKeepInputsAndLabelCountsButNotTheTask() throws {
        var spec = DataSpec(kind: .gaussianMixture)
        (spec.dimension, spec.classes, spec.train, spec.test) = (5, 4, 400, 100)
        let plain = try spec.load(using: RandomGenerator(seed: 3))
        spec.labelShuffleSeed = 11
        let shuffled = try spec.load(using: RandomGenerator(seed: 3))
        guard case .classes(let a, 4) = plain.train.targets, case .classes(let b, 4) = shuffled.train.targets else {
            Issue.record("expected class labels"); return
        }
        #expect(shuffled.train.inputs == plain.train.inputs && shuffled.test.targets == plain.test.targets)
        #expect(a.sorted() == b.sorted(), "the same label counts")
        #expect(zip(a, b).count { $0 != $1 } > 200, "most labels moved: a different task")
        #expect(try spec.load(using: RandomGenerator(seed: 3)).train.targets == shuffled.train.targets, "seeded")
        // Regression targets have no labels to shuffle: refused.
        var regression = DataSpec(kind: .teacherStudent)
        (regression.train, regression.test, regression.labelShuffleSeed) = (10, 10, 1)
        #expect(throws: DataError.self) { try regression.load(using: RandomGenerator(seed: 1)) }
    }

    @Test func deeperTeachersKeepTheOneLayerTeachersDrawsAtDepthOne() throws {
        var spec = DataSpec(kind: .teacherStudent)
        (spec.dimension, spec.teacherWidth, spec.train, spec.test) = (6, 4, 200, 50)
        let shallow = try spec.load(using: RandomGenerator(seed: 5))
        spec.teacherDepth = 1
        #expect(try spec.load(using: RandomGenerator(seed: 5)).train.targets == shallow.train.targets)
        spec.teacherDepth = 3
        let deep = try spec.load(using: RandomGenerator(seed: 5))
        #expect(deep.train.inputs == shallow.train.inputs && deep.train.targets != shallow.train.targets)
        spec.teacherDepth = 0
        #expect(throws: DataError.self) { try spec.load(using: RandomGenerator(seed: 5)) }
    }

    @Test func staircaseTargetIsTheSumOfItsMonomials() throws {
        var spec = DataSpec(kind: .staircase)
        (spec.dimension, spec.degree, spec.train, spec.test) = (10, 3, 200, 50)
        let split = try spec.load(using: RandomGenerator(seed: 1))
        guard case .values(let y) = split.train.targets else { Issue.record("expected values"); return }
        for n in 0..<200 {
            let x = (0..<10).map { split.train.inputs[n, $0] }
            #expect(x.allSatisfy { $0 == 1 || $0 == -1 })
            #expect(y[n, 0] == x[0] + x[0] * x[1] + x[0] * x[1] * x[2])
        }
        #expect(split.train.relevantCoordinates == [0, 1, 2])
        #expect(split.test.count == 50)
    }

    @Test func sameSeedSameDataDifferentSeedDifferentData() throws {
        var spec = DataSpec(kind: .teacherStudent)
        (spec.dimension, spec.teacherWidth, spec.train, spec.test) = (8, 3, 64, 16)
        let a = try spec.load(using: RandomGenerator(seed: 4))
        let b = try spec.load(using: RandomGenerator(seed: 4))
        let c = try spec.load(using: RandomGenerator(seed: 5))
        #expect(a.train.inputs.bitwiseEquals(b.train.inputs))
        #expect(a.train.targets == b.train.targets)
        #expect(!a.train.inputs.bitwiseEquals(c.train.inputs))
        // Train and test come from independent streams.
        #expect(!a.train.inputs.slice(alongAxis: 0, 0..<16).bitwiseEquals(a.test.inputs))
    }

    @Test func lowRankTeacherHasTheRequestedSingularValues() throws {
        var generator = RandomGenerator(seed: 2)
        let a = SyntheticTasks.lowRankMatrix(outputs: 12, dimension: 16, singularValues: [10, 3, 1], using: &generator)
        let s = try a.singularValues()
        #expect(abs(s[0] - 10) < 1e-9 && abs(s[1] - 3) < 1e-9 && abs(s[2] - 1) < 1e-9)
        #expect(s[3] < 1e-9)
        var spec = DataSpec(kind: .lowRank)
        (spec.dimension, spec.singularValues) = (4, [1, 2, 3, 4, 5])
        #expect(throws: DataError.self) { try spec.load(using: RandomGenerator(seed: 0)) }
    }

    @Test func gaussianMixtureHasLabelsInRangeAndSeparatedMeans() throws {
        var spec = DataSpec(kind: .gaussianMixture)
        (spec.classes, spec.dimension, spec.separation, spec.train) = (4, 6, 20, 400)
        let split = try spec.load(using: RandomGenerator(seed: 3))
        guard case .classes(let labels, let classes) = split.train.targets else { Issue.record("expected classes"); return }
        #expect(classes == 4)
        #expect(Set(labels) == [0, 1, 2, 3])
        // With separation 20 and unit noise the nearest-mean rule is nearly perfect.
        var means = [[Float]](repeating: [Float](repeating: 0, count: 6), count: 4)
        var counts = [Float](repeating: 0, count: 4)
        for n in 0..<400 { let c = Int(labels[n]); counts[c] += 1; for j in 0..<6 { means[c][j] += split.train.inputs[n, j] } }
        for c in 0..<4 { for j in 0..<6 { means[c][j] /= counts[c] } }
        let norms = means.map { m in m.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        #expect(norms.allSatisfy { abs($0 - 20) < 1 })
    }

    @Test func fieldsThatDoNotApplyAreRejected() {
        var spec = DataSpec(kind: .staircase)
        spec.classes = 3
        #expect(throws: DataError.self) { try spec.validate() }
        var bad = DataSpec(kind: .leap)
        bad.monomials = [[0, 40]]
        bad.dimension = 10
        #expect(throws: DataError.self) { try bad.load(using: RandomGenerator(seed: 0)) }
    }
}
