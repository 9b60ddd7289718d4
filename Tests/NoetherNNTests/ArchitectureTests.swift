import Foundation
import Testing
import NoetherAutograd
import NoetherTensor
@testable import NoetherNN

@Suite("Architectures, parameters and initialisation")
struct ArchitectureTests {
    @Test func mlpLayoutUsesPyTorchNamesAndOrientation() throws {
        let architecture = try Architecture(.mlp(MLPSpec(input: 784, hidden: [256, 128], output: 10)))
        #expect(architecture.layout.map(\.name) == [
            "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.2.weight", "layers.2.bias",
        ])
        #expect(architecture.layout[0].shape == [256, 784])
        #expect(architecture.layout[4].shape == [10, 128])
        #expect(architecture.representationNames == ["layers.0", "layers.1", "layers.2"])
    }

    @Test func transformerLayoutHasSeparateProjections() throws {
        let architecture = try Architecture(.transformer(TransformerSpec(sequenceLength: 8, tokenDimension: 4, width: 16, heads: 4, output: 3)))
        let names = architecture.layout.map(\.name)
        for projection in ["q_proj", "k_proj", "v_proj", "out_proj"] {
            #expect(names.contains("blocks.0.attn.\(projection).weight"))
        }
        #expect(architecture.layout.first { $0.name == "blocks.0.mlp.fc1.weight" }?.shape == [64, 16])
    }

    @Test func invalidSpecsAreExplained() throws {
        #expect(throws: ModelSpecError.self) { try Architecture(.transformer(TransformerSpec(sequenceLength: 4, tokenDimension: 2, width: 10, heads: 3, output: 1))) }
        #expect(throws: ModelSpecError.self) { try Architecture(.mlp(MLPSpec(input: 0, hidden: [], output: 1))) }
        #expect(throws: ModelSpecError.self) { try Architecture(.cnn(CNNSpec(inputShape: [28, 28], convolutions: [], output: 10))) }
        #expect(throws: ModelSpecError.self) {
            try Architecture(.cnn(CNNSpec(inputShape: [1, 4, 4], convolutions: [ConvolutionLayerSpec(channels: 2, kernel: 7, padding: 0)], output: 10)))
        }
        // A kernel larger than the map, which integer division would round to a 1×1 output.
        let tooLarge = #expect(throws: ModelSpecError.self) {
            try Architecture(.cnn(CNNSpec(inputShape: [1, 2, 2], convolutions: [ConvolutionLayerSpec(channels: 2, kernel: 3, stride: 2, padding: 0, pool: .none)], output: 10)))
        }
        #expect(tooLarge?.description.contains("does not fit the 2×2 feature map") == true)
        // A later convolution on a map pooled down to 1×1, with "same" padding, is fine.
        let pooled = try Architecture(.cnn(CNNSpec(inputShape: [1, 2, 2], convolutions: [
            ConvolutionLayerSpec(channels: 2, kernel: 3), ConvolutionLayerSpec(channels: 3, kernel: 5, pool: .none),
        ], output: 4)))
        #expect(pooled.layout.contains { $0.name == "convs.1.weight" && $0.shape == [3, 2, 5, 5] })
    }

    @Test func pytorchInitialisationBoundsAndScale() throws {
        let architecture = try Architecture(.mlp(MLPSpec(input: 100, hidden: [50], output: 2)))
        let generator = RandomGenerator(seed: 0)
        let unit: Parameters<Float> = InitializerSpec().initialize(architecture, using: generator)
        let small: Parameters<Float> = InitializerSpec(scale: 0.01).initialize(architecture, using: generator)
        let w = unit["layers.0.weight"]!
        #expect(w.max() <= 0.1 && w.min() >= -0.1)
        #expect(w.max() > 0.09)
        // The scale multiplies the same draws.
        #expect(small["layers.0.weight"]!.isApproximatelyEqual(to: w * 0.01, absoluteTolerance: 1e-9))
        let normal: Parameters<Double> = InitializerSpec(scheme: .normal).initialize(architecture, using: generator)
        let std = (normal["layers.0.weight"]!.squaredNorm() / 5000).squareRoot()
        #expect(abs(std - 0.1) < 0.005)
    }

    @Test func addingALayerKeepsTheOtherLayersInitialValues() throws {
        let generator = RandomGenerator(seed: 3)
        let a: Parameters<Float> = InitializerSpec().initialize(try Architecture(.mlp(MLPSpec(input: 5, hidden: [4], output: 2))), using: generator)
        let b: Parameters<Float> = InitializerSpec().initialize(try Architecture(.mlp(MLPSpec(input: 5, hidden: [4, 4], output: 2))), using: generator)
        #expect(a["layers.0.weight"] == b["layers.0.weight"])
    }

    @Test func specRoundTripsThroughJSONWithDefaults() throws {
        let json = #"{"kind": "mlp", "input": 4, "hidden": [8], "output": 2}"#
        let spec = try JSONDecoder().decode(ModelSpec.self, from: Data(json.utf8))
        #expect(spec == .mlp(MLPSpec(input: 4, hidden: [8], output: 2, activation: .relu, bias: true)))
        for original in [
            spec,
            .cnn(CNNSpec(inputShape: [1, 28, 28], convolutions: [ConvolutionLayerSpec(channels: 8)], hidden: [32], output: 10)),
            .transformer(TransformerSpec(sequenceLength: 8, tokenDimension: 4, width: 16, heads: 4, output: 3)),
            .deepLinear(DeepLinearSpec(input: 3, hidden: [32, 32], output: 3)),
        ] as [ModelSpec] {
            let decoded = try JSONDecoder().decode(ModelSpec.self, from: JSONEncoder().encode(original))
            #expect(decoded == original)
        }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ModelSpec.self, from: Data(#"{"kind": "rnn"}"#.utf8)) }
    }

    @Test func modelRejectsParametersThatDoNotMatch() throws {
        let spec = ModelSpec.mlp(MLPSpec(input: 3, hidden: [4], output: 2))
        let model = try Model<Float>(spec, generator: RandomGenerator(seed: 1))
        var wrong = model.parameters
        wrong["layers.0.weight"] = .zeros([4, 4])
        #expect(throws: ModelSpecError.self) { try Model(spec, parameters: wrong) }
        var missing = model.parameters
        missing.tensors.removeValue(forKey: "layers.1.bias")
        #expect(throws: ModelSpecError.self) { try Model(spec, parameters: missing) }
        #expect(try Model(spec, parameters: model.parameters).parameters == model.parameters)
    }

    @Test func transformerIsInvariantToTokenOrder() throws {
        // No positional encoding and mean pooling: permuting tokens leaves the output unchanged.
        let spec = ModelSpec.transformer(TransformerSpec(sequenceLength: 4, tokenDimension: 3, width: 8, heads: 2, output: 2))
        let model = try Model<Double>(spec, generator: RandomGenerator(seed: 2))
        var generator = RandomGenerator(seed: 5)
        let tokens = Tensor<Double>.normal([2, 4, 3], using: &generator)
        let shuffled = Tensor.concatenate([2, 0, 3, 1].map { tokens.slice(alongAxis: 1, $0..<($0 + 1)) }, alongAxis: 1)
        let a = model(tokens.reshaped([2, 12])), b = model(shuffled.reshaped([2, 12]))
        #expect(a.isApproximatelyEqual(to: b, absoluteTolerance: 1e-12))
        #expect(a.shape == [2, 2])
    }

    @Test func residualLayerAddsItsInput() throws {
        // With zero weights and bias a residual layer is the identity.
        let spec = ModelSpec.mlp(MLPSpec(input: 3, hidden: [3], output: 3, activation: .relu, residual: true))
        var model = try Model<Double>(spec, generator: RandomGenerator(seed: 0))
        model.parameters["layers.0.weight"] = .zeros([3, 3])
        model.parameters["layers.0.bias"] = .zeros([3])
        model.parameters["layers.1.weight"] = .identity(3)
        model.parameters["layers.1.bias"] = .zeros([3])
        let x = Tensor<Double>(rows: [[1, -2, 3]])
        #expect(model(x) == x)
    }
}
