import Testing
import NoetherTensor
@testable import NoetherAutograd

@Suite("The layer operations on a recycled tape")
struct LayerOperationTapeTests {
    /// A small pre-norm decoder block with every new operation: embedding, RMSNorm, RoPE,
    /// grouped-query causal attention, SwiGLU, dropout, batch norm and next-token loss.
    func step(_ tape: Tape<Float>, _ p: [Tensor<Float>], ids: Tensor<Float>, targets: [Int32]) -> Variable<Float> {
        tape.reset()
        let v = p.map { tape.parameter($0) }
        let (n, s, d, heads, keyHeads, width) = (2, 4, 8, 4, 2, 2)
        var generator = RandomGenerator(seed: 5)
        let x = tape.constant(ids).embeddingLookup(in: v[0])
        let h = x.rmsNorm(gain: v[1])
        func split(_ y: Variable<Float>, _ count: Int) -> Variable<Float> { y.reshaped([n, s, count, width]).permuted([0, 2, 1, 3]) }
        let q = split(h.linear(weight: v[2]), heads).rotaryEmbedding()
        let k = split(h.linear(weight: v[3]), keyHeads).rotaryEmbedding()
        let attended = q.attention(key: k, value: split(h.linear(weight: v[4]), keyHeads), causal: true)
            .permuted([0, 2, 1, 3]).reshaped([n, s, d])
        let mixed = x + attended.dropout(probability: 0.1, training: true, using: &generator)
        let gated = mixed.linear(weight: v[5]).gatedActivation(up: mixed.linear(weight: v[6]), .swiglu)
        let normalised = gated.reshaped([n * s, 6]).batchNorm(gain: v[7], bias: v[8]).output
        return normalised.linear(weight: v[9]).crossEntropy(labels: targets)
    }

    @Test func aRepeatedStepAllocatesNoNewBuffersAndGivesTheSameGradients() {
        var generator = RandomGenerator(seed: 1)
        let shapes: [Shape] = [[5, 8], [8], [8, 8], [4, 8], [4, 8], [6, 8], [6, 8], [6], [6], [5, 6]]
        let parameters = shapes.map { Tensor<Float>.normal($0, standardDeviation: 0.5, using: &generator) }
        let ids = Tensor<Float>(shape: [2, 4], scalars: [0, 4, 2, 2, 1, 3, 0, 4])
        let targets: [Int32] = [4, 2, 2, 1, 3, 0, 4, 0]
        let tape = Tape<Float>()
        var gradients: [[Float]] = []
        for repetition in 0..<3 {
            let loss = step(tape, parameters, ids: ids, targets: targets)
            tape.backward(from: loss)
            let current = (0..<parameters.count).flatMap { tape.gradient(of: Variable(tape: tape, index: $0))?.scalars ?? [] }
            if repetition > 0 { #expect(current == gradients.last) }
            gradients.append(current)
        }
        let afterThree = tape.freshAllocations
        tape.backward(from: step(tape, parameters, ids: ids, targets: targets))
        #expect(tape.freshAllocations == afterThree)
        #expect(gradients[0].count == shapes.map(\.count).reduce(0, +), "every parameter gets a gradient")
    }
}
