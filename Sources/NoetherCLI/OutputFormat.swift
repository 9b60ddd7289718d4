import ArgumentParser
import Foundation
import Noether

/// How a command prints its result.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}

/// `--format table|json|csv`, with `--json` kept as an alias of `--format json`: shared by every
/// command that prints a result, so that each prints JSON through ``JSONFormat`` and CSV through
/// ``CSVWriter`` (RFC 4180) the same way.
struct FormatOptions: ParsableArguments {
    @Option(help: "Output format: table, json or csv.") var format: OutputFormat = .table
    @Flag(help: "The same as --format json.") var json = false

    init() {}

    /// A fixed choice, for a command whose default format is not the table.
    init(format: OutputFormat) {
        // Both set: an unparsed option must not be read before it has a value.
        (self.format, self.json) = (format, false)
    }

    func validate() throws {
        if json && format == .csv { throw ValidationError("--json and --format csv ask for different formats; give one") }
    }

    /// The format asked for.
    var chosen: OutputFormat { json ? .json : format }

    /// Prints `value`: as the table `table` draws, as JSON, or as the CSV records `csv` gives.
    func print<T: Encodable>(_ value: T, table: () -> String, csv: () -> CSVTable) throws {
        switch chosen {
        case .table: Swift.print(table())
        case .json: try printJSON(value)
        case .csv: Swift.print(csv().text, terminator: "")
        }
    }
}

/// A header and rows, written through ``CSVWriter``.
struct CSVTable {
    var header: [String]
    var rows: [[String]]

    var text: String { CSVWriter.table(header: header, rows: rows) }

    /// Two columns, `field` and `value`, for a result that is one record.
    static func fields(_ pairs: [(String, String)]) -> CSVTable {
        CSVTable(header: ["field", "value"], rows: pairs.map { [$0.0, $0.1] })
    }
}

/// A number as CSV writes it: shortest round-trip form, empty when absent or not finite.
func csvNumber(_ value: Double?) -> String {
    guard let value, value.isFinite else { return "" }
    return "\(value)"
}
