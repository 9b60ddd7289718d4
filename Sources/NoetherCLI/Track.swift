import ArgumentParser
import Foundation
import Noether

struct Track: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The symmetry timeline of a run trained elsewhere, from its series of checkpoints.",
        discussion: """
        CHECKPOINTS are safetensors files, checkpoint folders (a Hugging Face output folder's \
        checkpoint-N/), a folder of either, or glob patterns. The step of each comes from its name \
        (step-1000, checkpoint-1000, epoch_3), from its __metadata__ (step), or from --steps. Each \
        checkpoint is analysed as `noether analyze` does, and --out becomes a Noether run directory: \
        metrics.jsonl with the per-layer and per-head quantities in-house tracking records, \
        events.jsonl with breaking and restoration events, TensorBoard scalars, summary.json and \
        report.html. Loss curves come from a trainer_state.json found in the checkpoints (the last \
        one) or from --losses (trainer_state.json, CSV or JSON Lines with a step column).
        """)

    @Argument(help: "Checkpoints: files, folders or glob patterns.") var checkpoints: [String]
    @Option(help: "The run directory to write.") var out: String
    @Option(help: "The steps of the checkpoints in the order of their names, comma-separated (when names and metadata have none).")
    var steps: String?
    @Option(help: "A loss log: trainer_state.json, or CSV / JSON Lines with a step column.") var losses: String?
    @Option(help: "Attention heads per layer (overrides a config.json beside the weights).") var heads: Int?
    @Option(help: "Only layers whose name matches this regular expression.") var layers: String?
    @Option(help: "Checkpoints a change must hold for to count as an event.") var persistence = 1
    @OptionGroup var output: FormatOptions

    func validate() throws {
        if let heads, heads <= 0 { throw ValidationError("--heads must be positive") }
        guard persistence >= 1 else { throw ValidationError("--persistence must be at least 1") }
        guard !out.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--out must name a directory") }
    }

    func run() throws {
        let stepList = try steps.map { text in
            try text.split(separator: ",").map { field in
                guard let step = Int(field.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("--steps: '\(field)' is not an integer") }
                return step
            }
        }
        let series = try CheckpointSeries(checkpoints, steps: stepList)
        let lossFile = losses ?? series.checkpoints.reversed().lazy.map { "\($0.path)/trainer_state.json" }.first { FileManager.default.fileExists(atPath: $0) }
        let history = try lossFile.map(LossHistory.read) ?? []
        var options = SymmetryTimeline.Options()
        (options.heads, options.layers, options.persistence) = (heads, layers, persistence)
        let showsProgress = output.chosen == .table
        let timeline = try SymmetryTimeline(series, options: options, losses: history) { index, checkpoint in
            if showsProgress { ProgressReporter.writeLine("[\(index + 1)/\(series.checkpoints.count)] step \(checkpoint.step): \(checkpoint.path)") }
        }
        let name = (out as NSString).lastPathComponent
        try timeline.write(to: out, name: name)
        let result = TrackResult(directory: out, family: timeline.family, checkpoints: timeline.checkpoints.map(\.step),
                                 metrics: timeline.metrics.count, events: timeline.events, lossFile: lossFile)
        try output.print(result, table: { result.table }, csv: {
            CSVTable(header: ["step", "layer", "quantity", "kind", "before", "after", "detected_at"], rows: timeline.events.map {
                [String($0.step), $0.layer, $0.quantity, $0.kind.rawValue, String($0.before), String($0.after), String($0.detectedAt)]
            })
        })
    }
}

/// What `noether track` prints.
struct TrackResult: Encodable {
    let directory: String
    let family: String
    let checkpoints: [Int]
    let metrics: Int
    let events: [SymmetryEvent]
    let lossFile: String?

    enum CodingKeys: String, CodingKey { case directory, family, checkpoints, metrics, events, lossFile = "loss_file" }

    var table: String {
        var lines = ["\(checkpoints.count) checkpoints (steps \(checkpoints.map(String.init).joined(separator: ", "))), family \(family)"
            + (lossFile.map { "; losses from \($0)" } ?? "")]
        lines.append("\(metrics) metric values, \(events.count) events:")
        for event in events { lines.append("  \(event.summary)") }
        lines.append("run directory: \(directory) (report.html, metrics.jsonl, events.jsonl, TensorBoard)")
        return lines.joined(separator: "\n")
    }
}
