import Testing
import NoetherTensor
@testable import NoetherAutograd

@Suite("Seeded inverted dropout")
struct DropoutOperationTests {
    @Test func theSeedFixesTheMask() {
        let x = Tensor<Float>.ones([64])
        func draw(_ seed: UInt64) -> [Float] {
            var generator = RandomGenerator(seed: seed)
            let tape = Tape<Float>()
            return tape.constant(x).dropout(probability: 0.5, training: true, using: &generator).value.scalars
        }
        #expect(draw(1) == draw(1))
        #expect(draw(1) != draw(2))
    }

    @Test func dropsAboutPAndScalesSurvivorsByTheInverseKeepRate() {
        var generator = RandomGenerator(seed: 3)
        let tape = Tape<Double>()
        let y = tape.constant(.ones([20_000])).dropout(probability: 0.25, training: true, using: &generator).value.scalars
        let dropped = Double(y.filter { $0 == 0 }.count) / Double(y.count)
        #expect(abs(dropped - 0.25) < 0.015)
        #expect(y.allSatisfy { $0 == 0 || $0 == 1 / 0.75 })
    }

    @Test func evaluationAndZeroProbabilityAreTheIdentity() {
        var generator = RandomGenerator(seed: 3)
        let before = generator
        let tape = Tape<Double>()
        let x = tape.parameter(randomInputs([[3, 4]])[0])
        #expect(x.dropout(probability: 0.5, training: false, using: &generator).index == x.index)
        #expect(x.dropout(probability: 0, training: true, using: &generator).index == x.index)
        #expect(generator == before, "the identity draws nothing")
        #expect(x.dropout(probability: 1, training: true, using: &generator).value.scalars.allSatisfy { $0 == 0 })
    }

    @Test func gradientIsTheMask() {
        let result = checkGradients(of: randomInputs([[4, 5]])) { _, v in
            var generator = RandomGenerator(seed: 11)
            return v[0].dropout(probability: 0.4, training: true, using: &generator).squared()
        }
        #expect(result.maxError < tolerance, "\(result)")
    }
}
