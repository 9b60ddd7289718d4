import Foundation
import Testing
@testable import NoetherLab
@testable import NoetherSweeps
@testable import NoetherTraining
import NoetherData
import NoetherNN
import NoetherTensor

func temporaryDirectory() -> String {
    NSTemporaryDirectory() + "noether-lab-\(UUID().uuidString)"
}

func staircaseConfig(steps: Int = 1500) throws -> RunConfig {
    var config = try ConfigLoader.decode(RunConfig.self, from: minimalYAML, format: .yaml, source: "t.yaml")
    config.initializer.scale = 0.1
    config.optimizer.weightDecay = 0
    config.training = TrainingSpec(steps: steps, batchSize: 100, evalEvery: 100, checkpointEvery: 300)
    return config
}

/// Metric values without their wall-clock times.
func values(_ records: [MetricRecord]) -> [String] { records.map { "\($0.step) \($0.name) \($0.value)" } }

@Suite("Training runs")
struct TrainerTests {
    @Test func staircaseTrainLossFallsBelowOneThousandth() throws {
        let result = try ConfigTrainer(config: try staircaseConfig()).run()
        #expect(result.summary.status == "completed")
        #expect(try #require(result.summary.final["train_loss"]) < 1e-3)
    }

    @Test func sameConfigAndSeedAreBitIdentical() throws {
        let a = try ConfigTrainer(config: try staircaseConfig(steps: 300)).run()
        let b = try ConfigTrainer(config: try staircaseConfig(steps: 300)).run()
        #expect(a.parameters.bitwiseEquals(b.parameters))
        #expect(values(a.metrics) == values(b.metrics))
        var other = try staircaseConfig(steps: 300)
        other.seed = 1
        #expect(try !ConfigTrainer(config: other).run().parameters.bitwiseEquals(a.parameters))
    }

    @Test func aRunDirectoryInUseIsRefusedNotShared() throws {
        let directory = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let config = try staircaseConfig(steps: 100)
        do {
            let other = try RunLock(directory: directory)  // another process training here
            let error = #expect(throws: RunError.self) { try ConfigTrainer(config: config, options: TrainingOptions(directory: directory)).run() }
            #expect(error?.description.contains("in use by another Noether process") == true)
            #expect(!RunDirectory(directory).exists, "nothing was written")
            withExtendedLifetime(other) {}
        }
        // Released (as when that process ends): the run goes ahead.
        #expect(try ConfigTrainer(config: config, options: TrainingOptions(directory: directory)).run().summary.status == "completed")
    }

    @Test func interruptedRunResumesToTheSameResult() throws {
        var config = try staircaseConfig(steps: 1000)
        config.optimizer.gradientNoise = 0.01
        config.data.augmentation = AugmentationSpec(signFlipIrrelevant: true)
        let uninterrupted = try ConfigTrainer(config: config, options: TrainingOptions(directory: temporaryDirectory())).run()

        let directory = temporaryDirectory()
        let first = try ConfigTrainer(config: config, options: TrainingOptions(directory: directory, stopAfterSteps: 750)).run()
        #expect(first.summary.status == "interrupted")
        #expect(Checkpoint.all(in: RunDirectory(directory)).map(\.step) == [300, 600])
        let resumed = try ConfigTrainer(config: config, options: TrainingOptions(directory: directory)).run()
        #expect(resumed.summary.status == "completed")
        #expect(resumed.parameters.bitwiseEquals(uninterrupted.parameters))
        let written = try MetricRecord.read(RunDirectory(directory).metricsPath)
        #expect(values(written) == values(uninterrupted.metrics))

        // Running a finished run again returns it unchanged.
        let again = try ConfigTrainer(config: config, options: TrainingOptions(directory: directory)).run()
        #expect(again.wasAlreadyComplete)
        #expect(again.parameters.bitwiseEquals(uninterrupted.parameters))
    }

    @Test func aDifferentConfigDoesNotOverwriteARun() throws {
        let directory = temporaryDirectory()
        _ = try ConfigTrainer(config: try staircaseConfig(steps: 100), options: TrainingOptions(directory: directory)).run()
        var other = try staircaseConfig(steps: 100)
        other.seed = 5
        #expect(throws: RunError.self) { try ConfigTrainer(config: other, options: TrainingOptions(directory: directory)).run() }
        let replaced = try ConfigTrainer(config: other, options: TrainingOptions(directory: directory, restart: true)).run()
        #expect(replaced.summary.status == "completed")
    }

    @Test func runDirectoryHoldsEveryFile() throws {
        let directory = temporaryDirectory()
        _ = try ConfigTrainer(config: try staircaseConfig(steps: 600), options: TrainingOptions(directory: directory)).run()
        let run = RunDirectory(directory)
        for file in [run.configPath, run.metricsPath, run.summaryPath, run.weightsPath] {
            #expect(FileManager.default.fileExists(atPath: file), "\(file)")
        }
        #expect(run.recordedConfig() == (try staircaseConfig(steps: 600)).withResolvedLoss(.mse))
        let names = Set(try MetricRecord.read(run.metricsPath).map(\.name))
        #expect(names.isSuperset(of: ["train_loss", "test_loss", "batch_loss", "learning_rate", "layers.0/distinct"]))
        #expect(FileManager.default.fileExists(atPath: run.eventsPath))
    }

    @Test func mismatchedModelAndDataAreExplained() throws {
        var config = try staircaseConfig(steps: 10)
        config.model = .mlp(MLPSpec(input: 19, hidden: [8], output: 1))
        #expect { try ConfigTrainer(config: config).run() } throws: { "\($0)".contains("set the model's input size to 20") }
        config.model = .mlp(MLPSpec(input: 20, hidden: [8], output: 1))
        config.loss = .crossEntropy
        #expect { try ConfigTrainer(config: config).run() } throws: { "\($0)".contains("use loss: mse") }
    }

    @Test func divergingLossStopsWithAnError() throws {
        var config = try staircaseConfig(steps: 200)
        config.initializer.scale = 10
        config.optimizer.learningRate = 50
        #expect { try ConfigTrainer(config: config).run() } throws: { "\($0)".contains("diverged") }
    }

    @Test func callbacksSeeEveryStepAndEvaluation() throws {
        final class Counter: TrainingCallback {
            var steps = 0, evaluations = 0, started = false, finished = false
            func trainingWillStart(_ state: TrainingState) { started = true }
            func stepDidFinish(_ state: TrainingState) { steps += 1 }
            func evaluationDidFinish(_ state: TrainingState, metrics: [String: Double]) {
                evaluations += 1
                state.metrics.record("custom", Double(state.step))
            }
            func trainingDidFinish(_ state: TrainingState) { finished = true }
        }
        let counter = Counter()
        let result = try ConfigTrainer(config: try staircaseConfig(steps: 250), callbacks: [counter]).run()
        #expect(counter.started && counter.finished)
        #expect(counter.steps == 250 && counter.evaluations == 3)
        #expect(result.metrics.filter { $0.name == "custom" }.map(\.value) == [100, 200, 250])
    }
}

extension RunConfig {
    func withResolvedLoss(_ loss: LossKind) -> RunConfig {
        var copy = self
        copy.loss = loss
        return copy
    }
}
