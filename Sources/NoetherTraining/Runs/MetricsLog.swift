import Foundation

/// One logged value: `{"step", "time", "name", "value"}` — a line of `metrics.jsonl`.
public struct MetricRecord: Hashable, Sendable, Codable {
    public var step: Int
    /// Seconds since the run started (excluded when comparing runs).
    public var time: Double
    public var name: String
    public var value: Double

    public init(step: Int, time: Double, name: String, value: Double) {
        (self.step, self.time, self.name, self.value) = (step, time, name, value)
    }

    /// `null` (how ``jsonLine`` writes a non-finite number) reads as NaN.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(step: try c.decode(Int.self, forKey: .step), time: try c.decodeIfPresent(Double.self, forKey: .time) ?? .nan,
                  name: try c.decode(String.self, forKey: .name), value: try c.decodeIfPresent(Double.self, forKey: .value) ?? .nan)
    }

    /// The JSON line (numbers in shortest round-trip form; non-finite values as null).
    public var jsonLine: String {
        "{\"step\":\(step),\"time\":\(jsonNumber(time)),\"name\":\(jsonString(name)),\"value\":\(jsonNumber(value))}"
    }
}

func jsonNumber(_ value: Double) -> String {
    guard value.isFinite else { return "null" }
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return "\(value)"
}

func jsonString(_ text: String) -> String {
    // Metric names rarely need escaping; Foundation's replacing was most of a metrics line's cost.
    if !text.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") }) { return "\"\(text)\"" }
    let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    return "\"\(escaped)\""
}

/// An append-only JSON-lines file, flushed after every batch of lines so that an interrupted
/// run loses nothing it reported.
public final class JSONLinesWriter {
    public let path: String
    private let handle: FileHandle

    /// Opens `path` for appending, creating it if needed.
    public init(path: String) throws(RunError) {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw RunError("cannot create \(path); check that its folder is writable")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw RunError("cannot open \(path) for writing") }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    deinit { try? handle.close() }

    /// Appends lines. A failed write (a full disk) is an error that stops the run; what was
    /// written before stays readable and the run resumes from its last checkpoint.
    public func append(_ lines: [String]) throws(RunError) {
        guard !lines.isEmpty else { return }
        do {
            try handle.write(contentsOf: Data((lines.joined(separator: "\n") + "\n").utf8))
        } catch {
            throw RunError("cannot write \(path): \(error.localizedDescription); free disk space and run the same command again to resume")
        }
    }
}

extension MetricRecord {
    /// Reads a `metrics.jsonl` file; malformed lines are reported with their number. A last
    /// line without its newline is a write cut short (a full disk, a kill) and is left out.
    public static func read(_ path: String) throws(RunError) -> [MetricRecord] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        var records: [MetricRecord] = []
        let decoder = JSONDecoder()
        for (number, line) in completeLines(data).enumerated() where !line.isEmpty {
            if let record = MetricRecord(writtenLine: line) {
                records.append(record)
                continue
            }
            do {
                records.append(try decoder.decode(MetricRecord.self, from: Data(line.utf8)))
            } catch {
                throw RunError("\(path) line \(number + 1) is not a metric record")
            }
        }
        return records
    }
}

extension MetricRecord {
    /// A line exactly as ``jsonLine`` writes it (keys in its order, a name without escapes,
    /// `null` for a non-finite value), read without a JSON decoder, which took 15–20 % of a
    /// small run's `noether train`; nil for any other line, which the decoder then reads.
    init?(writtenLine line: Substring) {
        var rest = line.utf8[...]
        /// Drops `literal` from the front of `rest`, or fails.
        func skip(_ literal: String) -> Bool {
            guard rest.starts(with: literal.utf8) else { return false }
            rest = rest.dropFirst(literal.utf8.count)
            return true
        }
        /// The text up to (not including) `terminator`, dropped from `rest` with the terminator.
        func field(until terminator: UInt8) -> Substring? {
            guard let end = rest.firstIndex(of: terminator) else { return nil }
            defer { rest = rest[rest.index(after: end)...] }
            return Substring(rest[..<end])
        }
        guard skip("{\"step\":"), let step = field(until: UInt8(ascii: ",")).flatMap({ Int($0) }),
              skip("\"time\":"), let time = field(until: UInt8(ascii: ",")).flatMap(Self.number),
              skip("\"name\":\""), let name = field(until: UInt8(ascii: "\"")), !name.utf8.contains(UInt8(ascii: "\\")),
              skip(",\"value\":"), let value = field(until: UInt8(ascii: "}")).flatMap(Self.number), rest.isEmpty else { return nil }
        self.init(step: step, time: time, name: String(name), value: value)
    }

    /// A JSON number as ``jsonNumber(_:)`` writes it; `null` is NaN.
    private static func number(_ text: Substring) -> Double? {
        text == "null" ? .nan : Double(text)
    }
}

/// The complete lines of a JSON-lines file. A last line without its newline is a write cut
/// short (a full disk, a kill) and is left out, so the run stays resumable.
func completeLines(_ data: Data) -> [Substring] {
    let text = String(decoding: data, as: UTF8.self)
    guard let lastBreak = text.lastIndex(of: "\n") else { return [] }
    return text[...lastBreak].split(separator: "\n", omittingEmptySubsequences: false)
}
