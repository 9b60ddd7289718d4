import Testing
import NoetherNN
import NoetherTensor
@testable import NoetherSymmetry

/// Every inferred symmetry of `spec`, verified on random Float32 parameters.
func verifyAll(_ spec: ModelSpec, loss: LossKind, seed: UInt64 = 1) throws -> [(SymmetrySpec, VerificationResult)] {
    var generator = RandomGenerator(seed: seed)
    let model = try Model<Float>(spec, initializer: InitializerSpec(scheme: .normal), generator: generator.derived("init"))
    // Biases and gates away from their initial constants, so that every slice matters.
    var perturbed = model
    perturbed.parameters = model.parameters.mapTensors { _, t in t + Tensor.normal(t.shape, standardDeviation: 0.3, using: &generator) }
    return try SymmetryCatalogue.infer(spec, loss: loss).map { ($0, $0.verify(on: perturbed, loss: loss, using: &generator)) }
}

/// "kind layer" lines of a catalogue.
func summary(_ specs: [SymmetrySpec]) -> [String] { specs.map { "\($0.kind.rawValue) \($0.layer)" } }

@Suite("Inferred symmetries hold and the catalogue is exact")
struct CatalogueTests {
    static let architectures: [(String, ModelSpec, LossKind)] = [
        ("mlp relu", .mlp(MLPSpec(input: 5, hidden: [6, 4], output: 3, activation: .relu)), .crossEntropy),
        ("mlp leaky", .mlp(MLPSpec(input: 5, hidden: [6], output: 3, activation: .leakyRelu)), .crossEntropy),
        ("mlp tanh", .mlp(MLPSpec(input: 5, hidden: [6, 4], output: 2, activation: .tanh)), .mse),
        ("mlp sin", .mlp(MLPSpec(input: 5, hidden: [6], output: 2, activation: .sin)), .mse),
        ("mlp gelu", .mlp(MLPSpec(input: 5, hidden: [6], output: 3, activation: .gelu)), .crossEntropy),
        ("mlp identity", .mlp(MLPSpec(input: 5, hidden: [6, 4], output: 2, activation: .identity)), .mse),
        ("mlp residual", .mlp(MLPSpec(input: 5, hidden: [6, 6, 6], output: 3, activation: .relu, residual: true)), .crossEntropy),
        ("mlp layer gates", .mlp(MLPSpec(input: 5, hidden: [6, 6], output: 3, activation: .relu, residual: true, gates: .layer)), .crossEntropy),
        ("mlp neuron gates", .mlp(MLPSpec(input: 5, hidden: [6], output: 3, activation: .identity, gates: .neuron)), .crossEntropy),
        ("deep linear", .deepLinear(DeepLinearSpec(input: 4, hidden: [5, 5], output: 3)), .mse),
        ("cnn max", .cnn(CNNSpec(inputShape: [2, 6, 6], convolutions: [ConvolutionLayerSpec(channels: 3), ConvolutionLayerSpec(channels: 4)],
                                 hidden: [5], output: 3)), .crossEntropy),
        ("cnn tanh avg", .cnn(CNNSpec(inputShape: [1, 6, 6], convolutions: [ConvolutionLayerSpec(channels: 3, pool: .avg)],
                                      output: 2, activation: .tanh)), .mse),
        ("transformer", .transformer(TransformerSpec(sequenceLength: 4, tokenDimension: 3, width: 8, heads: 2, depth: 2,
                                                     feedForward: 6, output: 3, activation: .relu)), .crossEntropy),
    ]

    @Test(arguments: architectures.map { $0.0 })
    func everyInferredSymmetryLeavesTheModelUnchanged(_ name: String) throws {
        let (_, spec, loss) = try #require(Self.architectures.first { $0.0 == name })
        let results = try verifyAll(spec, loss: loss)
        #expect(!results.isEmpty)
        for (symmetry, result) in results {
            #expect(result.holds(tolerance: 1e-5), "\(name): \(symmetry.kind) \(symmetry.layer) residual \(result.residual), loss \(result.lossResidual)")
        }
    }

    @Test func reluMLPCatalogue() throws {
        let specs = try SymmetryCatalogue.infer(.mlp(MLPSpec(input: 5, hidden: [6, 4], output: 3)), loss: .crossEntropy)
        #expect(summary(specs) == ["permutation layers.0", "rescaling layers.0", "permutation layers.1", "rescaling layers.1", "translation layers.2"])
        #expect(specs[0].parameterNames == ["layers.0.weight", "layers.0.bias", "layers.1.weight"])
    }

    @Test func oddAndLinearActivationCatalogues() throws {
        let tanh = try SymmetryCatalogue.infer(.mlp(MLPSpec(input: 5, hidden: [6], output: 2, activation: .tanh)), loss: .mse)
        #expect(summary(tanh) == ["permutation layers.0", "sign_flip layers.0"])
        let gelu = try SymmetryCatalogue.infer(.mlp(MLPSpec(input: 5, hidden: [6], output: 2, activation: .gelu)), loss: .mse)
        #expect(summary(gelu) == ["permutation layers.0"])
        let linear = try SymmetryCatalogue.infer(.deepLinear(DeepLinearSpec(input: 4, hidden: [5, 5], output: 3)), loss: .mse)
        #expect(summary(linear) == ["permutation layers.0", "rescaling layers.0", "sign_flip layers.0", "rotation layers.0",
                                    "permutation layers.1", "rescaling layers.1", "sign_flip layers.1", "rotation layers.1"])
    }

    @Test func residualConnectionsKeepOnlyTheStreamPermutation() throws {
        let specs = try SymmetryCatalogue.infer(.mlp(MLPSpec(input: 5, hidden: [6, 6, 6], output: 3, activation: .identity, residual: true)), loss: .mse)
        #expect(summary(specs) == ["permutation layers.0-2"])
        // A residual stream that starts at the input has no symmetry at all.
        let fromInput = try SymmetryCatalogue.infer(.mlp(MLPSpec(input: 6, hidden: [6, 6], output: 3, residual: true)), loss: .mse)
        #expect(fromInput.isEmpty)
    }

    @Test func gatesAddRescalingsAndNeuronGatesRemoveRotation() throws {
        let specs = try SymmetryCatalogue.infer(.mlp(MLPSpec(input: 5, hidden: [6], output: 3, activation: .identity, gates: .neuron)), loss: .mse)
        #expect(summary(specs) == ["permutation layers.0", "rescaling layers.0", "sign_flip layers.0", "rescaling layers.0.gate", "rescaling layers.1.gate"])
    }

    @Test func convolutionCatalogueFollowsPooling() throws {
        let maxPooled = try SymmetryCatalogue.infer(.cnn(CNNSpec(inputShape: [1, 6, 6], convolutions: [ConvolutionLayerSpec(channels: 3)],
                                                                 output: 2, activation: .tanh)), loss: .mse)
        #expect(summary(maxPooled) == ["permutation convs.0"])
        let averaged = try SymmetryCatalogue.infer(.cnn(CNNSpec(inputShape: [1, 6, 6], convolutions: [ConvolutionLayerSpec(channels: 3, pool: .avg)],
                                                                output: 2, activation: .tanh)), loss: .mse)
        #expect(summary(averaged) == ["permutation convs.0", "sign_flip convs.0"])
    }

    @Test func transformerCatalogue() throws {
        let specs = try SymmetryCatalogue.infer(.transformer(TransformerSpec(sequenceLength: 4, tokenDimension: 3, width: 8, heads: 2, output: 3)),
                                                loss: .crossEntropy)
        #expect(summary(specs) == [
            "permutation residual_stream", "permutation blocks.0.attn.heads",
            "double_rotation blocks.0.attn.head.0.qk", "double_rotation blocks.0.attn.head.0.vo",
            "double_rotation blocks.0.attn.head.1.qk", "double_rotation blocks.0.attn.head.1.vo",
            "translation blocks.0.attn.k_proj.bias", "permutation blocks.0.mlp.fc1", "translation head",
        ])
    }

    @Test func actionsThatAreNotSymmetriesChangeTheOutput() throws {
        var generator = RandomGenerator(seed: 3)
        let tanhModel = try Model<Float>(.mlp(MLPSpec(input: 5, hidden: [6], output: 2, activation: .tanh)), generator: generator.derived("init"))
        // Rescaling is not a symmetry of tanh.
        let rescale = SymmetrySpec(.rescaling, layer: "layers.0", units: 6, incoming: [UnitSlice("layers.0.weight", axis: 0), UnitSlice("layers.0.bias", axis: 0)],
                                   outgoing: [UnitSlice("layers.1.weight", axis: 1)])
        #expect(rescale.verify(on: tanhModel, loss: .mse, using: &generator).residual > 1e-2)
        // Permuting the units of two layers with different activations in the same way is not one either.
        let mixed = try Model<Float>(.mlp(MLPSpec(input: 4, hidden: [4, 4], output: 4, activation: .relu)), generator: generator.derived("m"))
        let across = SymmetrySpec(.permutation, layer: "layers.0+1", units: 4, incoming: [UnitSlice("layers.0.weight", axis: 0), UnitSlice("layers.1.weight", axis: 0)])
        #expect(across.verify(on: mixed, loss: .mse, using: &generator).residual > 1e-2)
        // Sign flips do not commute with max pooling.
        let pooled = try Model<Float>(.cnn(CNNSpec(inputShape: [1, 6, 6], convolutions: [ConvolutionLayerSpec(channels: 3)], output: 2, activation: .tanh)),
                                      generator: generator.derived("c"))
        let flip = SymmetrySpec(.signFlip, layer: "convs.0", units: 3, incoming: [UnitSlice("convs.0.weight", axis: 0), UnitSlice("convs.0.bias", axis: 0)],
                                outgoing: [UnitSlice("layers.0.weight", axis: 1, block: 9)])
        #expect(flip.verify(on: pooled, loss: .mse, using: &generator).residual > 1e-2)
        // Translating logits changes the squared error even though it keeps the softmax.
        let logits = try SymmetryCatalogue.infer(.mlp(MLPSpec(input: 5, hidden: [6], output: 3)), loss: .crossEntropy).last!
        #expect(logits.verify(on: mixed.withSpec(.mlp(MLPSpec(input: 5, hidden: [6], output: 3)), &generator), loss: .mse, using: &generator).lossResidual > 1e-3)
    }
}

extension Model where Scalar == Float {
    func withSpec(_ spec: ModelSpec, _ generator: inout RandomGenerator) -> Model<Float> {
        (try? Model<Float>(spec, generator: generator.derived("other"))) ?? self
    }
}
