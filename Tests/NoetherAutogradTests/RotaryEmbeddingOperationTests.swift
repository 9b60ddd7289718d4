import Foundation
import Testing
import NoetherTensor
@testable import NoetherAutograd

@Suite("Rotary position embedding (half-split pairs)")
struct RotaryEmbeddingOperationTests {
    @Test func gradientMatchesCentralDifferences() {
        let result = checkGradients(of: randomInputs([[2, 2, 3, 4]])) { _, v in v[0].rotaryEmbedding() }
        #expect(result.maxError < tolerance, "\(result)")
        let lowBase = checkGradients(of: randomInputs([[5, 6]], seed: 2)) { _, v in v[0].rotaryEmbedding(base: 3) }
        #expect(lowBase.maxError < tolerance, "\(lowBase)")
    }

    @Test func matchesHuggingFacesRotateHalfFormula() {
        // Dh = 4: θ₀ = 1, θ₁ = 10000^(−1/2) = 0.01; y = x·cos + rotate_half(x)·sin with
        // rotate_half(x) = (−x₂, −x₃, x₀, x₁) and cos, sin repeated over both halves.
        let x: [Double] = [0.5, -1, 2, 3]
        let tape = Tape<Double>()
        let y = tape.constant(Tensor(shape: [2, 4], scalars: x + x)).rotaryEmbedding().value
        #expect(Array(y.scalars.prefix(4)) == x)
        let position = 1.0
        let angles = [position * 1, position * 0.01, position * 1, position * 0.01]
        let rotated = [-x[2], -x[3], x[0], x[1]]
        for i in 0..<4 {
            let expected = x[i] * cos(angles[i]) + rotated[i] * sin(angles[i])
            #expect(abs(y[1, i] - expected) < 1e-12)
        }
    }

    @Test func scoresDependOnlyOnTheRelativePosition() {
        // The same query and key at every position: ⟨R_m q, R_n k⟩ is a function of m − n.
        var generator = RandomGenerator(seed: 3)
        let (q, k) = (Tensor<Double>.normal([1, 8], using: &generator), Tensor<Double>.normal([1, 8], using: &generator))
        let repeated = { (t: Tensor<Double>) in Tensor<Double>(shape: [6, 8], scalars: Array((0..<6).map { _ in t.scalars }.joined())) }
        let tape = Tape<Double>()
        let rq = tape.constant(repeated(q)).rotaryEmbedding(base: 100).value
        let rk = tape.constant(repeated(k)).rotaryEmbedding(base: 100).value
        let scores = rq.matmul(rk, transposeOther: true)
        for (m, n) in [(1, 0), (3, 1), (4, 2), (0, 4)] {
            #expect(abs(scores[m, n] - scores[m + 1, n + 1]) < 1e-12)
        }
        #expect(abs(scores[1, 0] - scores[0, 1]) > 1e-6, "a relative offset and its opposite differ")
        // A rotation keeps every row's norm.
        #expect(abs(rq.squaredNorm() - 6 * q.squaredNorm()) < 1e-10)
    }

    @Test func headsSideBySideRotateLikeHeadMajorRows() {
        // [N, S, H·Dh] with H = 3 equals permuting to [N, H, S, Dh], rotating and permuting back.
        let x = randomInputs([[2, 5, 3 * 4]], seed: 12)[0]
        let tape = Tape<Double>()
        let token = tape.constant(x).rotaryEmbedding(base: 50, heads: 3).value
        let head = tape.constant(x).reshaped([2, 5, 3, 4]).permuted([0, 2, 1, 3]).rotaryEmbedding(base: 50)
            .permuted([0, 2, 1, 3]).reshaped([2, 5, 12]).value
        #expect(token.scalars == head.scalars)
        let result = checkGradients(of: [x]) { _, v in v[0].rotaryEmbedding(base: 50, heads: 3) }
        #expect(result.maxError < tolerance, "\(result)")
    }
}

