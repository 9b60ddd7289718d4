import Foundation
import Testing
@testable import NoetherLab
@testable import NoetherSweeps
@testable import NoetherTraining
import NoetherIO
import NoetherNN
import NoetherSymmetry
import NoetherTensor

@Suite("Model files from training runs")
struct ModelFileTests {
    @Test func runsWriteTensorBoardEventsReadableBack() throws {
        let directory = temporaryDirectory()
        _ = try ConfigTrainer(config: try staircaseConfig(steps: 200), options: TrainingOptions(directory: directory)).run()
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("events.out.tfevents") }
        #expect(files.count == 1)
        let events = try TensorBoardReader.events(at: "\(directory)/\(try #require(files.first))")
        #expect(events.first?.content == .fileVersion("brain.Event:2"))
        let losses = events.compactMap { event -> Int64? in
            if case .scalar("train_loss", _) = event.content { return event.step }
            return nil
        }
        #expect(losses == [100, 200])
        #expect(events.contains { if case .histogram("layers.0.weight", _) = $0.content { true } else { false } })
    }

    @Test func trainingCanStartFromExportedWeights() throws {
        let first = temporaryDirectory()
        let trained = try ConfigTrainer(config: try staircaseConfig(steps: 300), options: TrainingOptions(directory: first)).run()
        var next = try staircaseConfig(steps: 1)
        next.initializer.from = "\(first)/weights.safetensors"
        next.optimizer.learningRate = 1e-12
        let continued = try ConfigTrainer(config: next).run()
        for name in trained.parameters.names {
            #expect(continued.parameters[name]!.isApproximatelyEqual(to: trained.parameters[name]!, absoluteTolerance: 1e-6))
        }
        // A run directory works too; weights of another architecture do not.
        next.initializer.from = first
        _ = try ConfigTrainer(config: next).run()
        next.model = .mlp(MLPSpec(input: 20, hidden: [8], output: 1))
        #expect { try ConfigTrainer(config: next).run() } throws: { "\($0)".contains("does not fit the model") }
    }

    @Test func analyzeARunDirectoryUsesItsExactModel() throws {
        let directory = temporaryDirectory()
        _ = try ConfigTrainer(config: try staircaseConfig(steps: 100), options: TrainingOptions(directory: directory)).run()
        let report = try WeightAnalysis.analyze(directory)
        #expect(report.model.family == "noether")
        let first = try #require(report.layers.first { $0.name == "layers.0" })
        #expect(first.status == "ok" && first.dead != nil && first.distinct != nil && first.rank != nil)
        #expect(report.layers.allSatisfy { $0.status == "ok" || $0.status.hasPrefix("skipped: ") })
        let filtered = try WeightAnalysis.analyze(directory, layers: "layers\\.1")
        #expect(filtered.layers.map(\.name) == ["layers.1"])
        #expect(throws: RunError.self) { try WeightAnalysis.analyze(directory, layers: "(") }
    }

    @Test func analyzeARunDirectoryWithItsOwnThresholdsMatchesItsMetrics() throws {
        // A small-init run tracks with absolute thresholds; analysing its directory must give
        // the degree of symmetry its metrics end with, not a relative-threshold one.
        var config = try staircaseConfig(steps: 200)
        config.initializer.scale = 0.01
        config.track.thresholds = SymmetryThresholds.defaults(initScale: 0.01)
        let directory = temporaryDirectory()
        let result = try ConfigTrainer(config: config, options: TrainingOptions(directory: directory)).run()
        let report = try WeightAnalysis.analyze(directory)
        #expect(report.thresholds == config.track.thresholds)
        let row = try #require(report.layers.first { $0.name == "layers.0" })
        let tracked = try #require(result.symmetryReport?.layers.first { $0.layer == "layers.0" })
        #expect(row.degreeOfSymmetry == tracked.degreeOfSymmetry && row.dead == tracked.neurons?.dead)
        #expect(try WeightAnalysis.analyze(directory, thresholds: SymmetryThresholds()).thresholds == SymmetryThresholds())
    }
}
