import Testing
import NoetherTensor
@testable import NoetherAutograd

/// Random inputs for gradient checks.
func randomInputs(_ shapes: [Shape], seed: UInt64 = 1, positive: Bool = false) -> [Tensor<Double>] {
    var generator = RandomGenerator(seed: seed)
    return shapes.map { shape in
        let t = Tensor<Double>.normal(shape, using: &generator)
        return positive ? t.map(.abs) + 0.5 : t
    }
}

let tolerance = 1e-6

@Suite("Every operation's gradient matches central differences (Float64)")
struct GradientCheckTests {
    static let unaryFunctions: [UnaryFunction] = [
        .identity, .negate, .exp, .square, .abs, .tanh, .sigmoid, .relu, .gelu, .silu, .sin, .cos,
        .leakyRelu(slope: 0.1), .scale(-2.5), .shift(3),
    ]

    @Test(arguments: unaryFunctions)
    func unaryFunction(_ function: UnaryFunction) {
        let result = checkGradients(of: randomInputs([[3, 4]])) { _, v in v[0].map(function) }
        #expect(result.maxError < tolerance, "\(function): \(result)")
    }

    @Test(arguments: [UnaryFunction.log, .sqrt, .reciprocal, .power(1.7)])
    func unaryFunctionOnPositiveInputs(_ function: UnaryFunction) {
        let result = checkGradients(of: randomInputs([[5]], positive: true)) { _, v in v[0].map(function) }
        #expect(result.maxError < tolerance, "\(function): \(result)")
    }

    @Test(arguments: [BinaryOperation.add, .subtract, .multiply, .divide])
    func binaryOperationWithBroadcasting(_ operation: BinaryOperation) {
        for shapes: [Shape] in [[[3, 4], [3, 4]], [[3, 4], [4]], [[2, 1, 4], [3, 1]], [[1], [2, 3]]] {
            var inputs = randomInputs(shapes, seed: 2)
            if operation == .divide { inputs[1] = inputs[1].map(.abs) + 0.5 }
            let result = checkGradients(of: inputs) { tape, v in tape.binary(operation, v[0], v[1]) }
            #expect(result.maxError < tolerance, "\(operation) \(shapes): \(result)")
        }
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matrixProduct(transposeA: Bool, transposeB: Bool) {
        let a: Shape = transposeA ? [4, 3] : [3, 4]
        let b: Shape = transposeB ? [5, 4] : [4, 5]
        let result = checkGradients(of: randomInputs([a, b])) { _, v in
            v[0].matmul(v[1], transposeSelf: transposeA, transposeOther: transposeB)
        }
        #expect(result.maxError < tolerance, "\(result)")
        let batched = checkGradients(of: randomInputs([[2, 3] + a.dimensions.map { $0 }, [2, 3] + b.dimensions.map { $0 }].map { Shape($0) })) { _, v in
            v[0].matmul(v[1], transposeSelf: transposeA, transposeOther: transposeB)
        }
        #expect(batched.maxError < tolerance, "batched: \(batched)")
        let shared = checkGradients(of: randomInputs([Shape([2] + a.dimensions), b])) { _, v in
            v[0].matmul(v[1], transposeSelf: transposeA, transposeOther: transposeB)
        }
        #expect(shared.maxError < tolerance, "shared right operand: \(shared)")
    }

    @Test func linearLayerWithAndWithoutBias() {
        let withBias = checkGradients(of: randomInputs([[2, 3, 4], [5, 4], [5]])) { _, v in v[0].linear(weight: v[1], bias: v[2]) }
        #expect(withBias.maxError < tolerance, "\(withBias)")
        let without = checkGradients(of: randomInputs([[6, 4], [3, 4]])) { _, v in v[0].linear(weight: v[1]) }
        #expect(without.maxError < tolerance, "\(without)")
    }

    /// A token batch long enough that the weight gradients (of the linear layer and of a
    /// product's right operand) are cut along the shared rows into chunks added in order.
    @Test func weightGradientsOverALongBatch() {
        #expect(Kernels.sharedRowsChunkCount(m: 3, n: 2, k: 1100) > 1)
        let linear = checkGradients(of: randomInputs([[1100, 2], [3, 2], [3]], seed: 4)) { _, v in v[0].linear(weight: v[1], bias: v[2]).tanh() }
        #expect(linear.maxError < tolerance, "\(linear)")
        for transposeB in [false, true] {
            let product = checkGradients(of: randomInputs([[1100, 2], transposeB ? [3, 2] : [2, 3]], seed: 5)) { _, v in
                v[0].matmul(v[1], transposeOther: transposeB).tanh()
            }
            #expect(product.maxError < tolerance, "transposeB=\(transposeB): \(product)")
        }
        // A batched product with a shared right operand: each entry's cut product adds to the
        // gradient of the entries before it (one scratch buffer for all of them).
        for transposeB in [false, true] {
            let batched = checkGradients(of: randomInputs([[2, 1100, 2], transposeB ? [3, 2] : [2, 3]], seed: 6)) { _, v in
                v[0].matmul(v[1], transposeOther: transposeB).tanh()
            }
            #expect(batched.maxError < tolerance, "batched, transposeB=\(transposeB): \(batched)")
        }
    }

    @Test func reductions() {
        let inputs = randomInputs([[2, 3, 4]])
        for (name, f) in [
            ("sum", { (v: Variable<Double>) in v.sum() }),
            ("mean", { $0.mean() }),
            ("sum axis 1", { $0.sum(alongAxis: 1) }),
            ("sum axis -1 kept", { $0.sum(alongAxis: -1, keepingDimension: true) }),
            ("mean axis 0", { $0.mean(alongAxis: 0) }),
        ] as [(String, (Variable<Double>) -> Variable<Double>)] {
            let result = checkGradients(of: inputs) { _, v in f(v[0]) }
            #expect(result.maxError < tolerance, "\(name): \(result)")
        }
    }

    @Test func layoutOperations() {
        let inputs = randomInputs([[2, 3, 4]])
        for (name, f) in [
            ("reshape", { (v: Variable<Double>) in v.reshaped([6, 4]) * v.reshaped([6, 4]) }),
            ("permute", { $0.permuted([2, 0, 1]) }),
            ("slice", { $0.slice(alongAxis: 1, 1..<3) }),
            ("concatenate", { $0.concatenated(with: $0.slice(alongAxis: 2, 0..<2), alongAxis: 2) }),
        ] as [(String, (Variable<Double>) -> Variable<Double>)] {
            let result = checkGradients(of: inputs) { _, v in f(v[0]) }
            #expect(result.maxError < tolerance, "\(name): \(result)")
        }
        let transpose = checkGradients(of: randomInputs([[3, 5]])) { _, v in v[0].transposed() }
        #expect(transpose.maxError < tolerance)
    }

    @Test func softmaxAndLogSoftmax() {
        let inputs = randomInputs([[3, 5]])
        let soft = checkGradients(of: inputs) { _, v in v[0].softmax() }
        let log = checkGradients(of: inputs) { _, v in v[0].logSoftmax() }
        #expect(soft.maxError < tolerance, "\(soft)")
        #expect(log.maxError < tolerance, "\(log)")
    }

    @Test func layerNormWithAndWithoutAffine() {
        let affine = checkGradients(of: randomInputs([[2, 3, 6], [6], [6]])) { _, v in
            v[0].layerNorm(gamma: v[1], beta: v[2])
        }
        #expect(affine.maxError < tolerance, "\(affine)")
        let plain = checkGradients(of: randomInputs([[4, 5]])) { _, v in v[0].layerNorm(gamma: nil, beta: nil) }
        #expect(plain.maxError < tolerance, "\(plain)")
    }

    @Test(arguments: [(1, 0), (1, 1), (2, 1)])
    func convolution(stride: Int, padding: Int) {
        let result = checkGradients(of: randomInputs([[2, 2, 5, 5], [3, 2, 3, 3], [3]])) { _, v in
            v[0].conv2d(weight: v[1], bias: v[2], stride: stride, padding: padding)
        }
        #expect(result.maxError < tolerance, "\(result)")
        let noBias = checkGradients(of: randomInputs([[1, 1, 4, 4], [2, 1, 2, 2]])) { _, v in v[0].conv2d(weight: v[1]) }
        #expect(noBias.maxError < tolerance, "\(noBias)")
    }

    @Test func convolutionWithAKernelWiderThanTheMap() {
        let result = checkGradients(of: randomInputs([[2, 1, 2, 2], [2, 1, 5, 5], [2]])) { _, v in
            v[0].conv2d(weight: v[1], bias: v[2], padding: 2)
        }
        #expect(result.maxError < tolerance, "\(result)")
    }

    @Test func pooling() {
        let inputs = randomInputs([[2, 2, 4, 6]])
        let maxPool = checkGradients(of: inputs) { _, v in v[0].maxPool2d(window: 2) }
        let avgPool = checkGradients(of: inputs) { _, v in v[0].avgPool2d(window: 2, stride: 1) }
        #expect(maxPool.maxError < tolerance, "\(maxPool)")
        #expect(avgPool.maxError < tolerance, "\(avgPool)")
    }

    @Test func losses() {
        let mse = checkGradients(of: randomInputs([[4, 3], [4, 3]])) { _, v in v[0].meanSquaredError(to: v[1]) }
        #expect(mse.maxError < tolerance, "\(mse)")
        let crossEntropy = checkGradients(of: randomInputs([[5, 4]])) { _, v in v[0].crossEntropy(labels: [0, 3, 1, 1, 2]) }
        #expect(crossEntropy.maxError < tolerance, "\(crossEntropy)")
    }

    @Test func composedNetworkUsingAValueTwice() {
        // Two-layer tanh network with a skip connection: x is used by two branches.
        let result = checkGradients(of: randomInputs([[4, 3], [5, 3], [5], [3, 5]])) { _, v in
            let hidden = v[0].linear(weight: v[1], bias: v[2]).tanh()
            return (hidden.linear(weight: v[3]) + v[0]).squared().mean()
        }
        #expect(result.maxError < tolerance, "\(result)")
    }
}

@Suite("Gradient checks in Float32")
struct SinglePrecisionGradientTests {
    @Test func layersAgreeWithFiniteDifferencesToSinglePrecision() {
        var generator = RandomGenerator(seed: 4)
        let x = Tensor<Float>.normal([3, 2, 5, 5], using: &generator)
        let w = Tensor<Float>.normal([2, 2, 3, 3], using: &generator)
        let result = checkGradients(of: [x, w], step: 1e-2) { _, v in
            v[0].conv2d(weight: v[1], padding: 1).relu().maxPool2d(window: 2).reshaped([3, 8]).logSoftmax()
        }
        #expect(result.maxError < 2e-2, "\(result)")
        let dense = checkGradients(of: [Tensor<Float>.normal([4, 6], using: &generator), Tensor<Float>.normal([3, 6], using: &generator)], step: 1e-2) { _, v in
            v[0].linear(weight: v[1]).gelu().layerNorm(gamma: nil, beta: nil).crossEntropy(labels: [0, 1, 2, 1])
        }
        #expect(dense.maxError < 2e-2, "\(dense)")
    }
}
