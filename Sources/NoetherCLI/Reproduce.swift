import ArgumentParser
import Foundation
import Noether

struct Reproduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one of the paper's claims (E1–E15) as a pre-registered experiment with a report.",
        discussion: """
        Each experiment is a YAML file in experiments/: a base run config, the arms derived from it, \
        the seeds, the negative controls that remove the claim's cause, the fit a run must reach, \
        a quick form, and the analysis that evaluates the criterion on each seed. The verdict is \
        `holds`, `does not hold` or `inconclusive`, by the pre-registered share of seeds, and only \
        `holds` when every control fails the criterion. Runs are the trials of a sweep (parallel \
        with --jobs, resumable: running the same command again continues where it stopped). \
        --executor ray trains them as Ray tasks; --executor slurm writes a SLURM job array per \
        experiment and stops: submit it, then run the command it prints (--analysis-only) to analyse. \
        Writes <out>/<ID>[-quick]/summary.json and report.html, and an index.html.
        """)

    @Argument(help: "The experiment (E1 … E15), or `all`.") var id: String?
    @Flag(help: "List the experiments.") var list = false
    @Flag(help: "The quick form: a smoke test of under a minute per experiment.") var quick = false
    @Option(help: "Where to write the experiments.") var out = "reproduce"
    @Option(help: "Add N to every registered seed (the same number of seeds, other draws).") var seed: UInt64?
    @Option(name: .customLong("override"), parsing: .singleValue,
            help: ArgumentHelp("Force KEY=VALUE (a dotted config key, a YAML value) into every run, after the experiment's own overrides; repeatable.", valueName: "KEY=VALUE"))
    var overrides: [String] = []
    @Option(help: "Runs trained at once (default: the number of cores).") var jobs: Int?
    @Option(help: "The folder of experiment configs (default: experiments/ of this repository).") var experiments: String?
    @Flag(help: "Discard earlier runs in the output directory instead of resuming them (e.g. after editing an experiment).") var restart = false
    @Flag(help: "Analyse runs trained elsewhere (a SLURM array); missing runs are an error instead of being trained here.") var analysisOnly = false
    @OptionGroup var store: StoreOption
    @OptionGroup(title: "Executor") var executorOptions: ExecutorOptions

    func validate() throws {
        if !list && id == nil { throw ValidationError("name an experiment (E1 … E15 or all), or pass --list") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        _ = try Self.parse(overrides)
    }

    /// `KEY=VALUE` pairs; a value is read as JSON/YAML flow (numbers, true, [64], {…}) or else as a string.
    static func parse(_ pairs: [String]) throws -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ValidationError("--override takes KEY=VALUE (e.g. optimizer.weight_decay=0), got '\(pair)'")
            }
            let key = String(pair[..<equals]), text = String(pair[pair.index(after: equals)...])
            result[key] = (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .string(text)
        }
        return result
    }

    func run() throws {
        let directory = try ExperimentSpec.locateDirectory(experiments)
        if list {
            for identifier in ExperimentSpec.identifiers {
                guard let spec = try? ExperimentSpec.load(identifier, from: directory) else { continue }
                print("\(spec.id.padding(toLength: 4, withPad: " ", startingAt: 0)) \(spec.title)\n     \(spec.claim)")
            }
            return
        }
        let forced = try Self.parse(overrides)
        let ids = id?.lowercased() == "all" ? ExperimentSpec.identifiers : [id ?? ""].map { $0.uppercased() }
        var analysed = 0
        for identifier in ids {
            let spec = try ExperimentSpec.load(identifier, from: directory)
            let target = "\(out)/\(identifier)\(quick ? "-quick" : "")"
            var runner = ExperimentRunner(spec: spec, quick: quick, directory: target)
            (runner.seedShift, runner.overrides, runner.restart) = (seed ?? 0, forced, restart)
            runner.jobs = jobs ?? ProcessInfo.processInfo.activeProcessorCount
            (runner.largestStack, runner.trainsMissingRuns) = (executorOptions.largestStack, !analysisOnly)
            runner.onProgress = { line in FileHandle.standardError.write(Data("  \(line)\n".utf8)) }
            print("\(identifier) \(spec.title)\(quick ? " (quick)" : ""): \(try runner.runCount()) runs → \(target)")
            switch executorOptions.executor {
            case .local: break
            case .ray:
                let ray = try executorOptions.rayExecutor(retryFailed: false)
                print("  on \(executorOptions.rayDescription)")
                runner.executor = { sweep throws(RunError) in try ray.run(sweep) }
            case .slurm:
                let (sweep, trials) = try runner.prepare()
                // Written: analysed when the command runs again after the array; else nothing is missing.
                if try executorOptions.writeSlurmScripts(for: sweep, trials: trials, jobs: jobs, retryFailed: false,
                                                         then: analysisCommand(identifier)) { continue }
            }
            let summary = try runner.run()
            analysed += 1
            store.indexWarning(summary.runs.map { ("\(target)/\($0)", identifier) })
            print("  \(summary.verdict.rawValue): \(summary.verdictSentence)")
            for effect in summary.effects { print("    \(effect.name): \(effect.text)") }
            for control in summary.controls { print("    control \(control.name): \(control.verdict.rawValue)") }
            for p in summary.predictions { print("    \(p.name): predicted \(String(format: "%.4g", p.predicted)), observed \(String(format: "%.4g", p.observed))") }
            print(String(format: "  %.1f s; report: %@/report.html", summary.wallTimeSeconds, target))
        }
        if analysed > 0 { try Report.writeIndex(out) }
    }

    /// This command for one experiment without the executor: what analyses its trained runs.
    func analysisCommand(_ identifier: String) -> String {
        var words = ["noether", "reproduce", identifier, "--out", out, "--analysis-only"]
        if quick { words.append("--quick") }
        if let seed { words += ["--seed", String(seed)] }
        for pair in overrides { words += ["--override=\(pair)"] }
        if let experiments { words += ["--experiments", experiments] }
        if let path = store.store { words += ["--store", path] }
        return words.map(shellQuoted).joined(separator: " ")
    }
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild report.html of an experiment directory (or of every experiment in a folder, with an index).")

    @Argument(help: "An experiment directory, or a folder of them.") var directory: String
    @Flag(help: "Print the verdict table (markdown, for docs/experiments.md) instead of rebuilding the reports.") var markdown = false

    func run() throws {
        if markdown {
            print(ReportWriter.markdown(try Self.summaries(directory)), terminator: "")
            return
        }
        if FileManager.default.fileExists(atPath: "\(directory)/summary.json") {
            let summary = try ReportWriter.rebuild(directory)
            print("\(directory)/report.html: \(summary.experiment) \(summary.verdict.rawValue)")
        } else {
            try Self.writeIndex(directory, rebuild: true)
            print("\(directory)/index.html")
        }
    }

    /// The summaries of an experiment directory or of every experiment in a folder.
    static func summaries(_ folder: String) throws -> [(directory: String, summary: ExperimentSummary)] {
        if FileManager.default.fileExists(atPath: "\(folder)/summary.json") { return [(folder, try ReportWriter.summary(folder))] }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let result = try entries.sorted().filter { FileManager.default.fileExists(atPath: "\(folder)/\($0)/summary.json") }
            .map { (directory: "\(folder)/\($0)", summary: try ReportWriter.summary("\(folder)/\($0)")) }
        guard !result.isEmpty else { throw RunError("\(folder) holds no experiment directories (with summary.json)") }
        return result
    }

    /// Rebuilds (optionally) every experiment report under `folder` and writes its index.
    static func writeIndex(_ folder: String, rebuild: Bool = false) throws {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var summaries: [(String, ExperimentSummary)] = []
        for entry in entries.sorted() where FileManager.default.fileExists(atPath: "\(folder)/\(entry)/summary.json") {
            let path = "\(folder)/\(entry)"
            let summary = try ReportWriter.rebuild(path)
            summaries.append((path, summary))
        }
        guard !summaries.isEmpty else { throw RunError("\(folder) holds no experiment directories (with summary.json)") }
        try ReportWriter.writeIndex(summaries, to: folder)
    }
}
