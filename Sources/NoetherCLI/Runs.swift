import ArgumentParser
import Foundation
import Noether

struct StoreOption: ParsableArguments {
    @Option(help: "The run store (default: $NOETHER_STORE or .noether/runs.sqlite).") var store: String?

    func open() throws -> RunStore { try RunStore(path: store ?? RunStore.defaultPath) }

    /// Indexes finished runs, warning instead of failing: the run directories are the record
    /// and a run that is not indexed is still complete; `noether runs import` adds it later.
    func indexWarning(_ runs: [(path: String, experiment: String?)]) {
        let path = store ?? RunStore.defaultPath
        do {
            let index = try RunStore(path: path)
            for run in runs { try index.index(run: run.path, experiment: run.experiment) }
        } catch {
            let reason = (error as? RunError)?.description ?? "\(error)"
            let folder = runs.count == 1 ? runs[0].path : "the run folders"
            ProgressReporter.writeLine("warning: not indexed in the run store: \(reason). The run itself is complete; "
                                       + "`noether runs import \(folder) --store \(path)` indexes it later")
        }
    }
}

struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The run store: an SQLite index of run directories (runs, configs, summaries, metrics, events).",
        discussion: "`noether train` and `noether reproduce` index their runs as they finish; the index can be deleted and rebuilt from the directories with `noether runs import DIR`.",
        subcommands: [List.self, Show.self, Export.self, Import.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the indexed runs.")
        @OptionGroup var options: StoreOption
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let runs = try reportingErrors { try options.open().runs() }
            if json { return try printJSON(runs) }
            print("id            name                         experiment  status       steps   test loss    path")
            for run in runs {
                let final = (try? JSONDecoder().decode([String: Double].self, from: Data(run.final.utf8))) ?? [:]
                let loss = final["test_loss"].map { String(format: "%.4g", $0) } ?? "–"
                print("\(run.id)  \(run.name.padding(toLength: 28, withPad: " ", startingAt: 0)) \((run.experiment ?? "–").padding(toLength: 11, withPad: " ", startingAt: 0)) \(run.status.padding(toLength: 12, withPad: " ", startingAt: 0)) \(String(format: "%6d", run.steps))   \(loss.padding(toLength: 11, withPad: " ", startingAt: 0))  \(run.path)")
            }
            print("\(runs.count) runs")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one run: its summary, config and metric names.")
        @OptionGroup var options: StoreOption
        @Argument(help: "A run id, name or path.") var key: String

        func run() throws {
            try reportingErrors {
                let store = try options.open()
                let record = try store.run(key)
                let metrics = try store.metrics(of: record.id)
                print("\(record.name) (\(record.id)) — \(record.status), \(record.steps) steps, \(record.parameterCount) parameters, \(String(format: "%.1f", record.wallTimeSeconds)) s")
                print("path: \(record.path)")
                if let experiment = record.experiment { print("experiment: \(experiment)") }
                print("final: \(record.final)")
                print("metrics: \(Set(metrics.map(\.name)).count) series, \(metrics.count) values; events: \(try store.eventCount(of: record.id))")
                print("config:\n\(record.config)")
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export a run's metrics as CSV (RFC 4180: step,name,value; non-finite values empty).")
        @OptionGroup var options: StoreOption
        @Argument(help: "A run id, name or path.") var key: String

        func run() throws {
            try reportingErrors {
                let store = try options.open()
                let record = try store.run(key)
                let rows = try store.metrics(of: record.id).map { m in [String(m.step), m.name, m.value.map { "\($0)" } ?? ""] }
                print(CSVWriter.table(header: ["step", "name", "value"], rows: rows), terminator: "")
            }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Index every run directory under a folder (e.g. runs made elsewhere).")
        @OptionGroup var options: StoreOption
        @Argument(help: "A folder of run directories (searched recursively).") var directory: String

        func run() throws {
            let count = try reportingErrors { try options.open().importDirectory(directory) }
            print("indexed \(count) runs from \(directory)")
        }
    }
}
