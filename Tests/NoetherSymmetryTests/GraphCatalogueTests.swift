import Testing
import NoetherNN
@testable import NoetherSymmetry

/// The catalogue walks the layer graph; for the presets that had a hand-written catalogue it
/// must give exactly the same symmetries, slices and order (runs depend on that order).
@Suite struct GraphCatalogueTests {
    static let presets: [ModelSpec] = [
        .mlp(MLPSpec(input: 5, hidden: [6, 4], output: 3)),
        .mlp(MLPSpec(input: 5, hidden: [6, 6, 6, 4], output: 3, activation: .tanh, residual: true)),
        .mlp(MLPSpec(input: 6, hidden: [6, 6, 4], output: 3, residual: true)),
        .mlp(MLPSpec(input: 5, hidden: [6, 4], output: 3, activation: .identity, gates: .neuron)),
        .mlp(MLPSpec(input: 5, hidden: [6, 4], output: 3, activation: .leakyRelu, bias: false, gates: .layer)),
        .mlp(MLPSpec(input: 5, hidden: [8], output: 1, activation: .gelu)),
        .deepLinear(DeepLinearSpec(input: 4, hidden: [5, 5], output: 3)),
        .cnn(CNNSpec(inputShape: [1, 8, 8], convolutions: [ConvolutionLayerSpec(channels: 3), ConvolutionLayerSpec(channels: 4, pool: .avg)],
                     hidden: [5], output: 3)),
        .cnn(CNNSpec(inputShape: [2, 6, 6], convolutions: [ConvolutionLayerSpec(channels: 3, pool: .none)], output: 2, activation: .identity)),
        .transformer(TransformerSpec(sequenceLength: 3, tokenDimension: 2, width: 8, heads: 2, depth: 2, feedForward: 6, output: 3)),
    ]

    @Test(arguments: presets, [LossKind.crossEntropy, .mse])
    func presetsKeepTheirCatalogue(spec: ModelSpec, loss: LossKind) throws {
        let legacy = try LegacyCatalogue.infer(spec, loss: loss)
        let walked = try SymmetryCatalogue.infer(spec, loss: loss)
        #expect(walked.count == legacy.count)
        for (new, old) in zip(walked, legacy) {
            #expect(new.kind == old.kind && new.layer == old.layer && new.units == old.units, "\(new.kind) \(new.layer) vs \(old.kind) \(old.layer)")
            #expect(new.incoming == old.incoming, "\(new.layer) \(new.kind) incoming")
            #expect(new.outgoing == old.outgoing, "\(new.layer) \(new.kind) outgoing")
            #expect(new.uniform == old.uniform)
        }
    }
}
