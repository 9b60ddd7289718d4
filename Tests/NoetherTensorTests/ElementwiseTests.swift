import Testing
@testable import NoetherTensor

@Suite("Element-wise operations and broadcasting")
struct ElementwiseTests {
    @Test func broadcastShapesFollowNumpyRules() {
        #expect(Shape.broadcast([3, 1, 5], [4, 5]) == [3, 4, 5])
        #expect(Shape.broadcast([2, 3], [3]) == [2, 3])
        #expect(Shape.broadcast([], [2, 2]) == [2, 2])
        #expect(Shape.broadcast([2, 3], [2]) == nil)
    }

    @Test func addingARowBroadcastsOverRows() {
        let a = Tensor<Float>(rows: [[1, 2, 3], [4, 5, 6]])
        let b = Tensor<Float>([10, 20, 30])
        #expect((a + b).scalars == [11, 22, 33, 14, 25, 36])
    }

    @Test func columnAndRowBroadcastTogether() {
        let column = Tensor<Double>(shape: [2, 1], scalars: [1, 2])
        let row = Tensor<Double>(shape: [1, 3], scalars: [10, 20, 30])
        let product = column * row
        #expect(product.shape == [2, 3])
        #expect(product.scalars == [10, 20, 30, 20, 40, 60])
        #expect((row - column).scalars == [9, 19, 29, 8, 18, 28])
    }

    @Test func activationsHaveKnownValues() {
        let x = Tensor<Double>([-2, -0.5, 0, 1.5])
        #expect(x.map(.relu).scalars == [0, 0, 0, 1.5])
        #expect(x.map(.leakyRelu(slope: 0.1)).scalars == [-0.2, -0.05, 0, 1.5])
        let gelu = x.map(.gelu).scalars
        // GELU(x) = x Φ(x); Φ(1.5) = 0.9331928, Φ(-2) = 0.0227501
        #expect(abs(gelu[3] - 1.5 * 0.9331927987311419) < 1e-12)
        #expect(abs(gelu[0] - -2 * 0.022750131948179195) < 1e-12)
        #expect(abs(x.map(.tanh).scalars[3] - 0.9051482536448664) < 1e-12)
        #expect(x.map(.sin).scalars[2] == 0)
        #expect(x.map(.identity).scalars == x.scalars)
    }

    @Test func sigmoidIsStableForLargeInputs() {
        let values = Tensor<Float>([-1000, 0, 1000]).map(.sigmoid).scalars
        #expect(values == [0, 0.5, 1])
    }

    @Test func copyOnWriteKeepsValueSemantics() {
        let a = Tensor<Float>([1, 2, 3])
        var b = a
        b[0] = 9
        #expect(a.scalars == [1, 2, 3])
        #expect(b.scalars == [9, 2, 3])
    }

    @Test func reductionsAlongAxes() {
        let a = Tensor<Double>(shape: [2, 3, 2], scalars: (0..<12).map(Double.init))
        #expect(a.sum() == 66)
        #expect(a.sum(alongAxis: 1).scalars == [6, 9, 24, 27])
        #expect(a.sum(alongAxis: 0, keepingDimension: true).shape == [1, 3, 2])
        #expect(a.mean(alongAxis: -1).scalars == [0.5, 2.5, 4.5, 6.5, 8.5, 10.5])
        #expect(a.max(alongAxis: 1).scalars == [4, 5, 10, 11])
        #expect(Tensor<Float>(rows: [[1, 5, 5], [7, 0, 2]]).argmaxAlongLastAxis() == [1, 0])
    }

    @Test func convertingPrecisionPreservesValues() {
        let a = Tensor<Double>([0.5, -1.25, 3])
        #expect(Tensor<Float>(a).scalars == [0.5, -1.25, 3])
    }
}

@Suite("Vectorisable Float32 erf and exp")
struct FastFloatMathTests {
    /// 0 and ± every 4099th Float32 from 10⁻³⁰ to `high` (about 2·10⁵ values, every exponent).
    func samples(upTo high: Float) -> [Float] {
        var values: [Float] = [0]
        var x: Float = 1e-30
        while x <= high {
            values += [x, -x]
            x = Float(bitPattern: x.bitPattern &+ 4099)
        }
        return values
    }

    @Test func erfIsWithinItsStatedErrorEverywhere() {
        var worst = 0.0
        for x in samples(upTo: 6) { worst = max(worst, abs(Double(FastFloatMath.erf(x)) - Double.erf(Double(x)))) }
        #expect(worst <= 4e-7)
        #expect(worst > 0, "an approximation, not libm")
        // Odd, exact at 0 and saturating.
        #expect(FastFloatMath.erf(0) == 0 && FastFloatMath.erf(-0.3) == -FastFloatMath.erf(0.3))
        #expect(FastFloatMath.erf(40) == 1 && FastFloatMath.erf(-.infinity) == -1)
        #expect(samples(upTo: 6).allSatisfy { abs(FastFloatMath.erf($0)) <= 1 })
        #expect(FastFloatMath.erf(.nan).isNaN)
    }

    @Test func expIsWithinTwoUlpOnItsRange() {
        var worst = 0.0
        for x in samples(upTo: 87) {
            let exact = Double.exp(Double(x))
            worst = max(worst, abs(Double(FastFloatMath.exp(x)) - exact) / Double(Float(exact).ulp))
        }
        #expect(worst <= 2)
        #expect(FastFloatMath.exp(0) == 1)
        #expect(FastFloatMath.exp(-1000) == 0 && FastFloatMath.exp(1000) == .infinity)
        #expect(FastFloatMath.exp(.nan).isNaN)
    }

    @Test func floatGELUAndItsDerivativeAgreeWithDouble() {
        let xs = Tensor<Float>(shape: [4001], scalars: (0...4000).map { Float($0 - 2000) / 250 })
        let single = xs.map(.gelu), double = Tensor<Double>(xs).map(.gelu)
        #expect(Tensor<Double>(single).isApproximatelyEqual(to: double, absoluteTolerance: 2e-6))
        let ones = Tensor<Float>.ones([4001]), gradient = Tensor<Float>.zeros([4001])
        Kernels.applyDerivative(.gelu, x: xs.unsafeBaseAddress, y: single.unsafeBaseAddress, gradientOutput: ones.unsafeBaseAddress,
                                gradientInput: gradient.storage.base, count: 4001, accumulate: false)
        withExtendedLifetime((single, ones)) {}
        let expected = Tensor<Double>(xs).scalars.map { x in
            (1 + Double.erf(x / 2.0.squareRoot())) / 2 + x * Double.exp(-x * x / 2) / (2 * Double.pi).squareRoot()
        }
        #expect(Tensor<Double>(gradient).isApproximatelyEqual(to: Tensor(expected), absoluteTolerance: 2e-6))
        // Far out the derivative is exactly 0 (left) or 1 (right), as in exact arithmetic.
        let far = Tensor<Float>([-1e38, -50, 50, 1e38]), farOutput = far.map(.gelu)
        let farOnes = Tensor<Float>.ones([4]), farGradient = Tensor<Float>.zeros([4])
        Kernels.applyDerivative(.gelu, x: far.unsafeBaseAddress, y: farOutput.unsafeBaseAddress, gradientOutput: farOnes.unsafeBaseAddress,
                                gradientInput: farGradient.storage.base, count: 4, accumulate: false)
        withExtendedLifetime((far, farOutput, farOnes)) {}
        #expect(farGradient.scalars == [0, 0, 1, 1])
    }
}
