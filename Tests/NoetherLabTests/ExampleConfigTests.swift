import Foundation
import Testing
@testable import NoetherLab
@testable import NoetherSweeps
@testable import NoetherTraining
import NoetherSymmetry

/// Every config in `examples/` loads and trains, and the staircase example tells the story the
/// README tells about it.
@Suite("The examples run")
struct ExampleConfigTests {
    /// The repository's `examples/*.yaml`.
    static var examples: [String] {
        let folder = CheckPython.repositoryFile("examples")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { "\(folder)/\($0)" }
    }

    @Test func theExamplesFolderHoldsConfigs() {
        #expect(Self.examples.count >= 8, "examples/: \(Self.examples)")
    }

    @Test(arguments: ExampleConfigTests.examples)
    func everyExampleTrainsForAFewSteps(_ path: String) throws {
        var config = try ConfigLoader.load(RunConfig.self, from: path)
        // A few steps on a slice of the data: what is checked is that the config is whole.
        config.training.steps = 4
        config.training.evalEvery = 2
        config.training.checkpointEvery = 0
        config.training.evalSamples = min(config.training.evalSamples, 256)
        config.data.train = min(config.data.train ?? 512, 512)
        config.data.test = min(config.data.test ?? 256, 256)
        config.track.every = 2
        let result = try ConfigTrainer(config: config).run()
        #expect(result.summary.status == "completed" && result.summary.steps == 4)
        #expect(result.metrics.contains { $0.name == "train_loss" && $0.value.isFinite })
        #expect(!result.catalogue.isEmpty && result.symmetryReport != nil)
    }

    @Test func theStaircaseExampleBreaksSymmetryFromSmallInit() throws {
        // README: "noether train examples/staircase.yaml" learns term by term from near θ = 0,
        // so its events are breakings (neurons growing away from θ = 0), not restorations.
        var config = try ConfigLoader.load(RunConfig.self, from: CheckPython.repositoryFile("examples/staircase.yaml"))
        config.training.steps = 3000
        let result = try ConfigTrainer(config: config).run()
        let symmetric = result.events.filter { $0.symmetry != nil }
        let breaking = symmetric.filter { $0.kind == .breaking }
        #expect(!breaking.isEmpty)
        #expect(breaking.count > symmetric.count - breaking.count, "\(result.events.map(\.summary))")
        #expect(symmetric.first?.kind == .breaking, "\(result.events.map(\.summary))")
        // A ReLU layer's rank moves no parameter symmetry: its events carry none.
        #expect(result.events.filter { $0.quantity == "rank" }.allSatisfy { $0.symmetry == nil })
        #expect(result.events.filter { $0.quantity == "distinct" }.allSatisfy { $0.symmetry == .permutation })
    }
}
