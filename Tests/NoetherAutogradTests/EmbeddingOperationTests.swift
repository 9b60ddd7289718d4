import Testing
import NoetherTensor
@testable import NoetherAutograd

@Suite("Token embedding lookup")
struct EmbeddingOperationTests {
    let table = Tensor<Double>(rows: [[1, 2], [3, 4], [5, 6]])

    @Test func looksUpTheRowOfEachIdAndZeroesInvalidOnes() {
        let tape = Tape<Double>()
        let ids = tape.constant(Tensor(shape: [2, 3], scalars: [2, 0, 2, 1, -1, 3]))
        let y = ids.embeddingLookup(in: tape.parameter(table))
        #expect(y.shape == [2, 3, 2])
        #expect(y.value.scalars == [5, 6, 1, 2, 5, 6, 3, 4, 0, 0, 0, 0])
    }

    @Test func gradientScatterAddsIntoTheRowsOfRepeatedIds() {
        let tape = Tape<Double>()
        let weights = tape.parameter(table)
        let ids = tape.constant(Tensor(shape: [2, 2], scalars: [2, 0, 2, .nan]))
        let y = ids.embeddingLookup(in: weights)
        tape.backward(from: y, seed: Tensor(shape: [2, 2, 2], scalars: [1, 10, 100, 1000, 2, 20, 7, 7]))
        // Row 2 gathers positions 0 and 2, row 0 position 1; the NaN id contributes nothing.
        #expect(weights.gradient?.scalars == [100, 1000, 0, 0, 3, 30])
        #expect(ids.gradient == nil)
    }

    @Test func gradientMatchesCentralDifferences() {
        let ids = Tensor<Double>(shape: [3, 2], scalars: [1, 0, 4, 1, 1, 3])
        let result = checkGradients(of: randomInputs([[5, 3]])) { tape, v in
            tape.constant(ids).embeddingLookup(in: v[0]).squared()
        }
        #expect(result.maxError < tolerance, "\(result)")
    }

    @Test func singlePrecisionIdsRoundToTheNearestRow() {
        let tape = Tape<Float>()
        let y = tape.constant(Tensor([0.9999999, 2.0000002, 2.6])).embeddingLookup(in: tape.constant(Tensor(rows: [[1], [2], [3]])))
        #expect(y.value.scalars == [2, 3, 0])
    }
}
