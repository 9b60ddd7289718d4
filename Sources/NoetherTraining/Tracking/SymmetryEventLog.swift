import Foundation
import NoetherIO
import NoetherSymmetry

/// `events.jsonl`: one symmetry event per line.
public enum SymmetryEventLog {
    public static func line(_ event: SymmetryEvent) -> String {
        (try? JSONFormat.string(event)) ?? "{}"
    }

    static func encode(_ events: [SymmetryEvent]) -> Data {
        Data(events.map { line($0) + "\n" }.joined().utf8)
    }

    /// Reads an `events.jsonl` file (empty when it does not exist).
    public static func read(_ path: String) throws(RunError) -> [SymmetryEvent] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let decoder = JSONFormat.decoder()
        var events: [SymmetryEvent] = []
        for (number, line) in completeLines(data).enumerated() where !line.isEmpty {
            do { events.append(try decoder.decode(SymmetryEvent.self, from: Data(line.utf8))) } catch {
                throw RunError("\(path) line \(number + 1) is not a symmetry event")
            }
        }
        return events
    }
}
