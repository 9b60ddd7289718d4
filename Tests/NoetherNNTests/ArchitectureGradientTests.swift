import Testing
import NoetherAutograd
import NoetherTensor
@testable import NoetherNN

/// Checks the gradient of a model's loss with respect to every parameter (and the input).
func checkModel(_ spec: ModelSpec, loss: LossKind, batch: Int = 3, seed: UInt64 = 1) throws -> GradientCheckResult {
    let architecture = try Architecture(spec)
    var generator = RandomGenerator(seed: seed)
    let parameters: Parameters<Double> = InitializerSpec(scheme: .normal).initialize(architecture, using: generator.derived("init"))
    // Perturb constants (norm gains) so that their gradients are checked at a generic point.
    let perturbed = parameters.mapTensors { _, t in t + Tensor.normal(t.shape, standardDeviation: 0.1, using: &generator) }
    let input = Tensor<Double>.normal([batch, spec.inputCount], using: &generator)
    let targets: Targets<Double> = loss == .crossEntropy
        ? .classes((0..<batch).map { Int32($0 % spec.outputCount) })
        : .values(Tensor.normal([batch, spec.outputCount], using: &generator))
    return checkGradients(of: [input] + perturbed.tensors.values.map { $0 }) { _, v in
        loss.apply(architecture.forward(v[0], parameters: Array(v.dropFirst())), targets)
    }
}

@Suite("Every layer's gradients match finite differences inside a model (Float64)")
struct ArchitectureGradientTests {
    @Test(arguments: Activation.allCases)
    func mlpWithEachActivation(_ activation: Activation) throws {
        let spec = ModelSpec.mlp(MLPSpec(input: 4, hidden: [5, 5], output: 3, activation: activation))
        let result = try checkModel(spec, loss: .crossEntropy)
        #expect(result.maxError < 1e-6, "\(activation): \(result)")
    }

    @Test func residualMLPWithoutBias() throws {
        let spec = ModelSpec.mlp(MLPSpec(input: 4, hidden: [6, 6, 6], output: 2, activation: .tanh, bias: false, residual: true))
        let result = try checkModel(spec, loss: .mse)
        #expect(result.maxError < 1e-6, "\(result)")
    }

    @Test func deepLinearNetwork() throws {
        let result = try checkModel(.deepLinear(DeepLinearSpec(input: 3, hidden: [4, 4], output: 2)), loss: .mse)
        #expect(result.maxError < 1e-6, "\(result)")
    }

    @Test func smallCNN() throws {
        let spec = ModelSpec.cnn(CNNSpec(
            inputShape: [1, 6, 6],
            convolutions: [ConvolutionLayerSpec(channels: 2, kernel: 3), ConvolutionLayerSpec(channels: 3, kernel: 3, pool: .avg)],
            hidden: [4], output: 3, activation: .tanh))
        let result = try checkModel(spec, loss: .crossEntropy, batch: 2)
        #expect(result.maxError < 1e-6, "\(result)")
    }

    @Test func transformerEncoder() throws {
        let spec = ModelSpec.transformer(TransformerSpec(sequenceLength: 3, tokenDimension: 2, width: 4, heads: 2, depth: 2, feedForward: 5, output: 2))
        let result = try checkModel(spec, loss: .mse, batch: 2)
        #expect(result.maxError < 1e-6, "\(result)")
    }
}
