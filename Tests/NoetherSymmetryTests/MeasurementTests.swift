import Testing
import NoetherNN
import NoetherTensor
@testable import NoetherSymmetry

/// A random 10-16-3 ReLU MLP in Float64 and its catalogue.
func plantedModel(seed: UInt64 = 2) throws -> (Parameters<Double>, [SymmetrySpec]) {
    let spec = ModelSpec.mlp(MLPSpec(input: 10, hidden: [16], output: 3))
    let model = try Model<Double>(spec, initializer: InitializerSpec(scheme: .normal), generator: RandomGenerator(seed: seed))
    var parameters = model.parameters
    var generator = RandomGenerator(seed: seed + 100)
    parameters["layers.0.bias"] = .normal([16], standardDeviation: 0.3, using: &generator)
    return (parameters, try SymmetryCatalogue.infer(spec, loss: .crossEntropy))
}

/// Copies neuron `source` of hidden layer 0 onto `target`, scaled by `scale`.
func setNeuron(_ p: inout Parameters<Double>, _ target: Int, from source: Int, scale: Double = 1, perturbation: Double = 0) {
    var generator = RandomGenerator(seed: UInt64(target))
    var w = p["layers.0.weight"]!, b = p["layers.0.bias"]!, a = p["layers.1.weight"]!
    for j in 0..<10 { w[target, j] = scale * w[source, j] + perturbation * generator.normal() }
    b[target] = scale * b[source]
    for k in 0..<3 { a[k, target] = scale * a[k, source] }
    (p["layers.0.weight"], p["layers.0.bias"], p["layers.1.weight"]) = (w, b, a)
}

/// Sets neuron `target` to u_source + δ with δ ⊥ u_source and ‖δ‖ = distance·‖u_source‖.
func moveNeuron(_ p: inout Parameters<Double>, _ target: Int, from source: Int, relativeDistance: Double) {
    var w = p["layers.0.weight"]!, b = p["layers.0.bias"]!, a = p["layers.1.weight"]!
    let u = (0..<10).map { w[source, $0] } + [b[source]] + (0..<3).map { a[$0, source] }
    var generator = RandomGenerator(seed: UInt64(target) + 50)
    var r = (0..<14).map { _ in generator.normal() }
    let uu = u.reduce(0) { $0 + $1 * $1 }
    let ru = zip(r, u).reduce(0) { $0 + $1.0 * $1.1 }
    r = zip(r, u).map { $0 - ru / uu * $1 }
    let scale = relativeDistance * uu.squareRoot() / r.reduce(0) { $0 + $1 * $1 }.squareRoot()
    let v = zip(u, r).map { $0 + scale * $1 }
    for j in 0..<10 { w[target, j] = v[j] }
    b[target] = v[10]
    for k in 0..<3 { a[k, target] = v[11 + k] }
    (p["layers.0.weight"], p["layers.0.bias"], p["layers.1.weight"]) = (w, b, a)
}

func layer0(_ p: Parameters<Double>, _ catalogue: [SymmetrySpec], _ thresholds: SymmetryThresholds = SymmetryThresholds()) -> LayerReport {
    SymmetryAnalysis.analyze(p, catalogue: catalogue, thresholds: thresholds).layers[0]
}

@Suite("Planted structure is found exactly")
struct MeasurementTests {
    @Test func duplicatedNeuronsAndANearMiss() throws {
        var (p, catalogue) = try plantedModel()
        #expect(layer0(p, catalogue).neurons?.distinct == 16)
        for target in 1...3 { setNeuron(&p, target, from: 0) }
        // Neuron 5 is neuron 4 moved orthogonally by twice the tolerance (relative): still distinct;
        // neuron 10 is neuron 9 moved by half of it: the same.
        moveNeuron(&p, 5, from: 4, relativeDistance: 0.02)
        moveNeuron(&p, 10, from: 9, relativeDistance: 0.005)
        let stats = try #require(layer0(p, catalogue).neurons)
        #expect(stats.distinct == 12)
        #expect(stats.clusters[1] == stats.clusters[0] && stats.clusters[3] == stats.clusters[0])
        #expect(stats.clusters[5] != stats.clusters[4])
        #expect(stats.clusters[10] == stats.clusters[9])
        // A positive multiple is the same neuron up to the rescaling symmetry.
        setNeuron(&p, 6, from: 0, scale: 2.5)
        #expect(layer0(p, catalogue).neurons?.distinct == 11)
    }

    @Test func deadNeuronsAndANearMiss() throws {
        var (p, catalogue) = try plantedModel()
        for target in [7, 8] { setNeuron(&p, target, from: 0, scale: 0) }
        let median = layer0(p, catalogue).neurons!.norms.sorted()[8]
        // Neuron 9 at twice the dead threshold stays alive.
        let norm9 = layer0(p, catalogue).neurons!.norms[9]
        setNeuron(&p, 9, from: 9, scale: 2e-3 * median / norm9)
        let stats = try #require(layer0(p, catalogue).neurons)
        #expect(stats.dead == 2)
        #expect(stats.clusters[7] == -1 && stats.clusters[9] >= 0)
        // With an absolute threshold above it, it is dead too.
        #expect(layer0(p, catalogue, SymmetryThresholds(deadAbsolute: 3e-3 * median)).neurons?.dead == 3)
    }

    @Test func signPairedNeurons() throws {
        var (p, catalogue) = try plantedModel()
        setNeuron(&p, 2, from: 1, scale: -1)
        #expect(layer0(p, catalogue).neurons?.signPaired == 2)
    }

    @Test func lowRankWeightAndANearMiss() throws {
        var (p, catalogue) = try plantedModel()
        var generator = RandomGenerator(seed: 8)
        let factor = Tensor<Double>.normal([16, 3], using: &generator).matmul(Tensor<Double>.normal([3, 10], using: &generator))
        p["layers.0.weight"] = factor
        let report = layer0(p, catalogue)
        #expect(report.rank == 3)
        #expect(report.rankDeficit == 7)
        #expect(report.ranks?["0.01"] == 3)
        // A fourth direction at 2e-3·σ_max counts at τ = 1e-3 but not at 1e-2.
        let sigmaMax = try factor.singularValues()[0]
        let direction = Tensor<Double>.normal([16, 1], using: &generator).matmul(Tensor<Double>.normal([1, 10], using: &generator))
        let d = try direction.singularValues()[0]
        p["layers.0.weight"] = factor + direction * (2e-3 * sigmaMax / d)
        let nearMiss = layer0(p, catalogue)
        #expect(nearMiss.rank == 4)
        #expect(nearMiss.ranks?["0.01"] == 3)
    }

    @Test func degreeOfSymmetryCountsEachRestoredMirrorOnce() throws {
        var (p, catalogue) = try plantedModel()
        // Incoming weights in an 8-dimensional subspace of the 10 inputs (rank deficit 2), then
        // 2 dead neurons and 3 copies of neuron 0: alive 14, distinct 11.
        var generator = RandomGenerator(seed: 9)
        let basis = Tensor<Double>.normal([8, 10], using: &generator)
        p["layers.0.weight"] = Tensor<Double>.normal([16, 8], using: &generator).matmul(basis)
        for target in [7, 8] { setNeuron(&p, target, from: 0, scale: 0) }
        for target in 1...3 { setNeuron(&p, target, from: 0) }
        let report = layer0(p, catalogue)
        #expect(report.neurons?.dead == 2 && report.neurons?.distinct == 11)
        #expect(report.rankDeficit == 2)
        // 1 − distinct alive / m: the dead and the merged are the restored mirrors; the rank
        // deficit among distinct ReLU neurons is no symmetry. (The withdrawn form added all
        // three: (2 + 3 + 2) / 16.)
        #expect(report.mirrors == 16)
        #expect(abs(report.degreeOfSymmetry - 5.0 / 16) < 1e-12)
        #expect(abs(report.degreeOfSymmetryBreaking - 11.0 / 16) < 1e-12)
        #expect(abs(SymmetryAnalysis.analyze(p, catalogue: catalogue).degreeOfSymmetry - 5.0 / 16) < 1e-12)
    }

    @Test func degreeOfSymmetryOfALinearBlockIsRankBased() throws {
        // Deep linear 6-8-8-4: W₀ (8 × 6) of rank 3 with a dead row and a duplicated row (which
        // the rank already counts), W₁ (8 × 8) of full rank.
        let spec = ModelSpec.deepLinear(DeepLinearSpec(input: 6, hidden: [8, 8], output: 4))
        let catalogue = try SymmetryCatalogue.infer(spec)
        var p = try Model<Double>(spec, generator: RandomGenerator(seed: 3)).parameters
        var generator = RandomGenerator(seed: 5)
        var w = Tensor<Double>.normal([8, 3], using: &generator).matmul(Tensor<Double>.normal([3, 6], using: &generator))
        for j in 0..<6 {
            w[7, j] = 0
            w[6, j] = w[5, j]
        }
        p["layers.0.weight"] = w
        let report = SymmetryAnalysis.analyze(p, catalogue: catalogue)
        let first = try #require(report.layers.first { $0.layer == "layers.0" })
        let second = try #require(report.layers.first { $0.layer == "layers.1" })
        #expect(first.rank == 3 && first.mirrors == 6)
        #expect(abs(first.degreeOfSymmetry - 0.5) < 1e-12)  // 1 − 3/6
        #expect(second.rank == 8 && second.degreeOfSymmetry == 0)
        // The model: (3 + 0) restored of (6 + 8) mirrors.
        #expect(abs(report.degreeOfSymmetry - 3.0 / 14) < 1e-12)
    }

    @Test func lowRankAttentionHead() throws {
        let spec = ModelSpec.transformer(TransformerSpec(sequenceLength: 4, tokenDimension: 4, width: 16, heads: 2, output: 3))
        let catalogue = try SymmetryCatalogue.infer(spec, loss: .crossEntropy)
        var p = try Model<Double>(spec, generator: RandomGenerator(seed: 1)).parameters
        var generator = RandomGenerator(seed: 4)
        // Head 1's query rows (8 × 16) of rank 2: W_Q W_Kᵀ then has rank 2.
        var q = p["blocks.0.attn.q_proj.weight"]!
        let lowRank = Tensor<Double>.normal([8, 2], using: &generator).matmul(Tensor<Double>.normal([2, 16], using: &generator))
        for i in 0..<8 { for j in 0..<16 { q[8 + i, j] = lowRank[i, j] } }
        p["blocks.0.attn.q_proj.weight"] = q
        let attention = try #require(SymmetryAnalysis.analyze(p, catalogue: catalogue).layers.first { $0.layer == "blocks.0.attn" })
        let heads = try #require(attention.heads)
        #expect(heads.map(\.qkRank) == [8, 2])
        #expect(heads.map(\.voRank) == [8, 8])
        #expect(abs(heads[1].degreeOfSymmetry - 6.0 / 16) < 1e-12)
        #expect(attention.mirrors == 2 * 2 * 8)
        // A third direction at 2e-3 of the largest singular value of W_Q W_Kᵀ counts at τ = 1e-3.
        let keys = p["blocks.0.attn.k_proj.weight"]!.slice(alongAxis: 0, 8..<16)
        let product = lowRank.matmul(keys, transposeSelf: true)
        let sigma = try product.singularValues()[0]
        let extra = Tensor<Double>.normal([8, 1], using: &generator).matmul(Tensor<Double>.normal([1, 16], using: &generator))
        let extraProduct = try extra.matmul(keys, transposeSelf: true).singularValues()[0]
        for i in 0..<8 { for j in 0..<16 { q[8 + i, j] = lowRank[i, j] + extra[i, j] * 2e-3 * sigma / extraProduct } }
        p["blocks.0.attn.q_proj.weight"] = q
        let nearMiss = try #require(SymmetryAnalysis.analyze(p, catalogue: catalogue).layers.first { $0.layer == "blocks.0.attn" })
        #expect(nearMiss.heads?.map(\.qkRank) == [8, 3])
        #expect(try #require(SymmetryAnalysis.analyze(p, catalogue: catalogue, thresholds: SymmetryThresholds(rankRelative: 1e-2))
            .layers.first { $0.layer == "blocks.0.attn" }?.heads?.map(\.qkRank)) == [8, 2])
    }

    @Test func breakingDistancesHaveKnownValues() throws {
        var (p, catalogue) = try plantedModel()
        setNeuron(&p, 1, from: 0)
        let distances = SymmetryAnalysis.analyze(p, catalogue: catalogue).distances
        let permutation = try #require(distances.first { $0.kind == .permutation })
        #expect(permutation.nearestMirror < 1e-12)
        let rescaling = try #require(distances.first { $0.kind == .rescaling })
        let norms = layer0(p, catalogue).neurons!.norms
        #expect(abs(rescaling.nearestMirror - norms.min()!) < 1e-12)
        #expect(abs(rescaling.relativeGroup - 1) < 1e-12)
        // Translation: logits bias (c, c, c) and weight rows sharing a mean: ‖P_𝟙‖ = √3 · ‖mean row‖.
        p["layers.1.bias"] = Tensor([2, 2, 2])
        p["layers.1.weight"] = .zeros([3, 16])
        let translation = try #require(SymmetryAnalysis.analyze(p, catalogue: catalogue).distances.first { $0.kind == .translation })
        #expect(abs(translation.group - 2 * 3.squareRoot()) < 1e-12)
        #expect(abs(translation.relativeGroup - 1) < 1e-12)
    }
}
