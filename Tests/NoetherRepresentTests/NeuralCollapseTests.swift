import Testing
import NoetherTensor
@testable import NoetherRepresent

/// The simplex ETF of C classes in p ≥ C dimensions: rows √(C/(C−1))·(e_c − 1/C).
func simplexETF(classes c: Int, dimension p: Int) -> Tensor<Double> {
    var m = Tensor<Double>.zeros([c, p])
    let scale = (Double(c) / Double(c - 1)).squareRoot()
    for i in 0..<c { for j in 0..<c { m[i, j] = scale * ((i == j ? 1 : 0) - 1 / Double(c)) } }
    return m
}

@Suite("Neural collapse")
struct NeuralCollapseTests {
    @Test func perfectSimplexETFHasZeroCollapseMetrics() throws {
        let means = simplexETF(classes: 4, dimension: 6)
        let labels = (0..<20).map { $0 % 4 }
        let features = means.gatherRows(labels) + 0.7   // a common offset: μ_G is removed
        let nc = try NeuralCollapse(features: features, labels: labels, classifier: means, bias: .zeros([4]))
        for value in [nc.nc1, nc.nc2Equinorm, nc.nc2Equiangular, nc.nc2MaxAngle, nc.nc2ClassifierEquinorm!,
                      nc.nc2ClassifierEquiangular!, nc.nc2ClassifierMaxAngle!, nc.nc3!, nc.nc4!, nc.cdnv] {
            #expect(abs(value) < 1e-6)
        }
    }

    @Test func nc1AndNC4MatchHandComputedValues() throws {
        // Two classes in 2-D, asymmetric:
        // class 0: (0,0), (2,0)      μ0 = (1,0)
        // class 1: (4,1), (4,3), (7,2) μ1 = (5,2)
        let features = Tensor<Double>(rows: [[0, 0], [2, 0], [4, 1], [4, 3], [7, 2]])
        let labels = [0, 0, 1, 1, 1]
        // μ_G = (17/5, 6/5); centred means m0 = (−2.4, −1.2), m1 = (1.6, 0.8).
        // Σ_B = (m0 m0ᵀ + m1 m1ᵀ)/2 = [[4.16, 2.08], [2.08, 1.04]] (rank 1, direction (2, 1)).
        // Σ_W = (1/5)[(−1,0)(−1,0)ᵀ + (1,0)(1,0)ᵀ + (−1,−1)(…)ᵀ + (−1,1)(…)ᵀ + (2,0)(2,0)ᵀ]
        //     = (1/5)[[8, 0], [0, 2]].
        // Σ_B⁺ = vvᵀ/λ with v = (2,1)/√5, λ = 5.2: Σ_B⁺ = [[4,2],[2,1]]/(5·5.2) = [[4,2],[2,1]]/26.
        // Tr(Σ_W Σ_B⁺) = (1/5)(8·4 + 2·1)/26 = 34/130; NC1 = that / C = 34/260.
        let classifier = Tensor<Double>(rows: [[-1, 0], [1, 0]])
        let bias = Tensor<Double>([3, -3])
        // Classifier logits x − 3 vs −x + 3 choose class 1 iff x > 3: predictions 0,0,1,1,1.
        // Nearest centres: (2,0) is 1 from μ0 and √13 from μ1: class 0; all agree → NC4 = 0.
        let nc = try NeuralCollapse(features: features, labels: labels, classifier: classifier, bias: bias)
        #expect(abs(nc.nc1 - 34.0 / 260) < 1e-12)
        #expect(nc.nc4 == 0)
        // Move the decision boundary to x = 1.5: (2,0) now goes to class 1 but is nearest μ0.
        let shifted = try NeuralCollapse(features: features, labels: labels, classifier: classifier, bias: Tensor([1.5, -1.5]))
        #expect(abs(shifted.nc4! - 1.0 / 5) < 1e-12)
    }

    @Test func degenerateInputsAreErrorsOrDocumentedValues() throws {
        let features = gaussian([6, 3], seed: 1)
        #expect(throws: RepresentationError.self) { try NeuralCollapse(features: features, labels: [0, 0, 0, 0, 0, 0]) }
        // A class with a single sample is allowed: it contributes no within-class variance.
        let single = try NeuralCollapse(features: features, labels: [0, 0, 0, 1, 1, 2])
        #expect(single.classes == 3 && single.nc1.isFinite)
        #expect(throws: RepresentationError.self) { try NeuralCollapse(features: .ones([6, 3]), labels: [0, 0, 0, 1, 1, 1]) }
        var nan = features
        nan[2, 1] = .nan
        #expect(throws: RepresentationError.self) { try NeuralCollapse(features: nan, labels: [0, 0, 0, 1, 1, 1]) }
        #expect(throws: RepresentationError.self) { try NeuralCollapse(features: features, labels: [0, 1]) }
        #expect(throws: RepresentationError.self) {
            try NeuralCollapse(features: features, labels: [0, 0, 0, 1, 1, 1], classifier: .zeros([2, 5]))
        }
    }
}

@Suite("Representation rank and probes")
struct RankAndProbeTests {
    @Test func rankOfALowRankRepresentation() throws {
        let x = gaussian([200, 3], seed: 1).matmul(gaussian([3, 12], seed: 2)) + 5   // the offset is centred away
        let rank = try RepresentationRank(x)
        #expect(rank.rank() == 3)
        #expect(rank.rank(threshold: 1e-2) == 3)
        #expect(rank.effectiveRank > 1 && rank.effectiveRank < 3)
    }

    @Test func probeSeparatesSeparableClasses() throws {
        let labels = (0..<90).map { $0 % 3 }
        let means = Tensor<Double>(rows: [[5, 0, 0, 0], [0, 5, 0, 0], [0, 0, 5, 0]])
        let x = means.gatherRows(labels) + gaussian([90, 4], seed: 3) * 0.5
        let probe = try LinearProbe(features: x, labels: labels, classes: 3)
        #expect(probe.accuracy(x, labels: labels) == 1)
        // More features than samples takes the dual path and still fits.
        let wide = x.matmul(gaussian([4, 200], seed: 4))
        #expect(try LinearProbe(features: wide, labels: labels, classes: 3).accuracy(wide, labels: labels) == 1)
    }
}
