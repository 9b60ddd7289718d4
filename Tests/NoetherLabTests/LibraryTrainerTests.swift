import Foundation
import Testing
@testable import NoetherLab
@testable import NoetherSweeps
@testable import NoetherTraining
import NoetherData
import NoetherNN
import NoetherSymmetry
import NoetherTensor

@Suite("Training as a library call")
struct LibraryTrainerTests {
    @Test func theReadmeExampleRunsAndFindsBreakingEvents() throws {
        let outcome = try readmeLibraryExample()
        #expect(outcome.isFinished && outcome.steps == 4000)
        #expect(try #require(outcome.finalMetrics["test_loss"]) < 0.1)
        #expect(outcome.events.contains { $0.kind == .breaking && $0.symmetry != nil })
    }

    @Test func theReadmeShowsTheTestedExampleVerbatim() throws {
        let source = try String(contentsOfFile: #filePath.replacingOccurrences(of: "LibraryTrainerTests.swift", with: "ReadmeLibraryExample.swift"), encoding: .utf8)
        let lines = source.components(separatedBy: "\n")
        let begin = try #require(lines.firstIndex { $0.contains("// README example begin") })
        let end = try #require(lines.firstIndex { $0.contains("// README example end") })
        let body = lines[(begin + 1)..<end].map { String($0.dropFirst(4)) }
        let readme = try String(contentsOfFile: CheckPython.repositoryFile("README.md"), encoding: .utf8).components(separatedBy: "\n")
        let marker = try #require(readme.firstIndex { $0.contains("<!-- tested: Tests/NoetherLabTests/ReadmeLibraryExample.swift -->") })
        #expect(readme[marker + 1] == "```swift")
        let close = try #require(readme[(marker + 2)...].firstIndex { $0 == "```" })
        let shown = Array(readme[(marker + 2)..<close])
        #expect(shown == ["import Noether", ""] + body)
        #expect(shown.count <= 15)
    }

    /// A hidden layer of four units; `dead` of them zero (incoming row, bias, outgoing column).
    static func parameters(dead: Int) throws -> Parameters<Float> {
        var model = try Model<Float>(.mlp(MLPSpec(input: 3, hidden: [4], output: 2)), generator: RandomGenerator(seed: 1))
        for unit in 0..<dead {
            var w0 = try #require(model.parameters["layers.0.weight"]), b0 = try #require(model.parameters["layers.0.bias"])
            var w1 = try #require(model.parameters["layers.1.weight"])
            for j in 0..<3 { w0[unit, j] = 0 }
            b0[unit] = 0
            for i in 0..<2 { w1[i, unit] = 0 }
            (model.parameters["layers.0.weight"], model.parameters["layers.0.bias"], model.parameters["layers.1.weight"]) = (w0, b0, w1)
        }
        return model.parameters
    }

    @Test func theMonitorReportsAChangeOnlyOnceItPersists() throws {
        let spec = ModelSpec.mlp(MLPSpec(input: 3, hidden: [4], output: 2))
        var monitor = SymmetryMonitor(catalogue: try SymmetryCatalogue.infer(spec, loss: .mse), persistence: 5)
        #expect(monitor.observe(try Self.parameters(dead: 0), step: 0, loss: 1).isEmpty)
        // A unit dies; four measurements are not enough, a return to the old state cancels.
        let oneDead = try Self.parameters(dead: 1)
        for step in 1...4 { #expect(monitor.observe(oneDead, step: step, loss: 0.5).isEmpty) }
        #expect(monitor.observe(try Self.parameters(dead: 0), step: 5, loss: 0.5).isEmpty)
        for step in 6...9 { #expect(monitor.observe(oneDead, step: step, loss: 0.4).isEmpty) }
        let events = monitor.observe(oneDead, step: 10, loss: 0.3)
        let dead = try #require(events.first { $0.quantity == "dead" })
        #expect(dead.kind == .restoration && dead.symmetry == .rescaling)
        #expect((dead.step, dead.detectedAt, dead.before, dead.after, dead.loss) == (6, 10, 0, 1, 0.4))
        // The new state is the reference now: staying there is no further event.
        #expect(monitor.observe(oneDead, step: 11, loss: 0.3).isEmpty)
    }

    @Test func inMemoryTensorsTrainWithoutFiles() throws {
        // y = 2·x₀ − x₁ on 256 random points, a linear model.
        var generator = RandomGenerator(seed: 4)
        let inputs = Tensor<Float>.normal([256, 2], using: &generator)
        let targets = Tensor<Float>(shape: [256, 1], scalars: (0..<256).map { 2 * inputs[$0, 0] - inputs[$0, 1] })
        let model = try Model<Float>(.mlp(MLPSpec(input: 2, hidden: [], output: 1)), generator: RandomGenerator(seed: 0))
        let trainer = Trainer(model: model, data: TrainingData(inputs: inputs, targets: targets),
                              optimizer: OptimizerSpec(kind: .sgd, learningRate: 0.1), training: TrainingSpec(steps: 300, batchSize: 32))
        let outcome = try trainer.run()
        #expect(try #require(outcome.finalMetrics["train_loss"]) < 1e-6)
        #expect(outcome.finalMetrics["test_loss"] == nil, "no test set given, none evaluated")
        let weight = try #require(outcome.model.parameters["layers.0.weight"])
        #expect(abs(weight[0, 0] - 2) < 1e-3 && abs(weight[0, 1] + 1) < 1e-3)
    }

    @Test func theConfigPathIsTheSameTrainerCall() throws {
        var config = try staircaseConfig(steps: 300)
        config.track.enabled = false
        let viaConfig = try ConfigTrainer(config: config).run()
        let generator = RandomGenerator(seed: config.seed)
        let split = try config.data.load(using: generator.derived("data"))
        let model = try Model<Float>(config.model, initializer: config.initializer, generator: generator.derived("init"))
        let direct = try Trainer(model: model, data: TrainingData(split), optimizer: config.optimizer, schedule: config.schedule,
                                 training: config.training, loss: config.loss, seed: config.seed).run()
        #expect(direct.model.parameters.bitwiseEquals(viaConfig.parameters))
        #expect(values(direct.log.metrics) == values(viaConfig.metrics))
    }

    @Test func aCallbackCanOfferTheStateToResumeFrom() throws {
        final class Keeper: TrainingCallback {
            var kept: TrainingCheckpoint?
            var offer: TrainingCheckpoint?
            func resumePoint(for model: Model<Float>, optimizer: OptimizerSpec) -> TrainingCheckpoint? { offer }
            func stepDidEnd(_ state: TrainingState) { if state.step == 120 { kept = state.checkpoint() } }
        }
        var config = try staircaseConfig(steps: 300)
        config.optimizer.gradientNoise = 0.01
        let split = try config.data.load(using: RandomGenerator(seed: config.seed).derived("data"))
        let model = try Model<Float>(config.model, initializer: config.initializer, generator: RandomGenerator(seed: 9))
        let keeper = Keeper()
        var trainer = Trainer(model: model, data: TrainingData(split), optimizer: config.optimizer, training: config.training, callbacks: [keeper])
        let whole = try trainer.run()
        keeper.offer = try #require(keeper.kept)
        let resumed = try trainer.run()
        #expect(resumed.model.parameters.bitwiseEquals(whole.model.parameters))
        #expect(values(resumed.log.metrics) == values(whole.log.metrics))
    }
}
