import Foundation
import Testing
import NoetherTensor
@testable import NoetherAutograd

/// Next-token cross-entropy over `[N, S, V]` logits needs no operation of its own: reshaping to
/// `[N·S, V]` with the targets flattened row-major is the mean over all N·S positions.
@Suite("Next-token cross-entropy by reshaping")
struct SequenceCrossEntropyTests {
    @Test func reshapedCrossEntropyIsTheMeanOverAllPositions() {
        let logits = randomInputs([[2, 3, 4]])[0]
        let targets: [Int32] = [0, 3, 1, 2, 2, 0]
        let tape = Tape<Double>()
        let loss = tape.constant(logits).reshaped([6, 4]).crossEntropy(labels: targets).value.scalar
        var expected = 0.0
        for n in 0..<2 {
            for s in 0..<3 {
                let row = (0..<4).map { logits[n, s, $0] }
                let logTotal = log(row.map { exp($0) }.reduce(0, +))
                expected -= row[Int(targets[n * 3 + s])] - logTotal
            }
        }
        #expect(abs(loss - expected / 6) < 1e-12)
    }

    @Test func gradientFlowsBackThroughTheReshape() {
        let result = checkGradients(of: randomInputs([[2, 3, 5]])) { _, v in
            v[0].reshaped([6, 5]).crossEntropy(labels: [4, 0, 1, 1, 3, 2])
        }
        #expect(result.maxError < tolerance, "\(result)")
    }
}
