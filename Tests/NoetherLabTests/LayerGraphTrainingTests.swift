import Foundation
import Testing
@testable import NoetherTraining
import NoetherData
import NoetherNN
import NoetherTensor

/// The new presets train like any run: resume bit-identically (BatchNorm's running statistics
/// and dropout masks included) and track their symmetries.
@Suite struct LayerGraphTrainingTests {
    func config(_ model: String, data: String, steps: Int, track: String = "") throws -> RunConfig {
        let yaml = """
        name: graph
        model: \(model)
        data: \(data)
        optimizer: {kind: adamw, learning_rate: 0.003, weight_decay: 0.01}
        training: {steps: \(steps), batch_size: 16, eval_every: 10, checkpoint_every: 10}
        \(track)
        """
        return try ConfigLoader.decode(RunConfig.self, from: yaml, format: .yaml, source: "graph.yaml")
    }

    @Test func aResNetWithBatchNormAndDropoutResumesBitIdentically() throws {
        let model = """
        {kind: graph, input: [1, 8, 8], layers: [{kind: conv2d, channels: 4, bias: false}, {kind: batch_norm}, {kind: activation, function: relu}, \
        {kind: residual, branch: [{kind: conv2d, channels: 4, bias: false}, {kind: batch_norm}]}, {kind: global_avg_pool}, {kind: dropout, probability: 0.2}, \
        {kind: dense, units: 3}]}
        """
        let config = try config(model, data: "{kind: gaussian_mixture, dimension: 64, classes: 3, train: 96, test: 32}", steps: 30)
        let uninterrupted = try ConfigTrainer(config: config, options: TrainingOptions(directory: temporaryDirectory())).run()
        let directory = temporaryDirectory()
        let first = try ConfigTrainer(config: config, options: TrainingOptions(directory: directory, stopAfterSteps: 15)).run()
        #expect(first.summary.status == "interrupted")
        let resumed = try ConfigTrainer(config: config, options: TrainingOptions(directory: directory)).run()
        #expect(resumed.parameters.bitwiseEquals(uninterrupted.parameters))
        // The running statistics moved away from PyTorch's initial 0 and 1.
        let mean = try #require(resumed.parameters["layers.1.running_mean"])
        #expect(mean.scalars.contains { $0 != 0 })
    }

    @Test func aDecoderLearnsTokensAndTracksItsSymmetries() throws {
        let model = "{kind: gpt, vocabulary: 8, sequence_length: 3, width: 16, depth: 1, heads: 2, kv_heads: 1, scored: last}"
        let config = try config(model, data: "{kind: modular_addition, modulus: 7, train_fraction: 0.8}", steps: 40,
                                track: "track: {every: 10}")
        let result = try ConfigTrainer(config: config, options: TrainingOptions(directory: temporaryDirectory())).run()
        #expect(result.summary.status == "completed")
        let names = Set(result.metrics.map(\.name))
        // Per-head ranks of the grouped attention and dead units of the SwiGLU are tracked.
        #expect(names.contains { $0.hasPrefix("layers.0.self_attn") })
        #expect(names.contains { $0.hasPrefix("layers.0.mlp") })
        let first = try #require(result.metrics.first { $0.name == "train_loss" })
        let last = try #require(result.metrics.last { $0.name == "train_loss" })
        #expect(last.value < first.value)
    }
}
