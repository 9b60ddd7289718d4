import Testing
import NoetherNN
import NoetherTensor
@testable import NoetherSymmetry

/// The symmetries of the new layers (DESIGN §3), inferred by walking the graph and verified
/// numerically: each random group element leaves outputs and loss unchanged.
@Suite struct LayerGraphSymmetryTests {
    static let resnet = ModelSpec.resnet(ResNetSpec(inputShape: [3, 8, 8], depth: 8, width: 1, output: 4))
    static let vit = ModelSpec.vit(ViTSpec(inputShape: [3, 8, 8], patch: 4, width: 8, depth: 1, heads: 2, output: 4))
    static let gptGrouped = ModelSpec.gpt(GPTSpec(vocabulary: 11, sequenceLength: 6, width: 16, depth: 1, heads: 4, kvHeads: 2))
    static let gptClassic = ModelSpec.gpt(GPTSpec(vocabulary: 11, sequenceLength: 6, width: 8, depth: 2, heads: 2, positions: .learned,
                                                  norm: .layer, mlp: .gelu, tieEmbeddings: true, scored: .last))
    static let gptMultiQuery = ModelSpec.gpt(GPTSpec(vocabulary: 9, sequenceLength: 5, width: 8, depth: 1, heads: 2, kvHeads: 1, mlp: .geglu))

    static let models: [(String, ModelSpec, LossKind)] = [
        ("resnet", resnet, .crossEntropy), ("vit", vit, .crossEntropy), ("gpt grouped", gptGrouped, .crossEntropy),
        ("gpt classic", gptClassic, .crossEntropy), ("gpt multi-query", gptMultiQuery, .crossEntropy),
    ]

    @Test(arguments: models.map { $0.0 })
    func everyInferredSymmetryLeavesTheModelUnchanged(_ name: String) throws {
        let (_, spec, loss) = try #require(Self.models.first { $0.0 == name })
        let results = try verifyAll(spec, loss: loss)
        #expect(!results.isEmpty)
        for (symmetry, result) in results {
            #expect(result.holds(tolerance: 1e-4), "\(name): \(symmetry.kind) \(symmetry.layer) residual \(result.residual), loss \(result.lossResidual)")
        }
    }

    @Test func gptListsGatedRescalingGroupedRotationsAndRoPE() throws {
        let kinds = Set(try SymmetryCatalogue.infer(Self.gptGrouped, loss: .crossEntropy).map(\.kind))
        #expect(kinds.isSuperset(of: [.gatedRescaling, .groupedDoubleRotation, .ropeRotation, .signFlip, .permutation]))
        #expect(!kinds.contains(.doubleRotation))
        // With as many key/value heads as query heads the rotations are per head.
        let perHead = ModelSpec.gpt(GPTSpec(vocabulary: 11, sequenceLength: 6, width: 8, depth: 1, heads: 2))
        let perHeadKinds = Set(try SymmetryCatalogue.infer(perHead, loss: .crossEntropy).map(\.kind))
        #expect(perHeadKinds.contains(.doubleRotation) && perHeadKinds.contains(.ropeRotation) && !perHeadKinds.contains(.groupedDoubleRotation))
    }

    @Test func theResidualStreamIsASignedPermutationWithGainsAndRotatesWithout() throws {
        let stream = try SymmetryCatalogue.infer(Self.gptGrouped, loss: .crossEntropy).filter { $0.scope == .residualStream }
        #expect(Set(stream.map(\.kind)) == [.permutation, .signFlip])
        let folded = try SymmetryCatalogue.infer(.graph(Self.gainlessDecoder), loss: .crossEntropy).filter { $0.scope == .residualStream }
        #expect(Set(folded.map(\.kind)) == [.permutation, .signFlip, .residualStreamRotation])
        for (symmetry, result) in try verifyAll(.graph(Self.gainlessDecoder), loss: .crossEntropy) {
            #expect(result.holds(tolerance: 1e-4), "\(symmetry.kind) \(symmetry.layer) residual \(result.residual)")
        }
    }

    @Test func resnetListsNormScalePerChannel() throws {
        let specs = try SymmetryCatalogue.infer(Self.resnet, loss: .crossEntropy)
        let scales = specs.filter { $0.kind == .normScale }
        // Every convolution is followed by a BatchNorm: stem, two per block, two downsampling shortcuts.
        #expect(scales.count == 1 + 3 * 2 + 2)
        #expect(scales.allSatisfy { $0.units > 1 })
        // Channels of the hidden layers inside each block and of each stage's stream permute.
        #expect(specs.filter { $0.kind == .permutation }.count == 3 + 3)
    }

    @Test func theViTPermutesItsStreamAndHeads() throws {
        let specs = try SymmetryCatalogue.infer(Self.vit, loss: .crossEntropy)
        #expect(specs.contains { $0.kind == .permutation && $0.scope == .residualStream })
        #expect(specs.contains { $0.kind == .permutation && $0.scope == .heads(block: "blocks.0.attn") })
        #expect(!specs.contains { $0.kind == .signFlip && $0.scope == .residualStream })
    }

    /// A decoder whose RMSNorms have no gain (as after folding them into the next weights).
    static let gainlessDecoder = GraphSpec(input: [5], layers: [
        GraphLayer(EmbeddingLayer(vocabulary: 7, width: 8), name: "embed"),
        GraphLayer(ResidualLayer(branch: [GraphLayer(RMSNormLayer(gain: false), name: "b.norm1"),
                                          GraphLayer(AttentionLayer(heads: 2, causal: true, bias: false, rope: true), name: "b.attn")]), name: "b.attention"),
        GraphLayer(ResidualLayer(branch: [GraphLayer(RMSNormLayer(gain: false), name: "b.norm2"),
                                          GraphLayer(GatedMLPLayer(hidden: 12), name: "b.mlp")]), name: "b.feed_forward"),
        GraphLayer(RMSNormLayer(gain: false), name: "norm"),
        GraphLayer(DenseLayer(units: 7, bias: false), name: "head"),
        GraphLayer(ScoredPositionsLayer(), name: "scored"),
    ])
}

/// A layer kind added after the graph: its own file and one registry line.
@Suite struct LayerScaleTests {
    @Test func aLayerScaleKeepsRescalingAndSignButNotRotation() throws {
        let graph = GraphSpec(input: [5], layers: [
            GraphLayer(DenseLayer(units: 6, bias: false), name: "in"),
            GraphLayer(LayerScaleLayer(), name: "scale"),
            GraphLayer(DenseLayer(units: 3, bias: false), name: "out"),
        ])
        let specs = try SymmetryCatalogue.infer(.graph(graph), loss: .mse)
        #expect(Set(specs.filter { $0.layer == "in" }.map(\.kind)) == [.permutation, .rescaling, .signFlip])
        for (symmetry, result) in try verifyAll(.graph(graph), loss: .mse) {
            #expect(result.holds(tolerance: 1e-5), "\(symmetry.kind) \(symmetry.layer) residual \(result.residual)")
        }
    }
}
