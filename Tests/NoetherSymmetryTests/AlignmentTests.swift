import Testing
import NoetherNN
import NoetherTensor
@testable import NoetherSymmetry

@Suite("The linear assignment solver is exact")
struct LinearAssignmentTests {
    /// Every permutation of 0..<n (Heap's algorithm).
    static func permutations(_ n: Int) -> [[Int]] {
        var result: [[Int]] = []
        var a = Array(0..<n)
        func generate(_ k: Int) {
            if k == 1 { result.append(a); return }
            for i in 0..<k {
                generate(k - 1)
                a.swapAt(k % 2 == 0 ? i : 0, k - 1)
            }
        }
        generate(n)
        return result
    }

    @Test("matches brute force on every 6 × 6 case of a seeded sample (real and tied integer costs)")
    func bruteForce() {
        let all = Self.permutations(6)
        #expect(all.count == 720 && Set(all).count == 720)
        var generator = RandomGenerator(seed: 15)
        for case_ in 0..<300 {
            // Half the cases draw small integers, so that many assignments tie.
            let cost = (0..<36).map { _ in case_ % 2 == 0 ? generator.uniform(-1, 1) : Double(generator.index(below: 4)) }
            let best = all.map { p in (0..<6).reduce(0.0) { $0 + cost[$1 * 6 + p[$1]] } }.min() ?? 0
            guard let assignment = LinearAssignment.minimise(cost, rows: 6, columns: 6) else {
                Issue.record("no assignment for case \(case_)")
                continue
            }
            #expect(Set(assignment) == Set(0..<6))
            let found = (0..<6).reduce(0.0) { $0 + cost[$1 * 6 + assignment[$1]] }
            #expect(abs(found - best) < 1e-12, "case \(case_): \(found) against brute force \(best)")
            let worst = all.map { p in (0..<6).reduce(0.0) { $0 + cost[$1 * 6 + p[$1]] } }.max() ?? 0
            if let maximal = LinearAssignment.maximise(cost, rows: 6, columns: 6) {
                #expect(abs((0..<6).reduce(0.0) { $0 + cost[$1 * 6 + maximal[$1]] } - worst) < 1e-12)
            }
        }
    }

    @Test("rectangular problems, forbidden pairs and bad sizes")
    func edges() {
        // Rows 0 and 1 both prefer column 2; the optimum gives it to row 1.
        let cost: [Double] = [1, 5, 0, 9,
                              9, 9, 0, 9]
        #expect(LinearAssignment.minimise(cost, rows: 2, columns: 4) == [0, 2])
        #expect(LinearAssignment.minimise([.infinity, .infinity, 1, 2], rows: 2, columns: 2) == nil)
        #expect(LinearAssignment.minimise([1, 2, 3], rows: 2, columns: 2) == nil)
        #expect(LinearAssignment.minimise([1, 2], rows: 2, columns: 1) == nil)
        #expect(LinearAssignment.minimise([], rows: 0, columns: 0) == [])
    }
}

@Suite("Alignment recovers a model from any point of its orbit")
struct AlignmentTests {
    static let architectures: [(String, ModelSpec)] = [
        ("mlp relu", .mlp(MLPSpec(input: 6, hidden: [12, 10], output: 3))),
        ("mlp tanh", .mlp(MLPSpec(input: 6, hidden: [9, 7], output: 3, activation: .tanh))),
        ("cnn", .cnn(CNNSpec(inputShape: [2, 8, 8], convolutions: [ConvolutionLayerSpec(channels: 4), ConvolutionLayerSpec(channels: 6)],
                             hidden: [8], output: 3))),
        ("transformer", .transformer(TransformerSpec(sequenceLength: 4, tokenDimension: 3, width: 8, heads: 2, depth: 2,
                                                     feedForward: 12, output: 3, activation: .relu))),
        ("resnet", .resnet(ResNetSpec(inputShape: [1, 8, 8], depth: 8, output: 3))),
        ("gpt", .gpt(GPTSpec(vocabulary: 11, sequenceLength: 6, width: 16, depth: 1, heads: 4, kvHeads: 2))),
    ]

    /// A random model and the same model moved by a random element of every permutation,
    /// rescaling and sign group.
    static func pair(_ spec: ModelSpec, seed: UInt64) throws -> (Model<Float>, Model<Float>, [SymmetrySpec]) {
        var generator = RandomGenerator(seed: seed)
        var a = try Model<Float>(spec, initializer: InitializerSpec(scheme: .normal), generator: generator.derived("init"))
        a.parameters = a.parameters.mapTensors { _, t in t + Tensor.normal(t.shape, standardDeviation: 0.2, using: &generator) }
        let symmetries = SymmetryCatalogue.infer(a.architecture, loss: .crossEntropy)
        var moved = a.parameters.converted(to: Double.self)
        for spec in symmetries where [.permutation, .rescaling, .signFlip].contains(spec.kind) {
            moved = spec.apply(spec.randomElement(using: &generator), to: moved)
        }
        return (a, try Model(spec, parameters: moved.converted(to: Float.self)), symmetries)
    }

    @Test("weight matching undoes a random group element", arguments: architectures.map(\.0))
    func recoversOrbit(_ name: String) throws {
        let spec = try #require(Self.architectures.first { $0.0 == name }?.1)
        let (a, b, symmetries) = try Self.pair(spec, seed: 3)
        #expect(!WeightMatching.groups(symmetries).isEmpty)
        var generator = RandomGenerator(seed: 4)
        let inputs: Tensor<Float> = a.architecture.randomInputs(32, using: &generator)
        let outcome = try ModelAlignment.align(b, to: a, inputs: inputs, loss: .crossEntropy)
        #expect(outcome.functionDifference <= 1e-5)
        #expect(outcome.groups.contains { $0.changed > 0 })
        let distance = zip(outcome.parameters.tensors.values, a.parameters.tensors.values).reduce(0.0) { $0 + Double(($1.0 - $1.1).squaredNorm()) }
        let before = zip(b.parameters.tensors.values, a.parameters.tensors.values).reduce(0.0) { $0 + Double(($1.0 - $1.1).squaredNorm()) }
        let scale = Double(a.parameters.norm())
        #expect(before.squareRoot() > 0.1 * scale)
        #expect(distance.squareRoot() < 1e-4 * scale, "\(name): ‖B′ − A‖ = \(distance.squareRoot()) of ‖A‖ = \(scale)")
    }

    @Test("activation matching recovers the hidden units of an MLP and a CNN", arguments: ["mlp relu", "cnn"])
    func activations(_ name: String) throws {
        let spec = try #require(Self.architectures.first { $0.0 == name }?.1)
        let (a, b, _) = try Self.pair(spec, seed: 5)
        var generator = RandomGenerator(seed: 6)
        let inputs: Tensor<Float> = a.architecture.randomInputs(200, using: &generator)
        let outcome = try ModelAlignment.align(b, to: a, method: .activations, inputs: inputs, loss: .crossEntropy)
        let distance = zip(outcome.parameters.tensors.values, a.parameters.tensors.values).reduce(0.0) { $0 + Double(($1.0 - $1.1).squaredNorm()) }
        #expect(distance.squareRoot() < 1e-4 * Double(a.parameters.norm()))
        #expect(outcome.functionDifference <= 1e-5)
    }

    @Test("two different architectures are refused")
    func refusesMismatch() throws {
        let a = try Model<Float>(.mlp(MLPSpec(input: 4, hidden: [5], output: 2)), generator: RandomGenerator(seed: 1))
        let b = try Model<Float>(.mlp(MLPSpec(input: 4, hidden: [6], output: 2)), generator: RandomGenerator(seed: 1))
        #expect(throws: AlignmentError.self) { try ModelAlignment.align(b, to: a, inputs: Tensor.zeros([2, 4])) }
    }
}

@Suite("Compression removes exactly what the symmetric state makes redundant")
struct CompressionTests {
    @Test("a planted duplicate (positive multiple) and a dead unit of a ReLU MLP are removed without changing the function")
    func plantedUnits() throws {
        let spec = ModelSpec.mlp(MLPSpec(input: 6, hidden: [10, 8], output: 3))
        var generator = RandomGenerator(seed: 9)
        var model = try Model<Float>(spec, generator: generator.derived("init"))
        var w0 = try #require(model.parameters["layers.0.weight"]), b0 = try #require(model.parameters["layers.0.bias"])
        var w1 = try #require(model.parameters["layers.1.weight"])
        for k in 0..<6 { w0[3, k] = 2.5 * w0[1, k] }
        b0[3] = 2.5 * b0[1]
        for row in 0..<8 { w1[row, 7] = 0 }
        model.parameters["layers.0.weight"] = w0
        model.parameters["layers.0.bias"] = b0
        model.parameters["layers.1.weight"] = w1
        let inputs: Tensor<Float> = model.architecture.randomInputs(200, using: &generator)
        let (small, report) = try ModelCompression.compress(model, inputs: inputs, tolerance: 1e-5)
        guard case .mlp(let shrunk) = small.spec else { Issue.record("not an mlp"); return }
        #expect(shrunk.hidden[0] <= 8)
        #expect(report.layers[0].merged >= 1 && report.layers[0].dead >= 1)
        #expect(report.maxOutputDifference <= 1e-5)
        #expect(report.parametersAfter == small.parameters.scalarCount && report.parametersAfter < report.parametersBefore)
    }

    @Test("a deep linear factor pair is stored at its rank")
    func rank() throws {
        let spec = ModelSpec.deepLinear(DeepLinearSpec(input: 6, hidden: [9], output: 5))
        var generator = RandomGenerator(seed: 10)
        var model = try Model<Float>(spec, generator: generator.derived("init"))
        let left = Tensor<Float>.normal([9, 2], using: &generator), right = Tensor<Float>.normal([2, 6], using: &generator)
        model.parameters["layers.0.weight"] = left.matmul(right)
        let inputs: Tensor<Float> = model.architecture.randomInputs(50, using: &generator)
        let (small, report) = try ModelCompression.compress(model, inputs: inputs, tolerance: 1e-4)
        guard case .deepLinear(let shrunk) = small.spec else { Issue.record("not deep linear"); return }
        #expect(shrunk.hidden == [2])
        #expect(report.layers[0].beyondRank == 7)
        #expect(report.maxOutputDifference <= 1e-4)
    }

    @Test("near-copies merge as far as the tolerance allows, and no further")
    func nearCopies() throws {
        // Units 1…4 are unit 0's incoming weights scaled and bent by growing amounts: the closer
        // ones merge at a loose tolerance, none at a tight one, and the measured difference
        // stays within each.
        let spec = ModelSpec.mlp(MLPSpec(input: 6, hidden: [12], output: 3))
        var generator = RandomGenerator(seed: 11)
        var model = try Model<Float>(spec, generator: generator.derived("init"))
        var w0 = try #require(model.parameters["layers.0.weight"]), b0 = try #require(model.parameters["layers.0.bias"])
        var w1 = try #require(model.parameters["layers.1.weight"])
        let bend = Tensor<Float>.normal([6], using: &generator)
        for (unit, amount) in [(1, Float(1e-4)), (2, 1e-3), (3, 1e-2), (4, 1e-1)] {
            for k in 0..<6 { w0[unit, k] = (1.5 + Float(unit)) * (w0[0, k] + amount * bend[k]) }
            b0[unit] = (1.5 + Float(unit)) * b0[0]
            // Smaller than unit 0, so unit 0 is their representative.
            for row in 0..<3 { w1[row, unit] = 0.05 * w1[row, 0] }
        }
        model.parameters["layers.0.weight"] = w0
        model.parameters["layers.0.bias"] = b0
        model.parameters["layers.1.weight"] = w1
        let inputs: Tensor<Float> = model.architecture.randomInputs(300, using: &generator)
        var merged: [Int] = []
        for tolerance in [1e-9, 1e-3, 1e-1] {
            let (_, report) = try ModelCompression.compress(model, inputs: inputs, tolerance: tolerance)
            #expect(report.maxOutputDifference <= tolerance)
            merged.append(report.layers[0].merged)
        }
        // At 1e-3 the three closest near-copies (bent by 1e-4, 1e-3, 1e-2) merge; the one bent by 0.1 only at 1e-1.
        #expect(merged == [0, 3, 4], "merged at 1e-9, 1e-3, 1e-1: \(merged)")
    }

    @Test("a result beyond the tolerance is refused")
    func refusal() throws {
        // A factor pair's rank is not searched; and any smaller model rounds differently in Float.
        let spec = ModelSpec.deepLinear(DeepLinearSpec(input: 6, hidden: [9], output: 5))
        var generator = RandomGenerator(seed: 10)
        var model = try Model<Float>(spec, generator: generator.derived("init"))
        model.parameters["layers.0.weight"] = Tensor<Float>.normal([9, 2], using: &generator).matmul(Tensor<Float>.normal([2, 6], using: &generator))
        let inputs: Tensor<Float> = model.architecture.randomInputs(50, using: &generator)
        #expect(throws: CompressionRefused.self) { try ModelCompression.compress(model, inputs: inputs, tolerance: 1e-12) }
    }

    @Test("a CNN's planted duplicate channel (positive multiple, through max pooling) and dead channel are removed without changing the function")
    func convolutionChannels() throws {
        let spec = ModelSpec.cnn(CNNSpec(inputShape: [2, 8, 8], convolutions: [ConvolutionLayerSpec(channels: 6), ConvolutionLayerSpec(channels: 5)],
                                         hidden: [7], output: 3))
        var generator = RandomGenerator(seed: 12)
        var model = try Model<Float>(spec, generator: generator.derived("init"))
        // Channel 4 of the first conv is 3 × channel 1 (kernel and bias); channel 2 of the second conv is silenced downstream.
        var kernel = try #require(model.parameters["convs.0.weight"]), bias = try #require(model.parameters["convs.0.bias"])
        for i in 0..<2 { for y in 0..<3 { for x in 0..<3 { kernel[4, i, y, x] = 3 * kernel[1, i, y, x] } } }
        bias[4] = 3 * bias[1]
        var dense = try #require(model.parameters["layers.0.weight"])
        let block = 2 * 2  // the second conv's map after two 2×2 poolings: 8 → 4 → 2
        for row in 0..<7 { for k in (2 * block)..<(3 * block) { dense[row, k] = 0 } }
        model.parameters["convs.0.weight"] = kernel
        model.parameters["convs.0.bias"] = bias
        model.parameters["layers.0.weight"] = dense
        let inputs: Tensor<Float> = model.architecture.randomInputs(100, using: &generator)
        let (small, report) = try ModelCompression.compress(model, inputs: inputs, tolerance: 1e-5)
        guard case .cnn(let shrunk) = small.spec else { Issue.record("not a cnn"); return }
        #expect(shrunk.convolutions.map(\.channels) == [5, 4], "\(report.layers)")
        #expect(report.layers.map(\.name) == ["convs.0", "convs.1", "layers.0"])
        #expect(report.layers[0].merged == 1 && report.layers[1].dead == 1)
        #expect(report.maxOutputDifference <= 1e-5)
        #expect(small.parameters.scalarCount == report.parametersAfter && report.parametersAfter < report.parametersBefore)
        // The smaller CNN computes the original's function on fresh inputs too.
        let fresh: Tensor<Float> = model.architecture.randomInputs(20, using: &generator)
        #expect(zip(model(fresh).scalars, small(fresh).scalars).allSatisfy { abs($0 - $1) <= 1e-4 })
    }

    @Test("kinds without per-layer widths are refused with a typed error")
    func refusesOtherKinds() throws {
        let model = try Model<Float>(.transformer(TransformerSpec(sequenceLength: 4, tokenDimension: 4, width: 8, heads: 2, output: 3)),
                                     generator: RandomGenerator(seed: 1))
        #expect(throws: AlignmentError.self) { try ModelCompression.compress(model, inputs: Tensor.zeros([2, 16]), tolerance: 1e-3) }
    }
}
