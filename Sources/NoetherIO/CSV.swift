import Foundation

/// A numeric table read from a CSV file: comma-separated numbers, one sample per line, with an
/// optional header line (detected when its fields are not all numbers). Every value must be a
/// finite number (`nan`, `inf` are refused). Quoted fields are not
/// supported: export plain numbers (e.g. pandas' `to_csv(index=False)`).
public struct NumericTable {
    public let header: [String]?
    /// Row-major values, `rows × columns`.
    public let values: [Double]
    public let rows: Int, columns: Int

    public init(contentsOf path: String) throws(FileFormatError) {
        let bytes = try FileFormatError.readFile(path)
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            throw FileFormatError.corrupt(path, "CSV", "it is not UTF-8 text")
        }
        try self.init(text: text, path: path)
    }

    public init(text: String, path: String) throws(FileFormatError) {
        var header: [String]?
        var values: [Double] = []
        var columns: Int?
        var rows = 0
        for (number, rawLine) in text.split(whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let numbers = fields.map { Double($0) }
            if number == 0 && numbers.contains(where: { $0 == nil }) {
                header = fields
                columns = fields.count
                continue
            }
            guard fields.count == (columns ?? fields.count) else {
                throw FileFormatError.corrupt(path, "CSV", "line \(number + 1) has \(fields.count) fields, expected \(columns ?? 0)")
            }
            columns = fields.count
            for (index, value) in numbers.enumerated() {
                guard let value else {
                    throw FileFormatError.corrupt(path, "CSV", "line \(number + 1), column \(index + 1): '\(fields[index])' is not a number")
                }
                // `nan` and `inf` parse as numbers but would train on NaN: refused here.
                guard value.isFinite else {
                    throw FileFormatError.corrupt(path, "CSV", "line \(number + 1), column \(index + 1): '\(fields[index])' is not a finite number")
                }
                values.append(value)
            }
            rows += 1
        }
        guard rows > 0, let columns else { throw FileFormatError.corrupt(path, "CSV", "it has no data rows") }
        self.header = header
        self.values = values
        self.rows = rows
        self.columns = columns
    }
}
