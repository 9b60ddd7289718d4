import Foundation
import Testing
@testable import NoetherLab
@testable import NoetherTraining

/// Every experiment's summary.json follows the contract of issue 12. Each quick form runs through
/// its own analysis and the summary writer, shrunk further (fewer steps, fewer images, shorter
/// simulations) so that all twelve fit in a debug test run: the verdicts of these smoke forms
/// mean nothing, the schema is what is checked.
@Suite("Every experiment's summary")
struct ExperimentSchemaTests {
    /// Ten Gaussian classes in 784 dimensions in place of Fashion-MNIST: the image experiments'
    /// models (MLPs and the 1 × 28 × 28 CNN) take them unchanged, without a debug-build image load per run.
    static let imageSized: [String: JSONValue] = ["data.kind": "gaussian_mixture", "data.dimension": 784, "data.classes": 10]

    /// What each experiment is shrunk by: overrides forced into every run, and analysis
    /// parameters over the quick form's.
    static let shrink: [String: (overrides: [String: JSONValue], parameters: [String: JSONValue])] = [
        "E1": (["training.steps": 150], [:]),
        "E2": (["training.steps": 200], [:]),
        "E3": (["training.steps": 100], ["converge_steps": 200]),
        "E4": (["training.steps": 60, "data.train": 200], [:]),
        "E5": (["training.steps": 60], [:]),
        "E6": (["training.steps": 60, "track.every": 30, "data.train": 300], [:]),
        "E7": (imageSized.merging(["training.steps": 30, "data.train": 300, "data.test": 300]) { $1 }, ["probe_samples": 200]),
        "E8": (imageSized.merging(["training.steps": 10, "training.batch_size": 32, "training.snapshot_every": 5, "training.eval_every": 10,
                                   "data.train": 100, "data.test": 100]) { $1 }, ["probe_samples": 100]),
        "E9": (["training.steps": 50], [:]),
        "E10": (["training.steps": 20], [:]),
        "E11": ([:], ["converge_steps": 100, "check_steps": 20, "max_steps": 100]),
        "E12": ([:], ["converge_steps": 50, "observe_steps": 50, "bisection_steps": 2]),
        "E13": (imageSized.merging(["training.steps": 30, "data.train": 300, "data.test": 200]) { $1 }, ["points": 5, "train_samples": 200]),
        "E14": (imageSized.merging(["training.steps": 30, "data.train": 300, "data.test": 200]) { $1 }, ["samples": 200]),
        "E15": (["training.steps": 150], [:]),
    ]

    @Test(arguments: ExperimentSpec.identifiers)
    func summaryFollowsTheContract(_ id: String) throws {
        var spec = try ExperimentSpec.load(id, from: experimentsDirectory)
        let shrink = try #require(Self.shrink[id], "\(id) has a shrunk form in this test")
        var quick = spec.quick ?? ExperimentSpec.Quick()
        quick.parameters = (quick.parameters ?? [:]).merging(shrink.parameters) { $1 }
        spec.quick = quick
        let directory = temporaryDirectory() + "/\(id)-smoke"
        var runner = ExperimentRunner(spec: spec, quick: true, directory: directory)
        runner.overrides = shrink.overrides
        let summary = try runner.run()
        try expectContract(summary, directory: directory)
        #expect(summary.experiment == id)
        #expect(summary.seeds.allSatisfy { $0.reason != nil || $0.verdict == .holds }, "a seed that does not hold says why")

        // The file itself: every key of the contract, with the types it promises.
        let data = try #require(FileManager.default.contents(atPath: "\(directory)/summary.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["experiment", "claim", "criterion", "verdict", "holds", "seeds", "controls", "effects", "predictions", "settings", "ours"] {
            #expect(json[key] != nil, "\(id): summary.json has \(key)")
        }
        #expect(["holds", "does not hold", "inconclusive"].contains(json["verdict"] as? String ?? ""))
        #expect((json["holds"] as? Bool) == (json["verdict"] as? String == "holds"))
        let seeds = try #require(json["seeds"] as? [[String: Any]])
        #expect(seeds.count >= 2 && seeds.allSatisfy { $0["seed"] != nil && $0["verdict"] is String && $0["evidence"] is [String: Any] })
        let controls = try #require(json["controls"] as? [[String: Any]])
        #expect(!controls.isEmpty && controls.allSatisfy {
            $0["name"] is String && $0["cause_removed"] is String && $0["verdict"] is String && $0["evidence"] is [String: Any]
        })
        let effects = try #require(json["effects"] as? [[String: Any]])
        #expect(effects.allSatisfy { $0["name"] is String && $0["mean"] != nil && ($0["ci95"] as? [Any])?.count == 2 && $0["n"] is Int })
        let predictions = try #require(json["predictions"] as? [[String: Any]])
        #expect(predictions.allSatisfy { $0["name"] is String && $0["predicted"] != nil && $0["observed"] != nil })
        #expect(json["settings"] is [String: Any] && json["ours"] is [String])
    }
}
