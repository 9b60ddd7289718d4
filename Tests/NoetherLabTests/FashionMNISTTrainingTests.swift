import Foundation
import Testing
@testable import NoetherLab
@testable import NoetherSweeps
@testable import NoetherTraining
import NoetherData
import NoetherRepresent
import NoetherTensor

@Suite("Fashion-MNIST")
struct FashionMNISTTrainingTests {
    @Test(.enabled(if: FileManager.default.fileExists(atPath: FileDatasets.fashionMNISTDirectory), "needs dataset-fashion-mnist"))
    func mlpReachesEightyFivePercentTestAccuracy() throws {
        let yaml = """
        name: fashion-mnist-small
        model: {kind: mlp, input: 784, hidden: [128], output: 10}
        data: {kind: fashion_mnist, train: 60000, test: 10000}
        optimizer: {learning_rate: 0.05, momentum: 0.9}
        schedule: {kind: cosine}
        training: {steps: 1000, batch_size: 128, eval_every: 1000, eval_samples: 2000}
        """
        let config = try ConfigLoader.decode(RunConfig.self, from: yaml, format: .yaml, source: "fmnist.yaml")
        let directory = temporaryDirectory()
        let result = try ConfigTrainer(config: config, options: TrainingOptions(directory: directory)).run()
        #expect(try #require(result.summary.final["test_accuracy"]) >= 0.85)

        // Layer-wise representations of the trained classifier, loaded back from its run directory.
        let (loadedConfig, model) = try RunLoader.load(directory)
        #expect(model.parameters.bitwiseEquals(result.parameters))
        let split = try loadedConfig.data.load(using: RandomGenerator(seed: loadedConfig.seed).derived("data"))
        guard case .classes(let train, _) = split.train.targets, case .classes(let test, _) = split.test.targets else {
            Issue.record("Fashion-MNIST has class labels"); return
        }
        let report = try LayerwiseAnalysis.analyze(
            model, probe: (split.train.inputs.slice(alongAxis: 0, 0..<600), train.prefix(600).map { Int($0) }),
            heldOut: (split.test.inputs.slice(alongAxis: 0, 0..<600), test.prefix(600).map { Int($0) }), classes: 10)
        #expect(report.layers.map(\.layer) == ["input", "layers.0", "layers.1"])
        #expect(report.layers.allSatisfy { $0.rank > 0 && $0.effectiveRank > 1 })
        #expect(try #require(report.layers[1].probeAccuracy) > 0.75)
        #expect(report.neuralCollapse?.classes == 10)
    }
}
