import Testing
import NoetherNN
import NoetherTensor
@testable import NoetherSymmetry

func infos(_ list: [(String, [Int])]) -> [WeightInference.TensorInfo] { list.map { .init(name: $0.0, shape: $0.1) } }

@Suite("Recognising architectures from tensor names and shapes")
struct WeightInferenceTests {
    @Test func bertStyleBlocks() {
        var tensors: [(String, [Int])] = [("embeddings.word_embeddings.weight", [100, 8]), ("embeddings.LayerNorm.weight", [8]),
                                          ("embeddings.LayerNorm.bias", [8])]
        for l in 0..<2 {
            let p = "encoder.layer.\(l)"
            for m in ["query", "key", "value"] { tensors += [("\(p).attention.self.\(m).weight", [8, 8]), ("\(p).attention.self.\(m).bias", [8])] }
            tensors += [("\(p).attention.output.dense.weight", [8, 8]), ("\(p).attention.output.dense.bias", [8]),
                        ("\(p).attention.output.LayerNorm.weight", [8]), ("\(p).attention.output.LayerNorm.bias", [8]),
                        ("\(p).intermediate.dense.weight", [32, 8]), ("\(p).intermediate.dense.bias", [32]),
                        ("\(p).output.dense.weight", [8, 32]), ("\(p).output.dense.bias", [8])]
        }
        var list = infos(tensors)
        list.append(.init(name: "embeddings.position_ids", shape: [1, 16], isFloatingPoint: false))
        let model = WeightInference.infer(list, heads: 2)
        #expect(model.family == "bert")
        #expect(model.layers.filter { $0.kind == "attention" }.map(\.name) == ["encoder.layer.0.attention", "encoder.layer.1.attention"])
        #expect(model.layers.filter { $0.role?.hasPrefix("mlp.") == true }.count == 4)
        #expect(model.symmetries.filter { $0.kind == .doubleRotation }.count == 2 * 2 * 2)
        #expect(model.symmetries.filter { $0.kind == .permutation && $0.scope == .units }.map(\.layer) == ["encoder.layer.0.intermediate.dense", "encoder.layer.1.intermediate.dense"])
        // Every tensor is accounted for: analysed in a row, or reported with a reason.
        #expect(model.layers.contains { $0.name == "embeddings.position_ids" && $0.status.hasPrefix("skipped: integer") })
        #expect(model.layers.contains { $0.name == "embeddings.word_embeddings" && $0.kind == "embedding" && $0.status == "ok" })
        #expect(model.layers.filter { $0.kind == "layer_norm" }.count == 3)
        // Without a head count the attention rows say what is missing.
        let unknown = WeightInference.infer(list, heads: nil)
        #expect(unknown.layers.filter { $0.kind == "attention" }.allSatisfy { $0.status.contains("--heads") })
    }

    @Test func gpt2PackedConv1DAndTimmPackedLinear() {
        let gpt2 = WeightInference.infer(infos([("h.0.attn.c_attn.weight", [8, 24]), ("h.0.attn.c_attn.bias", [24]),
                                                ("h.0.attn.c_proj.weight", [8, 8]), ("h.0.mlp.c_fc.weight", [8, 32]),
                                                ("h.0.mlp.c_proj.weight", [32, 8]), ("wte.weight", [50, 8])]), heads: 4)
        #expect(gpt2.family == "gpt2")
        let qk = gpt2.symmetries.first { $0.layer == "h.0.attn.head.1.qk" }
        #expect(qk?.incoming.first == UnitSlice("h.0.attn.c_attn.weight", axis: 1, offset: 2))
        #expect(qk?.outgoing.first == UnitSlice("h.0.attn.c_attn.weight", axis: 1, offset: 10))
        #expect(gpt2.symmetries.first { $0.kind == .permutation && $0.scope == .units }?.outgoing.first == UnitSlice("h.0.mlp.c_proj.weight", axis: 0))
        #expect(gpt2.layers.first { $0.name == "h.0.attn.c_attn" }?.transposed == true)
        let timm = WeightInference.infer(infos([("blocks.0.attn.qkv.weight", [24, 8]), ("blocks.0.attn.proj.weight", [8, 8]),
                                                ("blocks.0.mlp.fc1.weight", [32, 8]), ("blocks.0.mlp.fc2.weight", [8, 32])]), heads: 2)
        #expect(timm.family == "timm-vit")
        #expect(timm.symmetries.first { $0.layer == "blocks.0.attention.head.0.vo" }?.incoming.first == UnitSlice("blocks.0.attn.qkv.weight", axis: 0, offset: 16))
    }

    @Test func sequentialMLPAndCNNChains() {
        let mlp = WeightInference.infer(infos([("0.weight", [16, 4]), ("0.bias", [16]), ("2.weight", [16, 16]), ("2.bias", [16]),
                                               ("4.weight", [3, 16]), ("4.bias", [3])]), heads: nil)
        #expect(mlp.family == "mlp")
        #expect(mlp.symmetries.map(\.layer) == ["0", "2"])
        #expect(mlp.symmetries[1].outgoing == [UnitSlice("4.weight", axis: 1)])
        let cnn = WeightInference.infer(infos([("features.0.weight", [8, 1, 3, 3]), ("features.3.weight", [16, 8, 3, 3]),
                                               ("classifier.weight", [10, 16 * 49])]), heads: nil)
        #expect(cnn.family == "cnn")
        #expect(cnn.symmetries.last?.outgoing == [UnitSlice("classifier.weight", axis: 1, block: 49)])
        let strange = WeightInference.infer(infos([("a.weight", [2, 2, 2]), ("lonely", [5])]), heads: nil)
        #expect(strange.layers.allSatisfy { $0.status.hasPrefix("skipped:") })
    }

    @Test func namesOfANoetherTransformerGiveSymmetriesThatHold() throws {
        let spec = ModelSpec.transformer(TransformerSpec(sequenceLength: 3, tokenDimension: 4, width: 8, heads: 2, output: 3))
        var generator = RandomGenerator(seed: 2)
        let model = try Model<Float>(spec, generator: generator.derived("init"))
        let inferred = WeightInference.infer(model.parameters.tensors.map { .init(name: $0.key, shape: $0.value.shape.dimensions) }, heads: 2)
        #expect(inferred.family == "noether")
        // Head permutation, two heads' query/key and value/output rotations, the key bias's
        // translation and the MLP's permutation.
        #expect(inferred.symmetries.count == 1 + 2 * 2 + 1 + 1)
        for symmetry in inferred.symmetries {
            #expect(symmetry.verify(on: model, loss: .crossEntropy, using: &generator).holds(tolerance: 1e-5), "\(symmetry.layer)")
        }
    }
}

@Suite("Chains never wrap between dense layers")
struct ChainWrapTests {
    @Test func squareLayersDoNotFeedTheFirstLayer() {
        let model = WeightInference.infer(infos([("layers.0.weight", [16, 16]), ("layers.1.weight", [16, 16]), ("layers.2.weight", [16, 16])]), heads: nil)
        #expect(model.symmetries.map(\.layer) == ["layers.0", "layers.1"])
    }
}

@Suite("What inference cannot place is said, not guessed")
struct InferenceWarningTests {
    @Test func headsWithoutAttentionAndUnrecognisedMatricesAreWarned() {
        let model = WeightInference.infer(infos([("blocks.mixer.a.weight", [8, 8]), ("stack.mixer.b.weight", [8, 8]), ("c.gain", [8])]),
                                          hints: .init(heads: 4))
        #expect(model.warnings.count == 2)
        #expect(model.warnings.contains { $0.contains("heads") && $0.contains("no attention") })
        #expect(model.warnings.contains { $0.contains("2 of 2 2-D tensors") })
        #expect(Set(model.layers.flatMap(\.tensors)) == ["blocks.mixer.a.weight", "stack.mixer.b.weight", "c.gain"])
    }

    @Test func namesWithoutAWeightSuffixStillGetSpectra() {
        let model = WeightInference.infer(infos([("linear_0.w_0", [4, 8]), ("linear_0.b_0", [8]), ("conv2d_1.w_0", [8, 3, 3, 3])]), heads: nil)
        let rows = model.layers.filter { $0.status == "ok" }
        #expect(rows.map(\.weight) == ["linear_0.w_0", "conv2d_1.w_0"])
        #expect(rows.first?.tensors == ["linear_0.w_0", "linear_0.b_0"])
    }

    @Test func convTransposeShapesAreFlaggedNotChained() {
        // [8, 4, 3, 3] after 8 channels: a ConvTranspose [in, out] or a conv reading 4? Names cannot say.
        let model = WeightInference.infer(infos([("net.0.weight", [8, 3, 3, 3]), ("net.2.weight", [8, 4, 3, 3])]), heads: nil)
        #expect(model.symmetries.isEmpty)
        #expect(model.layers.first { $0.name == "net.2" }?.flags.first?.contains("ambiguous") == true)
        // Named as a transposed conv, it is not chained either.
        let named = WeightInference.infer(infos([("up.0.weight", [8, 3, 3, 3]), ("up.1.deconv.weight", [8, 4, 3, 3])]), heads: nil)
        #expect(named.symmetries.isEmpty && named.layers.contains { $0.flags.first?.contains("ConvTranspose") == true })
    }

    @Test func misfittingShapesAreSkippedNotRead() {
        // An output projection narrower than the heads, a short bias, a down projection of the wrong width.
        let model = WeightInference.infer(infos([("l.self_attn.q_proj.weight", [8, 8]), ("l.self_attn.q_proj.bias", [5]), ("l.self_attn.k_proj.weight", [8, 8]),
                                                 ("l.self_attn.v_proj.weight", [8, 8]), ("l.self_attn.o_proj.weight", [8, 6]),
                                                 ("l.mlp.gate_proj.weight", [16, 8]), ("l.mlp.up_proj.weight", [16, 8]), ("l.mlp.down_proj.weight", [8, 12])]),
                                          hints: .init(heads: 2))
        #expect(model.layers.first { $0.kind == "attention" }?.status.hasPrefix("skipped: ") == true)
        #expect(!model.layers.contains { $0.kind == "gated_mlp" })
        #expect(Set(model.layers.flatMap(\.tensors)).count == 8)
    }

    @Test func aSqueezeExcitationGateNeverFeedsTheNextConv() {
        // MobileNetV3's block without expansion: depthwise, squeeze-excitation, projection.
        let model = WeightInference.infer(infos([("features.1.block.0.0.weight", [16, 1, 3, 3]), ("features.1.block.1.fc1.weight", [8, 16, 1, 1]),
                                                 ("features.1.block.1.fc2.weight", [16, 8, 1, 1]), ("features.1.block.2.0.weight", [16, 16, 1, 1])]), heads: nil)
        #expect(model.symmetries.map(\.layer) == ["features.1.block.1.fc1"])
    }

    @Test func aSqueezeExcitationConvNeverClaimsTheClassifier() {
        let model = WeightInference.infer(infos([("features.4.block.0.0.weight", [16, 8, 1, 1]), ("features.4.block.1.fc1.weight", [4, 16, 1, 1]),
                                                 ("features.4.block.1.fc2.weight", [16, 4, 1, 1]), ("classifier.0.weight", [4, 4])]), heads: nil)
        #expect(!model.symmetries.contains { $0.outgoing.contains { $0.name == "classifier.0.weight" } })
    }
}
