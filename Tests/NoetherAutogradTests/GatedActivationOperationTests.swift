import Foundation
import Testing
import NoetherTensor
@testable import NoetherAutograd

@Suite("Gated MLP activations: SwiGLU and GeGLU")
struct GatedActivationOperationTests {
    @Test(arguments: GatedActivation.allCases)
    func gradientsMatchCentralDifferences(_ kind: GatedActivation) {
        let result = checkGradients(of: randomInputs([[3, 4], [3, 4]])) { _, v in v[0].gatedActivation(up: v[1], kind) }
        #expect(result.maxError < tolerance, "\(kind): \(result)")
        let shared = checkGradients(of: randomInputs([[5]], seed: 2)) { _, v in v[0].gatedActivation(up: v[0], kind) }
        #expect(shared.maxError < tolerance, "\(kind), gate = up: \(shared)")
    }

    @Test func knownValues() {
        let tape = Tape<Double>()
        let gate = tape.constant(Tensor([0, 1, -2]))
        let up = tape.constant(Tensor([5, 2, 1]))
        let sigmoid = { (x: Double) in 1 / (1 + exp(-x)) }
        let swiglu = gate.gatedActivation(up: up, .swiglu).value.scalars
        #expect(swiglu[0] == 0)
        #expect(abs(swiglu[1] - 2 * sigmoid(1)) < 1e-15)
        #expect(abs(swiglu[2] - -2 * sigmoid(-2)) < 1e-15)
        // GELU(1) = Φ(1) = 0.841344746…
        let geglu = gate.gatedActivation(up: up, .geglu).value.scalars
        #expect(geglu[0] == 0 && abs(geglu[1] - 2 * 0.8413447460685429) < 1e-12)
    }

    @Test(arguments: GatedActivation.allCases)
    func equalsTheUnfusedComposition(_ kind: GatedActivation) {
        let inputs = randomInputs([[4, 6], [4, 6]], seed: 3)
        let tape = Tape<Double>()
        let (gate, up) = (tape.constant(inputs[0]), tape.constant(inputs[1]))
        let difference = gate.gatedActivation(up: up, kind).value - (gate.map(kind.function) * up).value
        #expect(difference.map(.abs).max() == 0)
    }
}
