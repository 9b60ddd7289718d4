import ArgumentParser
import Foundation
import Noether

struct Reproduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one of the paper's claims (E1–E10) as an experiment with a report.",
        discussion: """
        Each experiment is a YAML file in experiments/ (a base run config, the runs derived from it, \
        a quick form and the analysis that decides whether the claim holds). Runs go through the \
        same trainer as `noether train` and are resumable: running the same command again continues \
        where it stopped. Writes <out>/<ID>[-quick]/summary.json and report.html, and an index.html.
        """)

    @Argument(help: "The experiment (E1 … E10), or `all`.") var id: String?
    @Flag(help: "List the experiments.") var list = false
    @Flag(help: "The quick form: under a minute per experiment.") var quick = false
    @Option(help: "Where to write the experiments.") var out = "reproduce"
    @Option(help: "Override the seed of every run.") var seed: UInt64?
    @Option(help: "The folder of experiment configs (default: experiments/ of this repository).") var experiments: String?
    @Flag(help: "Discard earlier runs in the output directory instead of resuming them (e.g. after editing an experiment).") var restart = false
    @OptionGroup var store: StoreOption

    func validate() throws {
        if !list && id == nil { throw ValidationError("name an experiment (E1 … E10 or all), or pass --list") }
    }

    func run() throws {
        try reportingErrors {
            let directory = try ExperimentSpec.locateDirectory(experiments)
            if list {
                for identifier in ExperimentSpec.identifiers {
                    guard let spec = try? ExperimentSpec.load(identifier, from: directory) else { continue }
                    print("\(spec.id.padding(toLength: 4, withPad: " ", startingAt: 0)) \(spec.title)\n     \(spec.claim)")
                }
                return
            }
            let ids = id?.lowercased() == "all" ? ExperimentSpec.identifiers : [id ?? ""].map { $0.uppercased() }
            for identifier in ids {
                let spec = try ExperimentSpec.load(identifier, from: directory)
                let target = "\(out)/\(identifier)\(quick ? "-quick" : "")"
                let count = try spec.configurations(quick: quick, seed: seed).count
                print("\(identifier) \(spec.title)\(quick ? " (quick)" : ""): \(count) runs → \(target)")
                let summary = try ExperimentRunner(spec: spec, quick: quick, directory: target, seed: seed, showsProgress: true, restart: restart).run()
                let index = try store.open()
                for run in summary.runs { try index.index(run: "\(target)/runs/\(run)", experiment: identifier) }
                print("  \(summary.holds ? "✔ holds" : "✘ does not hold"): \(summary.criterion)")
                for key in summary.evidence.keys.sorted().prefix(8) { print("    \(key): \(summary.evidence[key]?.text ?? "")") }
                print(String(format: "  %.1f s; report: %@/report.html", summary.wallTimeSeconds, target))
            }
            try Report.writeIndex(out)
        }
    }
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild report.html of an experiment directory (or of every experiment in a folder, with an index).")

    @Argument(help: "An experiment directory, or a folder of them.") var directory: String

    func run() throws {
        try reportingErrors {
            if FileManager.default.fileExists(atPath: "\(directory)/summary.json") {
                let summary = try ReportWriter.rebuild(directory)
                print("\(directory)/report.html: \(summary.experiment) \(summary.holds ? "holds" : "does not hold")")
            } else {
                try Self.writeIndex(directory, rebuild: true)
                print("\(directory)/index.html")
            }
        }
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
