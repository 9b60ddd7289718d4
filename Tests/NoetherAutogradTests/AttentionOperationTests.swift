import Testing
import NoetherTensor
@testable import NoetherAutograd

@Suite("Causal and grouped-query attention")
struct AttentionOperationTests {
    /// (query heads, key/value heads, causal): MHA, MQA and groups of two, each both ways.
    static let configurations: [(Int, Int, Bool)] = [
        (2, 2, false), (2, 2, true), (3, 1, false), (3, 1, true), (4, 2, false), (4, 2, true),
    ]

    @Test(arguments: configurations)
    func gradientsMatchCentralDifferences(heads: Int, keyHeads: Int, causal: Bool) {
        let inputs = randomInputs([[2, heads, 3, 2], [2, keyHeads, 3, 2], [2, keyHeads, 3, 3]], seed: UInt64(heads * 10 + keyHeads))
        let result = checkGradients(of: inputs) { _, v in v[0].attention(key: v[1], value: v[2], causal: causal) }
        #expect(result.maxError < tolerance, "H=\(heads) KV=\(keyHeads) causal=\(causal): \(result)")
    }

    @Test func fewerQueriesThanKeysAreTheLastPositions() {
        let inputs = randomInputs([[1, 2, 2, 3], [1, 1, 4, 3], [1, 1, 4, 2]], seed: 4)
        let result = checkGradients(of: inputs) { _, v in v[0].attention(key: v[1], value: v[2], causal: true) }
        #expect(result.maxError < tolerance, "\(result)")
    }

    @Test func sharedOperandAccumulatesEveryRole() {
        // Self-attention with Q = K = V = x: x receives three gradient contributions.
        let result = checkGradients(of: randomInputs([[2, 2, 4, 3]], seed: 6)) { _, v in v[0].attention(key: v[0], value: v[0], causal: true) }
        #expect(result.maxError < tolerance, "\(result)")
    }

    @Test func multiHeadCaseEqualsTheComposedOperations() {
        let inputs = randomInputs([[2, 3, 4, 5], [2, 3, 4, 5], [2, 3, 4, 2]], seed: 8)
        let tape = Tape<Double>()
        let (q, k, v) = (tape.constant(inputs[0]), tape.constant(inputs[1]), tape.constant(inputs[2]))
        let fused = q.attention(key: k, value: v, causal: false).value
        let composed = (q.matmul(k, transposeOther: true) * (1 / 5.0.squareRoot())).softmax().matmul(v).value
        #expect((fused - composed).map(.abs).max() < 1e-12)
    }

    @Test func groupedQueryAttentionEqualsMultiHeadWithRepeatedKeysAndValues() {
        // H = 4, KV = 2: query heads 0, 1 read KV head 0 and heads 2, 3 read KV head 1.
        let inputs = randomInputs([[1, 4, 3, 2], [1, 2, 3, 2], [1, 2, 3, 2]], seed: 9)
        let tape = Tape<Double>()
        let (q, k, v) = (tape.constant(inputs[0]), tape.constant(inputs[1]), tape.constant(inputs[2]))
        let grouped = q.attention(key: k, value: v, causal: true).value
        func repeated(_ x: Variable<Double>) -> Variable<Double> {
            let (first, second) = (x.slice(alongAxis: 1, 0..<1), x.slice(alongAxis: 1, 1..<2))
            return first.concatenated(with: first, alongAxis: 1).concatenated(with: second, alongAxis: 1).concatenated(with: second, alongAxis: 1)
        }
        let full = q.attention(key: repeated(k), value: repeated(v), causal: true).value
        #expect((grouped - full).map(.abs).max() < 1e-12)
    }

    @Test func causalQueriesIgnoreLaterPositions() {
        let inputs = randomInputs([[1, 1, 4, 2], [1, 1, 4, 2], [1, 1, 4, 3]], seed: 10)
        let tape = Tape<Double>()
        let y = tape.constant(inputs[0]).attention(key: tape.constant(inputs[1]), value: tape.constant(inputs[2]), causal: true).value
        // The first query sees only the first value.
        for j in 0..<3 { #expect(abs(y[0, 0, 0, j] - inputs[2][0, 0, 0, j]) < 1e-12) }
        // Changing the last key and value leaves every earlier output unchanged.
        var (k, v) = (inputs[1], inputs[2])
        k.withUnsafeMutableBufferPointer { $0[6] += 5; $0[7] -= 3 }
        v.withUnsafeMutableBufferPointer { $0[9] += 1 }
        let changed = tape.constant(inputs[0]).attention(key: tape.constant(k), value: tape.constant(v), causal: true).value
        #expect((y.slice(alongAxis: 2, 0..<3) - changed.slice(alongAxis: 2, 0..<3)).map(.abs).max() == 0)
        #expect((y.slice(alongAxis: 2, 3..<4) - changed.slice(alongAxis: 2, 3..<4)).map(.abs).max() > 0)
    }

    @Test func zeroQueriesAverageTheVisibleValues() {
        let values = Tensor<Double>(shape: [1, 1, 3, 1], scalars: [3, 6, 12])
        let tape = Tape<Double>()
        let (q, k, v) = (tape.constant(.zeros([1, 1, 3, 2])), tape.constant(randomInputs([[1, 1, 3, 2]])[0]), tape.constant(values))
        #expect(q.attention(key: k, value: v, causal: false).value.scalars.allSatisfy { abs($0 - 7) < 1e-12 })
        let prefixMeans = q.attention(key: k, value: v, causal: true).value.scalars
        #expect(zip(prefixMeans, [3.0, 4.5, 7]).allSatisfy { abs($0 - $1) < 1e-12 })
    }

    // Token-major operands ([N, S, H·Dh], as projections produce them) and head-major ones
    // give the same bits: the kernel reads each head in place instead of permuting.

    /// `[N, S, H·D]` → `[N, H, S, D]`.
    static func headMajor(_ x: Variable<Double>, heads: Int) -> Variable<Double> {
        x.reshaped([x.shape[0], x.shape[1], heads, x.shape[2] / heads]).permuted([0, 2, 1, 3])
    }

    @Test(arguments: configurations)
    func tokenMajorGradientsMatchCentralDifferences(heads: Int, keyHeads: Int, causal: Bool) {
        let inputs = randomInputs([[2, 3, heads * 2], [2, 3, keyHeads * 2], [2, 3, keyHeads * 3]], seed: UInt64(heads * 10 + keyHeads + 100))
        let result = checkGradients(of: inputs) { _, v in v[0].attention(key: v[1], value: v[2], heads: heads, keyHeads: keyHeads, causal: causal) }
        #expect(result.maxError < tolerance, "H=\(heads) KV=\(keyHeads) causal=\(causal): \(result)")
    }

    @Test(arguments: configurations)
    func tokenMajorEqualsHeadMajorBitForBit(heads: Int, keyHeads: Int, causal: Bool) {
        let inputs = randomInputs([[2, 5, heads * 4], [2, 5, keyHeads * 4], [2, 5, keyHeads * 3]], seed: UInt64(heads * 10 + keyHeads + 200))
        let upstream = randomInputs([[2, 5, heads * 3]], seed: 7)[0]
        func run(tokenMajor: Bool) -> [Tensor<Double>] {
            let tape = Tape<Double>()
            let (q, k, v) = (tape.parameter(inputs[0]), tape.parameter(inputs[1]), tape.parameter(inputs[2]))
            let y = tokenMajor
                ? q.attention(key: k, value: v, heads: heads, keyHeads: keyHeads, causal: causal)
                : Self.headMajor(q, heads: heads).attention(key: Self.headMajor(k, heads: keyHeads), value: Self.headMajor(v, heads: keyHeads), causal: causal)
                    .permuted([0, 2, 1, 3]).reshaped([2, 5, heads * 3])
            tape.backward(from: y, seed: upstream)
            return [y.value] + [q, k, v].compactMap { tape.gradient(of: $0) }
        }
        let (fused, permuted) = (run(tokenMajor: true), run(tokenMajor: false))
        #expect(fused.count == 4 && permuted.count == 4)
        for (a, b) in zip(fused, permuted) { #expect(a.scalars == b.scalars) }
    }

    @Test func tokenMajorResultDoesNotDependOnTheThreadCount() {
        // Large enough (heads · S · T · (Dh + Dv) ≥ 2^16) for the heads to be split over threads.
        let inputs = randomInputs([[2, 24, 4 * 16], [2, 24, 2 * 16], [2, 24, 2 * 16]], seed: 11)
        func run(parts: Int) -> [Tensor<Double>] {
            Parallel.$partsOverride.withValue(parts) {
                let tape = Tape<Double>()
                let (q, k, v) = (tape.parameter(inputs[0]), tape.parameter(inputs[1]), tape.parameter(inputs[2]))
                let y = q.attention(key: k, value: v, heads: 4, keyHeads: 2, causal: true)
                tape.backward(from: y, seed: inputs[0])
                return [y.value] + [q, k, v].compactMap { tape.gradient(of: $0) }
            }
        }
        let one = run(parts: 1)
        for parts in [2, 3] {
            for (a, b) in zip(one, run(parts: parts)) { #expect(a.scalars == b.scalars, "\(parts) threads") }
        }
    }
}

