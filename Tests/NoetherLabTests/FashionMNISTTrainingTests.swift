import Foundation
import Testing
@testable import NoetherLab
import NoetherData

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
        let result = try Trainer(config: config).run()
        #expect(try #require(result.summary.final["test_accuracy"]) >= 0.85)
    }
}
