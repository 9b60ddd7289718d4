import OrderedCollections
import Foundation
import Testing
@testable import NoetherLab
import NoetherIO
import NoetherTensor
import NoetherTraining

/// `noether track` on checkpoint series written here with planted structure.
@Suite("Symmetry timelines of runs trained elsewhere")
struct SymmetryTimelineTests {
    /// An nn.Sequential MLP 8-16-10 whose first weight has rank `rank` (Gaussian factors), the
    /// second fixed; written as a safetensors file.
    static func checkpoint(rank: Int, to path: String, metadata: [String: String] = [:]) throws {
        var generator = RandomGenerator(seed: UInt64(rank))
        let first = Tensor<Float>.normal([16, rank], using: &generator).matmul(Tensor<Float>.normal([rank, 8], using: &generator))
        var fixed = RandomGenerator(seed: 99)
        let tensors: OrderedDictionary<String, Tensor<Float>> = [
            "0.weight": first, "0.bias": Tensor.normal([16], using: &fixed),
            "2.weight": Tensor.normal([10, 16], using: &fixed), "2.bias": Tensor.normal([10], using: &fixed),
        ]
        try SafetensorsFile.write(tensors, metadata: metadata, to: path)
    }

    static func folder(_ name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("noether-track-\(name)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    // Ranks 2, 2, 4, 4, 6 at steps 0–400: breaking events of layer 0's rank at 200 and 400,
    // and nothing else changes.
    @Test func plantedRankIncreasesAreBreakingEventsAtTheirSteps() throws {
        let directory = try Self.folder("planted")
        for (step, rank) in zip([0, 100, 200, 300, 400], [2, 2, 4, 4, 6]) {
            try Self.checkpoint(rank: rank, to: "\(directory)/step-\(step).safetensors")
        }
        let series = try CheckpointSeries([directory])
        #expect(series.checkpoints.map(\.step) == [0, 100, 200, 300, 400])
        let timeline = try SymmetryTimeline(series)
        let rankEvents = timeline.events.filter { $0.quantity == "rank" }
        #expect(rankEvents.map(\.step) == [200, 400], "\(timeline.events.map(\.summary))")
        #expect(rankEvents.allSatisfy { $0.kind == .breaking && $0.layer == rankEvents.first?.layer })
        #expect(rankEvents.map { [$0.before, $0.after] } == [[2, 4], [4, 6]])
        let ranks = timeline.metrics.filter { $0.name == "\(rankEvents.first?.layer ?? "")/rank" }.map(\.value)
        #expect(ranks == [2, 2, 4, 4, 6])

        let out = "\(directory)/timeline"
        try timeline.write(to: out, name: "planted")
        let events = try SymmetryEventLog.read("\(out)/events.jsonl")
        #expect(events.filter { $0.quantity == "rank" }.map(\.step) == [200, 400])
        let html = try String(contentsOfFile: "\(out)/report.html", encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("per layer") && html.contains("200</td>"))
        #expect(RunDirectory(out).summary()?.steps == 400)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).contains { $0.hasPrefix("events.out.tfevents") })
    }

    // Hugging Face Trainer folders: steps from checkpoint-N, losses from trainer_state.json.
    @Test func trainerFoldersGiveStepsAndLosses() throws {
        let directory = try Self.folder("hf")
        for (step, rank) in [(500, 3), (1000, 5)] {
            try FileManager.default.createDirectory(atPath: "\(directory)/checkpoint-\(step)", withIntermediateDirectories: true)
            try Self.checkpoint(rank: rank, to: "\(directory)/checkpoint-\(step)/model.safetensors")
        }
        let state = #"{"global_step": 1000, "log_history": [{"step": 500, "loss": 1.5, "epoch": 1.0}, {"step": 1000, "loss": 0.5, "eval_loss": 0.7}]}"#
        try Data(state.utf8).write(to: URL(fileURLWithPath: "\(directory)/checkpoint-1000/trainer_state.json"))
        let series = try CheckpointSeries(["\(directory)/checkpoint-*"])
        #expect(series.checkpoints.map(\.step) == [500, 1000])
        let losses = try LossHistory.read("\(directory)/checkpoint-1000/trainer_state.json")
        #expect(losses.map { "\($0.step) \($0.name) \($0.value)" } == ["500 train_loss 1.5", "1000 test_loss 0.7", "1000 train_loss 0.5"])
        let timeline = try SymmetryTimeline(series, losses: losses)
        let event = try #require(timeline.events.first { $0.quantity == "rank" })
        #expect(event.step == 1000 && event.loss == 0.5)
    }

    @Test func stepsComeFromNamesMetadataOrTheFlag() throws {
        #expect(CheckpointSeries.step(fromName: "runs/x/checkpoint-1500") == 1500)
        #expect(CheckpointSeries.step(fromName: "epoch_3.safetensors") == 3)
        #expect(CheckpointSeries.step(fromName: "model_global_step12000.safetensors") == 12000)
        #expect(CheckpointSeries.step(fromName: "weights.safetensors") == nil)
        let directory = try Self.folder("steps")
        try Self.checkpoint(rank: 2, to: "\(directory)/a.safetensors", metadata: ["step": "7"])
        try Self.checkpoint(rank: 3, to: "\(directory)/b.safetensors", metadata: ["step": "3"])
        #expect(try CheckpointSeries([directory]).checkpoints.map(\.step) == [3, 7])
        #expect(try CheckpointSeries([directory], steps: [10, 20]).checkpoints.map { ($0.path as NSString).lastPathComponent } == ["a.safetensors", "b.safetensors"])
        #expect(throws: RunError.self) { try CheckpointSeries([directory], steps: [10]) }
        try Self.checkpoint(rank: 2, to: "\(directory)/c.safetensors")
        #expect(throws: RunError.self) { try CheckpointSeries([directory]) }
        #expect(throws: RunError.self) { try CheckpointSeries(["\(directory)/nothing-*.safetensors"]) }
    }
}
