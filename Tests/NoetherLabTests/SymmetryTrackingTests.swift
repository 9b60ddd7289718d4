import Foundation
import Testing
@testable import NoetherLab
@testable import NoetherSweeps
@testable import NoetherTraining
import NoetherNN
import NoetherSymmetry

func config(_ yaml: String) throws -> RunConfig {
    try ConfigLoader.decode(RunConfig.self, from: yaml, format: .yaml, source: "test.yaml")
}

/// The last value of a metric.
func last(_ name: String, _ result: TrainingResult) -> Double? { result.metrics.last { $0.name == name }?.value }

let collapsingRun = """
name: collapse
model: {kind: mlp, input: 10, hidden: [32], output: 1}
data: {kind: teacher_student, dimension: 10, teacher_width: 2, train: 500, test: 200}
optimizer: {learning_rate: 0.05, weight_decay: 0.1}
training: {steps: 4000, batch_size: 100, eval_every: 1000}
"""

@Suite("Symmetry tracking and control during training")
struct SymmetryTrackingTests {
    @Test func syreIsMeasuredOnTheLearnedPartAndStartsInitMatched() throws {
        let vanilla = try ConfigTrainer(config: try config(collapsingRun)).run()
        let syre = try ConfigTrainer(config: try config(collapsingRun + "\ncontrol: {syre: {sigma: 0.01}}\ntrack: {functional: 300}")).run()
        let vanillaDistinct = try #require(last("layers.0/distinct", vanilla))
        #expect(vanillaDistinct <= 16, "weight decay should merge neurons: \(vanillaDistinct) of 32 distinct")
        // Function-level units are measured on θ + θ₀ and exist for every unit.
        let functionalDistinct = try #require(last("layers.0/functional_distinct", syre))
        let functionalDead = try #require(last("layers.0/functional_dead", syre))
        #expect(functionalDistinct >= 1 && functionalDistinct + functionalDead <= 32)
        // Init-matched: θ + θ₀ at step 0 is the vanilla init, so one step of each differs only by
        // the decay pulling θ (not θ + θ₀) to zero.
        var zero = try config(collapsingRun + "\ncontrol: {syre: {sigma: 0.01}}")
        zero.training.steps = 1
        zero.optimizer.weightDecay = 0
        var plainZero = try config(collapsingRun)
        plainZero.training.steps = 1
        plainZero.optimizer.weightDecay = 0
        let a = try ConfigTrainer(config: zero).run().parameters, b = try ConfigTrainer(config: plainZero).run().parameters
        for (name, tensor) in a.tensors {
            let other = try #require(b[name])
            let difference = zip(tensor.scalars, other.scalars).map { abs($0 - $1) }.max() ?? 0
            #expect(difference < 1e-6, "\(name): \(difference)")
        }
        // syre-AR with b = 0 is syre, exactly; b > 0 is not.
        var ar0 = try config(collapsingRun + "\ncontrol: {syre: {sigma: 0.01, ar_bound: 0}}")
        ar0.training.steps = 10
        var ar = try config(collapsingRun + "\ncontrol: {syre: {sigma: 0.01, ar_bound: 0.5}}")
        ar.training.steps = 10
        var plain = try config(collapsingRun + "\ncontrol: {syre: {sigma: 0.01}}")
        plain.training.steps = 10
        let plainParameters = try ConfigTrainer(config: plain).run().parameters
        #expect(try ConfigTrainer(config: ar0).run().parameters.bitwiseEquals(plainParameters))
        #expect(try !ConfigTrainer(config: ar).run().parameters.bitwiseEquals(plainParameters))
    }

    @Test func breakingEventsCoincideWithLossDropsOnlyFromSmallInit() throws {
        let yaml = """
        name: staircase-events
        model: {kind: mlp, input: 20, hidden: [32], output: 1}
        init: {scale: 0.01}
        data: {kind: staircase, dimension: 20, degree: 3, train: 1000, test: 500}
        optimizer: {learning_rate: 0.05}
        training: {steps: 1500, batch_size: 100, eval_every: 50}
        track: {every: 50, thresholds: {dead_absolute: 0.1, rank_absolute: 0.1}}
        """
        let small = try ConfigTrainer(config: try config(yaml)).run()
        let losses = small.metrics.filter { $0.name == "train_loss" }
        let plateaus = LossCurves.plateauRanges(losses.map(\.value), minimumLength: 4, floor: 1e-4).map {
            (firstStep: losses[$0.evaluations.lowerBound].step, lastStep: losses[$0.evaluations.upperBound - 1].step)
        }
        #expect(!plateaus.isEmpty)
        let breaking = small.events.filter { $0.kind == .breaking }
        // Each plateau ends where a symmetry breaks: a breaking event within one evaluation
        // interval of the plateau's last step.
        for plateau in plateaus {
            #expect(breaking.contains { abs($0.step - plateau.lastStep) <= 50 },
                    "no breaking event near the end of the plateau at \(plateau): \(breaking.map(\.step))")
        }
        // From the standard scale the symmetry is broken from the start: no breaking events.
        let large = try ConfigTrainer(config: try config(yaml.replacingOccurrences(of: "scale: 0.01", with: "scale: 1.0"))).run()
        #expect(large.events.filter { $0.kind == .breaking }.isEmpty)
    }

    @Test func trackerWritesMetricsAndEventsAndResumesExactly() throws {
        let yaml = """
        name: tracked
        model: {kind: mlp, input: 20, hidden: [16], output: 1}
        init: {scale: 0.01}
        data: {kind: staircase, dimension: 20, degree: 2, train: 400, test: 100}
        optimizer: {learning_rate: 0.05}
        training: {steps: 600, batch_size: 100, eval_every: 50, checkpoint_every: 200}
        track: {every: 25, thresholds: {dead_absolute: 0.1, rank_absolute: 0.1}, persistence: 3}
        """
        let uninterrupted = try ConfigTrainer(config: try config(yaml)).run()
        let names = Set(uninterrupted.metrics.map(\.name))
        for name in ["layers.0/dead", "layers.0/distinct", "layers.0/sign_paired", "layers.0/rank", "layers.0/effective_rank",
                     "layers.0/degree_of_symmetry", "model/degree_of_symmetry", "layers.0/permutation/delta",
                     "layers.0/rescaling/delta_group", "layers.0/rescaling/conserved_drift"] {
            #expect(names.contains(name), "missing metric \(name)")
        }
        #expect(uninterrupted.metrics.contains { $0.name == "layers.0/dead" && $0.step == 0 })
        #expect(!uninterrupted.events.isEmpty)

        let directory = temporaryDirectory()
        _ = try ConfigTrainer(config: try config(yaml), options: TrainingOptions(directory: directory, stopAfterSteps: 450)).run()
        let resumed = try ConfigTrainer(config: try config(yaml), options: TrainingOptions(directory: directory)).run()
        #expect(resumed.parameters.bitwiseEquals(uninterrupted.parameters))
        let written = try SymmetryEventLog.read(RunDirectory(directory).eventsPath)
        #expect(written == uninterrupted.events)
        #expect(values(try MetricRecord.read(RunDirectory(directory).metricsPath)) == values(uninterrupted.metrics))
    }

    @Test func trackingCanBeSwitchedOff() throws {
        var quiet = try staircaseConfig(steps: 100)
        quiet.track.enabled = false
        let result = try ConfigTrainer(config: quiet).run()
        #expect(!result.metrics.contains { $0.name.contains("/") })
        #expect(result.events.isEmpty)
    }

    @Test func theResultCarriesTheCatalogueAndTheFinalReport() throws {
        let run = try staircaseConfig(steps: 100)
        let result = try ConfigTrainer(config: run).run()
        let catalogue = try SymmetryCatalogue.infer(run.model, loss: .mse)
        #expect(result.catalogue == catalogue)
        let report = try #require(result.symmetryReport)
        let fresh = SymmetryAnalysis.analyze(result.parameters, catalogue: catalogue, thresholds: run.track.thresholds)
        #expect(report.layers == fresh.layers && report.degreeOfSymmetry == fresh.degreeOfSymmetry)
        #expect(last("model/degree_of_symmetry", result) == report.degreeOfSymmetry)
        // A finished run found again returns them as well.
        let directory = temporaryDirectory()
        _ = try ConfigTrainer(config: run, options: TrainingOptions(directory: directory)).run()
        let again = try ConfigTrainer(config: run, options: TrainingOptions(directory: directory)).run()
        #expect(again.wasAlreadyComplete && again.catalogue == catalogue)
        #expect(again.symmetryReport?.layers == report.layers)
    }
}
