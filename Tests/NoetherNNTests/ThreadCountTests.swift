import Testing
import NoetherAutograd
import NoetherTensor
@testable import NoetherNN

/// A run's numbers do not depend on how many threads compute them: the same training steps on
/// one thread and on two give the same weights bit for bit (what lets a sweep trial run or
/// resume on any executor, whatever CPU share it gets).
@Suite("Results are independent of the thread count")
struct ThreadCountTests {
    /// Parameters after `steps` SGD steps (momentum, weight decay, cross-entropy) on fixed data.
    func train(_ spec: ModelSpec, batch: Int, steps: Int, parts: Int) throws -> Parameters<Float> {
        try Parallel.$partsOverride.withValue(parts) {
            var generator = RandomGenerator(seed: 4)
            var model = try Model<Float>(spec, generator: generator.derived("init"))
            // Token ids for a GPT, Gaussian features otherwise; a GPT has a label per position.
            let inputs: Tensor<Float> = model.architecture.randomInputs(batch, using: &generator)
            let labels = (0..<(batch * model.architecture.outputsPerSample)).map { Int32($0 % spec.outputCount) }
            let step = TrainingStep<Float>(architecture: model.architecture, loss: .crossEntropy)
            var optimizer = Optimizer<Float>(OptimizerSpec(learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4), noiseSeed: generator)
            for _ in 0..<steps {
                step.step(&model.parameters, optimizer: &optimizer, inputs: inputs, targets: .classes(labels), learningRate: 0.05)
            }
            return model.parameters
        }
    }

    static let models: [(String, ModelSpec, Int)] = [
        // 784-300-100-10: edge tiles on every side (OpenBLAS's own threads change these products' bits).
        ("mlp", .mlp(MLPSpec(input: 784, hidden: [300, 100], output: 10)), 100),
        ("cnn", .cnn(CNNSpec(inputShape: [1, 28, 28], convolutions: [ConvolutionLayerSpec(channels: 16), ConvolutionLayerSpec(channels: 32)],
                             hidden: [100], output: 10)), 60),
        // BatchNorm's statistics and gradients are split over channels.
        ("resnet", .resnet(ResNetSpec(inputShape: [3, 12, 12], depth: 8, output: 10)), 16),
        ("transformer", .transformer(TransformerSpec(sequenceLength: 32, tokenDimension: 48, width: 96, heads: 4, depth: 1, feedForward: 200, output: 10)), 24),
        // Causal grouped-query attention with RoPE, RMSNorm (threaded over rows and columns) and SwiGLU.
        ("gpt", .gpt(GPTSpec(vocabulary: 40, sequenceLength: 48, width: 96, depth: 1, heads: 6, kvHeads: 2)), 16),
    ]

    @Test(arguments: 0..<models.count)
    func trainingGivesTheSameWeightsOnOneAndTwoThreads(model: Int) throws {
        let (name, spec, batch) = Self.models[model]
        let one = try train(spec, batch: batch, steps: 3, parts: 1)
        let two = try train(spec, batch: batch, steps: 3, parts: 2)
        let three = try train(spec, batch: batch, steps: 3, parts: 3)
        #expect(one.bitwiseEquals(two), "\(name): 1 and 2 threads differ")
        #expect(one.bitwiseEquals(three), "\(name): 1 and 3 threads differ")
        // The steps did change the weights (the comparison is not of untouched initial values).
        #expect(!one.bitwiseEquals(try train(spec, batch: batch, steps: 0, parts: 1)), "\(name)")
    }
}
