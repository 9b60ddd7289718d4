import Foundation
import Testing
@testable import NoetherLab

/// The repository's experiments folder.
let experimentsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("experiments").path

func runQuick(_ id: String) throws -> (ExperimentSummary, String) {
    let spec = try ExperimentSpec.load(id, from: experimentsDirectory)
    let directory = temporaryDirectory() + "/\(id)-quick"
    return (try ExperimentRunner(spec: spec, quick: true, directory: directory).run(), directory)
}

@Suite("The paper's experiments")
struct ExperimentTests {
    @Test func everyExperimentConfigLoadsAndExpands() throws {
        for id in ExperimentSpec.identifiers {
            let spec = try ExperimentSpec.load(id, from: experimentsDirectory)
            #expect(spec.id == id)
            #expect(!spec.ours.isEmpty && !spec.criterion.isEmpty)
            #expect(ExperimentAnalyses.named(spec.analysis) != nil, "\(id): analysis \(spec.analysis)")
            let full = try spec.configurations(quick: false, seed: nil)
            let quick = try spec.configurations(quick: true, seed: 3)
            #expect(full.count == spec.runs.count && !quick.isEmpty)
            #expect(quick.allSatisfy { $0.config.seed == 3 && $0.config.name.hasPrefix("\(id)-") })
            for (_, config) in full + quick { try config.validate() }
        }
    }

    @Test func e1SaddleToSaddleHoldsInQuickForm() throws {
        let (summary, directory) = try runQuick("E1")
        #expect(summary.experiment == "E1" && summary.quick)
        #expect(summary.holds)
        #expect(try #require(summary.evidence["test loss ratio small/large init"]?.number) < 0.1)
        for file in ["summary.json", "figures.json", "report.html"] { #expect(FileManager.default.fileExists(atPath: "\(directory)/\(file)")) }
        let html = try String(contentsOfFile: "\(directory)/report.html", encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("symmetry event") && html.contains("The claim holds"))
        // Reports rebuild from their JSON; a second reproduce resumes the finished runs.
        try FileManager.default.removeItem(atPath: "\(directory)/report.html")
        #expect(try ReportWriter.rebuild(directory).holds)
        #expect(FileManager.default.fileExists(atPath: "\(directory)/report.html"))
        let again = try ExperimentRunner(spec: try ExperimentSpec.load("E1", from: experimentsDirectory), quick: true, directory: directory).run()
        #expect(again.evidence == summary.evidence)
    }

    @Test func e4CapacityHoldsInQuickForm() throws {
        let (summary, _) = try runQuick("E4")
        #expect(summary.holds)
        let values = summary.evidence["distinct neurons"]?.array ?? []
        let distinct = values.compactMap { $0.number }
        #expect(distinct.count == 3 && (distinct.max() ?? 0) <= 1.2 * (distinct.first ?? 0))
    }

    @Test func e6NeuralCollapseSummaryInQuickForm() throws {
        // The vanilla model collapses; syre, fitting as well, collapses less (the quick form's
        // ratio is about 1.4, well clear of the criterion's 1.1).
        let (summary, directory) = try runQuick("E6")
        let first = try #require(summary.evidence["vanilla NC1 first → last"]?.array?.first?.number)
        let last = try #require(summary.evidence["vanilla: final nc1"]?.number)
        #expect(last < 0.5 * first, "the vanilla model collapses")
        let ratio = try #require(summary.evidence["NC1 syre / vanilla at the end"]?.number)
        let gap = try #require(summary.evidence["train accuracy vanilla − syre"]?.number)
        #expect(ratio >= 1.1 && gap <= 0.03)
        #expect(summary.holds)
        let html = try String(contentsOfFile: "\(directory)/report.html", encoding: .utf8)
        #expect(html.contains("sample correlations"))
    }

    @Test func runStoreRebuildsTheSameIndex() throws {
        let (_, directory) = try runQuick("E1")
        let path = temporaryDirectory() + "/store.sqlite"
        let store = try RunStore(path: path)
        for run in ["init-0.01", "init-1"] { try store.index(run: "\(directory)/runs/\(run)", experiment: "E1") }
        let before = try store.runs()
        #expect(before.count == 2 && before.allSatisfy { $0.experiment == "E1" && $0.status == "completed" })
        #expect(try store.metrics(of: before[0].id).count > 100)
        try FileManager.default.removeItem(atPath: path)
        let rebuilt = try RunStore(path: path)
        #expect(try rebuilt.importDirectory((directory as NSString).deletingLastPathComponent) == 2)
        #expect(try rebuilt.runs() == before)
        #expect(throws: RunError.self) { try rebuilt.run("no-such-run") }
    }

    @Test func overridesAreStrict() throws {
        let base = try staircaseConfig(steps: 10)
        let changed = try ConfigOverrides.apply(["optimizer.weight_decay": 0.5, "model.hidden": [8]], to: base, source: "test")
        #expect(changed.optimizer.weightDecay == 0.5)
        #expect(changed.model.inputCount == 20)
        #expect(throws: RunError.self) { try ConfigOverrides.apply(["optimizer.weight_decy": 0.5], to: base, source: "test") }
    }
}
