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
            let reason = error.description
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
        @OptionGroup var output: FormatOptions

        func run() throws {
            let runs = try options.open().runs()
            func testLoss(_ run: StoredRun) -> Double? { (try? JSONFormat.decoder().decode([String: Double].self, from: Data(run.final.utf8)))?["test_loss"] }
            try output.print(runs, table: {
                var lines = ["id            name                         experiment  status       steps   test loss    path"]
                for run in runs {
                    let loss = testLoss(run).map { String(format: "%.4g", $0) } ?? "–"
                    lines.append("\(run.id)  \(run.name.padding(toLength: 28, withPad: " ", startingAt: 0)) \((run.experiment ?? "–").padding(toLength: 11, withPad: " ", startingAt: 0)) \(run.status.padding(toLength: 12, withPad: " ", startingAt: 0)) \(String(format: "%6d", run.steps))   \(loss.padding(toLength: 11, withPad: " ", startingAt: 0))  \(run.path)")
                }
                lines.append("\(runs.count) runs")
                return lines.joined(separator: "\n")
            }, csv: {
                CSVTable(header: ["id", "name", "experiment", "status", "steps", "test_loss", "path"], rows: runs.map {
                    [$0.id, $0.name, $0.experiment ?? "", $0.status, String($0.steps), csvNumber(testLoss($0)), $0.path]
                })
            })
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one run: its summary, config and metric names.")
        @OptionGroup var options: StoreOption
        @Argument(help: "A run id, name or path.") var key: String
        @OptionGroup var output: FormatOptions

        func run() throws {
            let store = try options.open()
            let record = try store.run(key)
            let metrics = try store.metrics(of: record.id)
            let events = try store.eventCount(of: record.id)
            try output.print(record, table: {
                var lines = ["\(record.name) (\(record.id)) — \(record.status), \(record.steps) steps, \(record.parameterCount) parameters, \(String(format: "%.1f", record.wallTimeSeconds)) s",
                             "path: \(record.path)"]
                if let experiment = record.experiment { lines.append("experiment: \(experiment)") }
                lines.append("final: \(record.final)")
                lines.append("metrics: \(Set(metrics.map(\.name)).count) series, \(metrics.count) values; events: \(events)")
                lines.append("config:\n\(record.config)")
                return lines.joined(separator: "\n")
            }, csv: {
                .fields([("id", record.id), ("name", record.name), ("path", record.path), ("experiment", record.experiment ?? ""),
                         ("status", record.status), ("steps", String(record.steps)), ("parameter_count", String(record.parameterCount)),
                         ("wall_time_seconds", csvNumber(record.wallTimeSeconds)), ("config_hash", record.configHash),
                         ("final", record.final), ("config", record.config)])
            })
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export a run's metrics: CSV by default (RFC 4180: step,name,value; non-finite values empty), or a table or JSON.")
        @OptionGroup var options: StoreOption
        @Argument(help: "A run id, name or path.") var key: String
        // Its own options rather than FormatOptions: an export is CSV unless asked otherwise.
        @Option(help: "Output format: csv, table or json.") var format: OutputFormat = .csv
        @Flag(help: "The same as --format json.") var json = false

        struct Value: Encodable {
            let step: Int
            let name: String
            let value: Double?
        }

        func run() throws {
            let store = try options.open()
            let record = try store.run(key)
            let values = try store.metrics(of: record.id).map { Value(step: $0.step, name: $0.name, value: $0.value) }
            let output = FormatOptions(format: json ? .json : format)
            try output.print(values, table: {
                values.map { "\(String(format: "%8d", $0.step))  \($0.name.padding(toLength: 40, withPad: " ", startingAt: 0)) \($0.value.map { "\($0)" } ?? "–")" }
                    .joined(separator: "\n")
            }, csv: {
                CSVTable(header: ["step", "name", "value"], rows: values.map { [String($0.step), $0.name, $0.value.map { "\($0)" } ?? ""] })
            })
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Index every run directory under a folder (e.g. runs made elsewhere).")
        @OptionGroup var options: StoreOption
        @Argument(help: "A folder of run directories (searched recursively).") var directory: String

        func run() throws {
            let count = try options.open().importDirectory(directory)
            print("indexed \(count) runs from \(directory)")
        }
    }
}
