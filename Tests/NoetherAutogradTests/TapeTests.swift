import Testing
import NoetherTensor
@testable import NoetherAutograd

@Suite("Tape behaviour")
struct TapeTests {
    @Test func gradientOfAnIntermediateActivationEqualsGradientAsAnInput() {
        var generator = RandomGenerator(seed: 3)
        let x = Tensor<Double>.normal([4, 3], using: &generator)
        let w1 = Tensor<Double>.normal([5, 3], using: &generator)
        let w2 = Tensor<Double>.normal([2, 5], using: &generator)
        let tape = Tape<Double>()
        let hidden = tape.constant(x).linear(weight: tape.parameter(w1)).relu()
        let loss = hidden.linear(weight: tape.parameter(w2)).squared().sum()
        tape.backward(from: loss)
        let throughTape = tape.gradient(of: hidden)

        let second = Tape<Double>()
        let h = second.variable(hidden.value, requiresGradient: true)
        second.backward(from: h.linear(weight: second.constant(w2)).squared().sum())
        #expect(throughTape != nil)
        #expect(throughTape == second.gradient(of: h))
    }

    @Test func constantsGetNoGradient() {
        let tape = Tape<Double>()
        let x = tape.constant(Tensor([1, 2]))
        let w = tape.parameter(Tensor([3, 4]))
        tape.backward(from: (x * w).sum())
        #expect(tape.gradient(of: x) == nil)
        #expect(tape.gradient(of: w)?.scalars == [1, 2])
    }

    @Test func repeatedStepAllocatesNoNewBuffers() {
        var generator = RandomGenerator(seed: 1)
        let x = Tensor<Float>.normal([8, 6], using: &generator)
        let w = Tensor<Float>.normal([4, 6], using: &generator)
        let tape = Tape<Float>()
        func step() {
            tape.reset()
            let loss = tape.constant(x).linear(weight: tape.parameter(w)).relu().logSoftmax().crossEntropy(labels: [0, 1, 2, 3, 0, 1, 2, 3])
            tape.backward(from: loss)
        }
        step()
        let afterFirst = tape.freshAllocations
        step()
        step()
        #expect(afterFirst > 0)
        #expect(tape.freshAllocations == afterFirst)
    }

    @Test func alternatingBatchSizesReuseTheLargerBuffers() {
        // Evaluation runs the training set's and the test set's row counts on one tape: once
        // both have run, neither allocates, and the smaller pass's values are those of a fresh tape.
        var generator = RandomGenerator(seed: 3)
        let w = Tensor<Float>.normal([5, 6], using: &generator)
        let large = Tensor<Float>.normal([40, 6], using: &generator)
        let small = large.slice(alongAxis: 0, 0..<15)
        let tape = Tape<Float>()
        func forward(_ x: Tensor<Float>, on tape: Tape<Float>) -> Tensor<Float> {
            tape.reset()
            return tape.constant(x).linear(weight: tape.constant(w)).relu().value
        }
        _ = forward(large, on: tape)
        _ = forward(small, on: tape)
        let warm = tape.freshAllocations
        do {
            let onLargeBuffers = forward(small, on: tape)
            #expect(onLargeBuffers.shape == [15, 5])
            #expect(onLargeBuffers.bitwiseEquals(forward(small, on: Tape<Float>())))
        }
        _ = forward(large, on: tape)
        _ = forward(small, on: tape)
        #expect(tape.freshAllocations == warm)
    }

    @Test func resetNeverOverwritesATensorTheCallerKept() {
        let tape = Tape<Double>()
        let kept = (tape.parameter(Tensor([1, 2, 3])) * 2).value
        tape.reset()
        _ = tape.parameter(Tensor([7, 7, 7])) * 5
        #expect(kept.scalars == [2, 4, 6])
    }

    @Test func recordsTheMatrixProductsOfAStep() {
        let tape = Tape<Float>()
        tape.recordsMatrixProducts = true
        let loss = tape.constant(.ones([8, 3])).linear(weight: tape.parameter(.ones([4, 3]))).sum()
        tape.backward(from: loss)
        // Forward x·Wᵀ and the weight gradient; the constant input needs no gradient.
        #expect(tape.matrixProducts.count == 2)
        #expect(tape.matrixProducts[0].flops == 2 * 8 * 4 * 3)
    }
}

@Suite("Hessian–vector products")
struct HessianVectorProductTests {
    @Test func quadraticFormGivesTheMatrixTimesTheVector() {
        // L(θ) = ½ θᵀ A θ with symmetric A: H v = A v.
        let a = Tensor<Double>(rows: [[2, 1, 0], [1, 3, -1], [0, -1, 4]])
        func gradient(_ point: [Tensor<Double>]) -> [Tensor<Double>] {
            let tape = Tape<Double>()
            let theta = tape.parameter(point[0].reshaped([3, 1]))
            let loss = theta.matmul(tape.constant(a).matmul(theta), transposeSelf: true) * 0.5
            tape.backward(from: loss)
            return [tape.gradient(of: theta)!.reshaped([3])]
        }
        let v = Tensor<Double>([1, -2, 0.5])
        let hv = hessianVectorProduct(gradient: gradient, at: [Tensor([0.3, -1, 2])], direction: [v])
        let expected = a.matmul(v.reshaped([3, 1])).reshaped([3])
        #expect(hv[0].isApproximatelyEqual(to: expected, absoluteTolerance: 1e-8))
    }

    @Test func nonQuadraticFunctionMatchesTheAnalyticHessian() {
        // L(x, y) = x³ y + sin(y); H = [[6xy, 3x²], [3x², −sin y]].
        func gradient(_ point: [Tensor<Double>]) -> [Tensor<Double>] {
            let tape = Tape<Double>()
            let x = tape.parameter(point[0]), y = tape.parameter(point[1])
            tape.backward(from: (x * x * x * y + y.sin()).sum())
            return [tape.gradient(of: x)!, tape.gradient(of: y)!]
        }
        let (x, y) = (0.7, -1.3)
        let hv = hessianVectorProduct(gradient: gradient, at: [Tensor([x]), Tensor([y])], direction: [Tensor([1]), Tensor([2])])
        #expect(abs(hv[0].scalar - (6 * x * y + 2 * 3 * x * x)) < 1e-7)
        #expect(abs(hv[1].scalar - (3 * x * x - 2 * Double.sin(y))) < 1e-7)
    }
}
import Foundation
