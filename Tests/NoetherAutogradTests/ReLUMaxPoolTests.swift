import Testing
import NoetherTensor
@testable import NoetherAutograd

/// ReLU then 2×2 max pooling as one operation gives the bits of the two operations apart.
@Suite("Fused ReLU and max pooling")
struct ReLUMaxPoolTests {
    /// Values, the input gradient and the argmax-carried ReLU derivative of both paths, for the
    /// loss sum(pooled ⊙ probe).
    func bothPaths<T: TensorScalar>(_ x: Tensor<T>, probe: Tensor<T>, accumulate: Bool = false) -> (fused: [Tensor<T>], apart: [Tensor<T>]) {
        func run(fused: Bool) -> [Tensor<T>] {
            let tape = Tape<T>()
            let input = tape.parameter(x)
            let y = fused ? input.reluMaxPool2x2() : input.relu().maxPool2d(window: 2)
            // A second use of the input makes the fused backward pass accumulate.
            let loss = accumulate ? (y * tape.constant(probe)).sum() + input.squared().sum() : (y * tape.constant(probe)).sum()
            tape.backward(from: loss)
            return [y.value, tape.gradient(of: input)!]
        }
        return (run(fused: true), run(fused: false))
    }

    @Test(arguments: [(8, 8), (7, 9), (2, 3), (5, 2)])
    func equalsReLUThenPoolingBitForBit(height: Int, width: Int) {
        var generator = RandomGenerator(seed: 31)
        var scalars = Tensor<Float>.normal([3, 2, height, width], using: &generator).scalars
        // Ties, zeros of both signs, NaN and infinities, where the two paths could part.
        let count = scalars.count
        for (i, v) in [Float.nan, 0, -0.0, 0, .infinity, -.infinity, 1, 1, 1, 1].enumerated() where i * 3 < count { scalars[i * 3] = v }
        for i in stride(from: 1, to: count, by: 7) { scalars[i] = scalars[i - 1] }
        for i in 0..<Swift.min(4, count) { scalars[count - 1 - i] = -1 }
        let x = Tensor<Float>(shape: [3, 2, height, width], scalars: scalars)
        let probe = Tensor<Float>.normal([3, 2, height / 2, width / 2], using: &generator)
        for accumulate in [false, true] {
            let (fused, apart) = bothPaths(x, probe: probe, accumulate: accumulate)
            #expect(fused[0].scalars.map(\.bitPattern) == apart[0].scalars.map(\.bitPattern), "values, accumulate \(accumulate)")
            #expect(fused[1].scalars.map(\.bitPattern) == apart[1].scalars.map(\.bitPattern), "gradients, accumulate \(accumulate)")
        }
        // Double takes the comparison path, Float the bit-pattern keys: both agree with the definition.
        let (fusedDouble, apartDouble) = bothPaths(Tensor<Double>(shape: x.shape, scalars: x.scalars.map(Double.init)),
                                                   probe: Tensor<Double>(shape: probe.shape, scalars: probe.scalars.map(Double.init)))
        #expect(fusedDouble[0].scalars.map(\.bitPattern) == apartDouble[0].scalars.map(\.bitPattern))
        #expect(fusedDouble[1].scalars.map(\.bitPattern) == apartDouble[1].scalars.map(\.bitPattern))
    }

    @Test func agreesWithFiniteDifferences() {
        var generator = RandomGenerator(seed: 32)
        let x = Tensor<Double>.normal([2, 3, 6, 5], using: &generator)
        let probe = Tensor<Double>.normal([2, 3, 3, 2], using: &generator)
        let result = checkGradients(of: [x]) { tape, v in (v[0].reluMaxPool2x2() * tape.constant(probe)).sum() }
        #expect(result.maxError < 1e-6, "\(result)")
    }

    @Test func doesNotDependOnThreads() {
        var generator = RandomGenerator(seed: 33)
        let x = Tensor<Float>.normal([9, 16, 28, 28], using: &generator)
        let probe = Tensor<Float>.normal([9, 16, 14, 14], using: &generator)
        let one = Parallel.$partsOverride.withValue(1) { bothPaths(x, probe: probe).fused }
        for parts in [2, 3] {
            let many = Parallel.$partsOverride.withValue(parts) { bothPaths(x, probe: probe).fused }
            #expect(many[0].scalars.map(\.bitPattern) == one[0].scalars.map(\.bitPattern), "\(parts) threads")
            #expect(many[1].scalars.map(\.bitPattern) == one[1].scalars.map(\.bitPattern), "\(parts) threads")
        }
    }
}
