import Testing
import NoetherAutograd
import NoetherTensor
@testable import NoetherNN

@Suite("Step fusion")
struct StepFusionTests {
    /// ReLU directly followed by 2×2 max pooling fuses; a block whose activation is captured
    /// (no pooling) or whose pooling is another kind keeps its steps, and every block keeps its
    /// representation.
    @Test func fusesOnlyAdjacentReLUAndTwoByTwoMaxPooling() throws {
        let spec = ModelSpec.cnn(CNNSpec(inputShape: [1, 12, 12], convolutions: [
            ConvolutionLayerSpec(channels: 4), ConvolutionLayerSpec(channels: 4, pool: .none),
            ConvolutionLayerSpec(channels: 4, pool: .avg), ConvolutionLayerSpec(channels: 4, poolWindow: 3),
        ], output: 3))
        let architecture = try Architecture(spec)
        #expect(architecture.steps.filter { $0 is ReLUMaxPoolStep }.count == 1)
        #expect(architecture.steps.filter { $0 is ActivationStep }.count == 3)
        #expect(architecture.representationNames.prefix(4) == ["convs.0", "convs.1", "convs.2", "convs.3"])
        let tanh = try Architecture(.cnn(CNNSpec(inputShape: [1, 8, 8], convolutions: [ConvolutionLayerSpec(channels: 2)], output: 2, activation: .tanh)))
        #expect(!tanh.steps.contains { $0 is ReLUMaxPoolStep })
    }

    /// The fused steps and the steps apart give the same outputs, captured representations and
    /// parameter gradients, bit for bit, on a CNN preset.
    @Test func fusedStepsComputeWhatTheStepsApartCompute() throws {
        let spec = ModelSpec.cnn(CNNSpec(inputShape: [1, 10, 10], convolutions: [ConvolutionLayerSpec(channels: 3), ConvolutionLayerSpec(channels: 4)], output: 3))
        let architecture = try Architecture(spec)
        let model = try Model<Float>(spec, generator: RandomGenerator(seed: 7))
        let apart: [any CompiledLayer] = architecture.steps.flatMap { step -> [any CompiledLayer] in
            step is ReLUMaxPoolStep ? [ActivationStep(function: .relu), PoolStep(maximum: true, window: 2, stride: 2)] : [step]
        }
        #expect(apart.count == architecture.steps.count + 2)
        var generator = RandomGenerator(seed: 8)
        let inputs = Tensor<Float>.normal([5, 100], using: &generator)
        func evaluate(_ steps: [any CompiledLayer]) -> (output: Tensor<Float>, captured: [Tensor<Float>], gradients: [Tensor<Float>]) {
            let tape = Tape<Float>()
            let parameters = (0..<model.parameters.count).map { tape.parameter(model.parameters[position: $0]) }
            var captured: [Tensor<Float>] = []
            var pass = ForwardPass(parameters: parameters, mode: .training, capture: { _, value in captured.append(value.value) })
            let output = run(steps, tape.constant(inputs), &pass)
            tape.backward(from: (output * output).sum())
            return (output.value, captured, parameters.compactMap { tape.gradient(of: $0) })
        }
        let (fused, separate) = (evaluate(architecture.steps), evaluate(apart))
        #expect(fused.output.bitwiseEquals(separate.output))
        #expect(fused.captured.count == separate.captured.count && !fused.captured.isEmpty)
        #expect(zip(fused.captured, separate.captured).allSatisfy { $0.bitwiseEquals($1) })
        #expect(fused.gradients.count == model.parameters.count)
        #expect(zip(fused.gradients, separate.gradients).allSatisfy { $0.bitwiseEquals($1) })
    }
}
