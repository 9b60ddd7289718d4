import Testing
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
}
