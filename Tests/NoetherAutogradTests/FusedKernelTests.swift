import Testing
import NoetherTensor
@testable import NoetherAutograd

/// The fused kernels of the attention and normalisation ops against their reference paths:
/// kept derivatives are bit for bit the recomputed ones, the fused attention softmax matches the
/// plain softmax, and the threaded normalisations give the same bits on any thread count.
@Suite("Fused activation, softmax and normalisation kernels")
struct FusedKernelTests {
    /// y and gx of a tape activation (derivative kept in the forward pass) against
    /// `Kernels.apply` and `Kernels.applyDerivative` (derivative recomputed): the same bits.
    func keptDerivativeEqualsRecomputed<T: TensorScalar>(_ function: UnaryFunction, _: T.Type) -> Bool {
        var generator = RandomGenerator(seed: 31)
        let x = Tensor<T>.normal([37, 29], standardDeviation: 3, using: &generator)
        let upstream = Tensor<T>.normal([37, 29], using: &generator)
        let tape = Tape<T>()
        let input = tape.parameter(x)
        let y = input.map(function)
        tape.backward(from: y, seed: upstream)
        let reference = x.map(function)
        let gradient = Tensor<T>.zeros(x.shape)
        Kernels.applyDerivative(function, x: x.unsafeBaseAddress, y: reference.unsafeBaseAddress, gradientOutput: upstream.unsafeBaseAddress,
                                gradientInput: gradient.unsafeBaseAddress, count: x.count, accumulate: false)
        return y.value.bitwiseEquals(reference) && tape.gradient(of: input)!.bitwiseEquals(gradient)
    }

    @Test(arguments: [UnaryFunction.gelu, .silu])
    func keptDerivativesAreTheRecomputedOnes(_ function: UnaryFunction) {
        #expect(keptDerivativeEqualsRecomputed(function, Float.self))
        #expect(keptDerivativeEqualsRecomputed(function, Double.self))
    }

    /// Float SiLU's branch-free sigmoid stays within a few ulp of libm's, saturates to exactly
    /// 0 and 1, and passes NaN through.
    @Test func floatSigmoidIsAccurateAndSaturates() {
        for x in stride(from: Float(-30), through: 30, by: 0.37) {
            let exact = 1 / (1 + Double.exp(-Double(x)))
            #expect(abs(Double(Float.activationSigmoid(x)) - exact) <= 4 * Double(Float(exact).ulp), "\(x)")
        }
        #expect(Float.activationSigmoid(-200) == 0 && Float.activationSigmoid(200) == 1)
        #expect(Float.activationSigmoid(.nan).isNaN)
    }

    /// A fused, masked attention row equals softmax(scale · row) with −∞ at the masked keys.
    @Test(arguments: [1, 7, 8, 21, 64])
    func maskedSoftmaxRowMatchesTheSoftmax(columns: Int) {
        var generator = RandomGenerator(seed: UInt64(columns))
        let scores = Tensor<Double>.normal([columns], standardDeviation: 4, using: &generator)
        for visible in Set([1, columns / 2 + 1, columns]) {
            let reference = Tensor<Double>((0..<columns).map { $0 < visible ? scores.scalars[$0] * 0.3 : -.infinity }).softmax()
            let fused = Tensor<Double>(scores.scalars)
            Kernels.maskedSoftmaxRow(fused.unsafeBaseAddress, visible: visible, columns: columns, scale: 0.3)
            #expect(fused.isApproximatelyEqual(to: reference, absoluteTolerance: 1e-15), "\(visible) of \(columns)")
            #expect(fused.scalars[visible...].allSatisfy { $0 == 0 })
            let single = Tensor<Float>(scores.scalars.map { Float($0) })
            Kernels.maskedSoftmaxRow(single.unsafeBaseAddress, visible: visible, columns: columns, scale: 0.3)
            #expect(zip(single.scalars, reference.scalars).allSatisfy { abs(Double($0) - $1) < 1e-6 })
        }
    }

    /// The fused row backward equals the softmax's derivative times the scale.
    @Test func scaledSoftmaxBackwardRowMatchesTheSoftmaxDerivative() {
        var generator = RandomGenerator(seed: 5)
        let p = Tensor<Double>.normal([3, 19], using: &generator).softmax()
        let upstream = Tensor<Double>.normal([3, 19], using: &generator)
        let reference = Tensor<Double>.zeros([3, 19])
        Kernels.softmaxBackward(output: p.unsafeBaseAddress, gradientOutput: upstream.unsafeBaseAddress, rows: 3, columns: 19,
                                gradientInput: reference.unsafeBaseAddress, logarithm: false, accumulate: false)
        let fused = Tensor<Double>(shape: [3, 19], scalars: upstream.scalars)
        for row in 0..<3 {
            Kernels.scaledSoftmaxBackwardRow(probabilities: p.unsafeBaseAddress + row * 19, fused.unsafeBaseAddress + row * 19, columns: 19, scale: 0.25)
        }
        #expect(fused.isApproximatelyEqual(to: reference * 0.25, absoluteTolerance: 1e-15))
    }

    @Test func laneReductionsMatchPlainOnes() {
        var generator = RandomGenerator(seed: 9)
        let x = Tensor<Double>.normal([45], using: &generator)
        for count in [0, 1, 7, 8, 9, 16, 45] {
            let values = Array(x.scalars[..<count])
            #expect(abs(Kernels.laneSum(count) { values[$0] } - values.reduce(0, +)) < 1e-13)
            #expect(Kernels.laneMaximum(x.unsafeBaseAddress, count: count) == (values.max() ?? -.infinity))
        }
    }

    /// Normalisation over rows long enough for the eight-lane sums (and their tail).
    @Test func normalisationGradientsMatchCentralDifferences() {
        let layer = checkGradients(of: randomInputs([[3, 21], [21], [21]], seed: 4)) { _, v in v[0].layerNorm(gamma: v[1], beta: v[2]) }
        #expect(layer.maxError < tolerance, "layer norm: \(layer)")
        let plainLayer = checkGradients(of: randomInputs([[2, 17]], seed: 5)) { _, v in v[0].layerNorm(gamma: nil, beta: nil) }
        #expect(plainLayer.maxError < tolerance, "layer norm without affine: \(plainLayer)")
        let rms = checkGradients(of: randomInputs([[3, 21], [21]], seed: 6)) { _, v in v[0].rmsNorm(gain: v[1], epsilon: 1e-3) }
        #expect(rms.maxError < tolerance, "RMS norm: \(rms)")
        let plainRMS = checkGradients(of: randomInputs([[2, 17]], seed: 7)) { _, v in v[0].rmsNorm(gain: nil, epsilon: 1e-3) }
        #expect(plainRMS.maxError < tolerance, "RMS norm without gain: \(plainRMS)")
    }

    /// Layer and RMS normalisation, values and every gradient, large enough to be split over
    /// the cores (rows for values and input gradients, columns for γ/β sums): the same bits on
    /// 1, 2 and 3 threads.
    @Test func threadedNormalisationsDoNotDependOnThreads() {
        var generator = RandomGenerator(seed: 12)
        let x = Tensor<Float>.normal([301, 130], using: &generator)
        let (gamma, beta) = (Tensor<Float>.normal([130], using: &generator), Tensor<Float>.normal([130], using: &generator))
        let upstream = Tensor<Float>.normal([301, 130], using: &generator)
        func run(parts: Int) -> [Tensor<Float>] {
            Parallel.$partsOverride.withValue(parts) {
                let tape = Tape<Float>()
                let (input, g, b) = (tape.parameter(x), tape.parameter(gamma), tape.parameter(beta))
                let layer = input.layerNorm(gamma: g, beta: b)
                let rms = input.rmsNorm(gain: g)
                tape.backward(from: ((layer + rms) * tape.constant(upstream)).sum())
                return [layer.value, rms.value, tape.gradient(of: input)!, tape.gradient(of: g)!, tape.gradient(of: b)!]
            }
        }
        let one = run(parts: 1)
        for parts in [2, 3] {
            #expect(zip(one, run(parts: parts)).allSatisfy { $0.bitwiseEquals($1) }, "\(parts) threads")
        }
    }
}
