import ArgumentParser
import Foundation
import Noether

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model from a YAML or JSON config and write a run directory.",
        discussion: """
        The run directory (config `output`, else runs/<name>, or --out) receives config.json, \
        metrics.jsonl, checkpoints/, weights.safetensors and summary.json. Running the same \
        command again resumes an interrupted run from its last checkpoint, or reports a finished one.
        """)

    @Argument(help: "The config file (.yaml, .yml or .json).")
    var config: String

    @Option(help: "The run directory (overrides the config's output).")
    var out: String?

    @Option(help: "Override the config's seed.")
    var seed: UInt64?

    @Option(help: "Override the number of training steps.")
    var steps: Int?

    @Flag(help: "Discard an earlier run in the directory instead of resuming it.")
    var restart = false

    @Flag(help: "Print the summary as JSON.")
    var json = false

    @Option(name: .customLong("max-memory"), help: "Refuse a config whose memory estimate exceeds this (e.g. 8G, 512M; default: 3/4 of physical memory).")
    var maxMemory: String?

    @OptionGroup var store: StoreOption

    func validate() throws {
        if let steps, steps <= 0 { throw ValidationError("--steps must be positive") }
        if let maxMemory, MemoryEstimate.parseSize(maxMemory) == nil {
            throw ValidationError("--max-memory '\(maxMemory)' is not a size such as 8G, 512M or 1000000")
        }
        if let out, out.isEmpty { throw ValidationError("--out must name a directory, not an empty path") }
    }

    func run() throws {
        try reportingErrors {
            var runConfig = try ConfigLoader.load(RunConfig.self, from: config)
            if let seed { runConfig.seed = seed }
            if let steps { runConfig.training.steps = steps }
            if let out { runConfig.output = out }
            let printsEvents = !json
            var options = TrainingOptions(
                directory: runConfig.directory, restart: restart, showsProgress: !json,
                onEvent: { event in
                    // Events go to stderr so that stdout holds only the result.
                    if printsEvents { ProgressReporter.writeLine(event.summary) }
                })
            options.maxMemory = maxMemory.flatMap(MemoryEstimate.parseSize)
            let result = try Trainer(config: runConfig, options: options).run()
            store.indexWarning([(runConfig.directory, nil)])
            if json {
                FileHandle.standardOutput.write(Trainer.summaryJSON(result.summary))
                print()
            } else {
                print(Self.describe(result, directory: runConfig.directory))
            }
        }
    }

    static func describe(_ result: TrainingResult, directory: String) -> String {
        let s = result.summary
        var lines = [result.wasAlreadyComplete ? "\(s.name): already complete in \(directory)" : "\(s.name): \(s.status) \(s.steps) steps in \(String(format: "%.1f", s.wallTimeSeconds)) s (\(String(format: "%.0f", s.stepsPerSecond)) steps/s)"]
        for name in ["train_loss", "test_loss", "train_accuracy", "test_accuracy"] {
            if let value = s.final[name] { lines.append("  \(name): \(String(format: "%.6g", value))") }
        }
        // Events of a parameter symmetry, and apart from them the rank changes of nonlinear
        // layers, which move none (DESIGN.md §3).
        let symmetric = result.events.filter { $0.symmetry != nil }
        let breaking = symmetric.filter { $0.kind == .breaking }.count
        let rankChanges = result.events.count - symmetric.count
        if !result.events.isEmpty {
            lines.append("  symmetry events: \(breaking) breaking, \(symmetric.count - breaking) restoration"
                         + (rankChanges > 0 ? "; \(rankChanges) rank changes of nonlinear layers" : "") + " (events.jsonl)")
        }
        lines.append("  run directory: \(directory)")
        return lines.joined(separator: "\n")
    }
}
