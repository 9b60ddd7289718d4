/// CSV text as RFC 4180 defines it, the one way Noether writes CSV: fields separated by commas,
/// records ended by CRLF, and a field that holds a comma, a double quote, CR or LF enclosed in
/// double quotes with its quotes doubled. Every other field is written as is, so that a value
/// reads back unchanged in any RFC 4180 reader (Python's csv, pandas, spreadsheets).
public enum CSVWriter {
    /// One field, quoted when it needs to be.
    public static func field(_ text: String) -> String {
        // Unicode scalars, not Characters: "\r\n" is one Character and would match neither.
        guard text.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One record, with its CRLF.
    public static func record(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    /// A header record followed by the rows.
    public static func table(header: [String], rows: [[String]]) -> String {
        ([header] + rows).map(record).joined()
    }
}
