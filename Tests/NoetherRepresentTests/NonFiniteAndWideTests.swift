import Testing
import NoetherTensor
@testable import NoetherRepresent

/// Issue 17: out-of-range labels and values are errors, and wide features (more features than
/// samples) are measured in the samples' Gram space with the same results.
@Suite("Wide and hostile representations")
struct NonFiniteAndWideTests {
    func random(_ rows: Int, _ columns: Int, seed: UInt64) -> Tensor<Double> {
        var generator = RandomGenerator(seed: seed)
        return Tensor<Double>.normal([rows, columns], using: &generator)
    }

    // Defect 3: a label of 2⁶³ − 1 overflowed the class count.
    @Test func hugeLabelsAreErrors() {
        let h = random(4, 3, seed: 1)
        #expect(throws: RepresentationError.self) { try NeuralCollapse(features: h, labels: [0, 1, 0, Int.max]) }
    }

    // Defect 11: values whose squares overflow give an error, not plausible numbers or -nan.
    @Test func overflowingValuesAreErrors() {
        let h = random(8, 3, seed: 2) * 1e200
        #expect(throws: RepresentationError.self) { try NeuralCollapse(features: h, labels: [0, 1, 0, 1, 0, 1, 0, 1]) }
        #expect(throws: RepresentationError.self) { try Alignment.all(h, random(8, 3, seed: 3), k: 2) }
    }

    // Defect 13: NC1 from the C × C class space equals Tr(Σ_W Σ_B⁺)/C computed with p × p matrices.
    @Test func nc1InClassSpaceMatchesTheFeatureSpaceDefinition() throws {
        let (n, p) = (12, 40)
        let h = random(n, p, seed: 4)
        let labels = (0..<n).map { $0 % 3 }
        let collapse = try NeuralCollapse(features: h, labels: labels)
        // Direct: class means, residuals, scatters and the pseudo-inverse.
        let means = Tensor<Double>(shape: [3, p], scalars: (0..<3).flatMap { c in
            h.gatherRows((0..<n).filter { labels[$0] == c }).mean(alongAxis: 0).scalars
        })
        let centred = means - h.mean(alongAxis: 0, keepingDimension: true)
        let residuals = h - means.gatherRows(labels)
        let within = residuals.gramMatrix(ofRows: false) * (1 / Double(n))
        let between = centred.gramMatrix(ofRows: false) * (1.0 / 3)
        let direct = within.dot(try between.pseudoInverse(relativeCutoff: 1e-10)) / 3
        #expect(abs(collapse.nc1 - direct) <= 1e-8 * max(1, abs(direct)), "\(collapse.nc1) vs \(direct)")
    }

    // Defect 13: alignment of wide representations through N × N kernels.
    @Test func wideAlignmentMatchesTheFeatureSpaceProducts() throws {
        let (a, b) = (random(10, 60, seed: 5), random(10, 80, seed: 6))
        let direct = a.matmul(b, transposeSelf: true).squaredNorm()
            / (a.gramMatrix(ofRows: false).norm() * b.gramMatrix(ofRows: false).norm())
        let kernel = try Alignment.kernelAlignment(a, b)
        #expect(abs(kernel - direct) <= 1e-10, "\(kernel) vs \(direct)")
        #expect(abs(Alignment.crossSquaredNorm(a, b) - a.matmul(b, transposeSelf: true).squaredNorm()) <= 1e-8 * Alignment.crossSquaredNorm(a, b))
    }
}
