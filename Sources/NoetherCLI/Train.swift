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

    @OptionGroup var output: FormatOptions

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
        var runConfig = try ConfigLoader.load(RunConfig.self, from: config)
        if let seed { runConfig.seed = seed }
        if let steps { runConfig.training.steps = steps }
        if let out { runConfig.output = out }
        // Progress and events only with the table: JSON and CSV are for programs.
        let printsEvents = output.chosen == .table
        var options = TrainingOptions(
            directory: runConfig.directory, restart: restart, showsProgress: printsEvents,
            onEvent: { event in
                // Events go to stderr so that stdout holds only the result.
                if printsEvents { ProgressReporter.writeLine(event.summary) }
            })
        options.maxMemory = maxMemory.flatMap(MemoryEstimate.parseSize)
        let result = try ConfigTrainer(config: runConfig, options: options).run()
        // The run directory is the truth: a store that cannot index it is a warning, not a failure.
        store.indexWarning([(runConfig.directory, nil)])
        try output.print(result.summary, table: { Self.describe(result, directory: runConfig.directory) }, csv: { Self.csv(result.summary) })
    }

    static func csv(_ s: RunSummary) -> CSVTable {
        .fields([("name", s.name), ("status", s.status), ("steps", String(s.steps)), ("config_hash", s.configHash),
                 ("parameter_count", String(s.parameterCount)), ("wall_time_seconds", csvNumber(s.wallTimeSeconds)),
                 ("steps_per_second", csvNumber(s.stepsPerSecond))]
                + s.final.keys.sorted().map { ("final.\($0)", csvNumber(s.final[$0])) })
    }

    static func describe(_ result: TrainingResult, directory: String) -> String {
        let s = result.summary
        var lines = [result.wasAlreadyComplete ? "\(s.name): already complete in \(directory)" : "\(s.name): \(s.status) \(s.steps) steps in \(String(format: "%.1f", s.wallTimeSeconds)) s (\(String(format: "%.0f", s.stepsPerSecond)) steps/s)"]
        for name in ["train_loss", "test_loss", "train_accuracy", "test_accuracy"] {
            if let value = s.final[name] { lines.append("  \(name): \(String(format: "%.6g", value))") }
        }
        // Events of a parameter symmetry, and apart from them the rank changes of nonlinear
        // layers, which move none (DESIGN.md §3).
        let changes = result.events.filter(\.isStateChange)
        let symmetric = changes.filter { $0.symmetry != nil }
        let breaking = symmetric.filter { $0.kind == .breaking }.count
        let rankChanges = changes.count - symmetric.count
        if !changes.isEmpty {
            lines.append("  symmetry events: \(breaking) breaking, \(symmetric.count - breaking) restoration"
                         + (rankChanges > 0 ? "; \(rankChanges) rank changes of nonlinear layers" : "") + " (events.jsonl)")
        }
        let jumps = result.events.filter { $0.kind == .teleport }
        if !jumps.isEmpty {
            let raised = jumps.filter { ($0.gradientNormAfter ?? 0) > ($0.gradientNormBefore ?? 0) }.count
            lines.append("  teleport jumps: \(jumps.count) (\(raised) raised the gradient norm; events.jsonl)")
        }
        lines.append("  run directory: \(directory)")
        return lines.joined(separator: "\n")
    }
}
