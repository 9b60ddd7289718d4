import Foundation
import NoetherTraining
import Testing

/// `metrics.jsonl` round trips: what ``MetricRecord/jsonLine`` writes, ``MetricRecord/read(_:)`` reads back exactly.
@Suite struct MetricRecordTests {
    /// Reads `text` as a `metrics.jsonl` file.
    func read(_ text: String) throws -> [MetricRecord] {
        let root = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: "\(root)/metrics.jsonl"))
        return try MetricRecord.read("\(root)/metrics.jsonl")
    }

    @Test func writtenLinesReadBackExactly() throws {
        let values: [Double] = [0, -1.5, 1e-300, .pi, 12_345_678_901, -0.1, 3e20, .nan, .infinity]
        let names = ["train_loss", "rank/layers.0", "a \"quoted\" name", "back\\slash"]
        var records: [MetricRecord] = []
        for (i, value) in values.enumerated() {
            for name in names {
                records.append(MetricRecord(step: i * 50, time: 0.001 * Double(i) + 1e-9, name: name, value: value))
            }
        }
        let parsed = try read(records.map { $0.jsonLine + "\n" }.joined())
        #expect(parsed.count == records.count)
        for (a, b) in zip(parsed, records) {
            #expect(a.step == b.step && a.name == b.name && a.time.bitPattern == b.time.bitPattern)
            #expect(b.value.isFinite ? a.value.bitPattern == b.value.bitPattern : a.value.isNaN, "\(b.name) \(b.value)")
        }
    }

    @Test func aLineInAnotherKeyOrderIsStillRead() throws {
        let parsed = try read("{\"name\":\"x\",\"value\":2.5,\"step\":3,\"time\":1}\n{\"step\":4,\"time\":1,\"name\":\"y\",\"value\":1}\n{\"step\":5")
        #expect(parsed == [MetricRecord(step: 3, time: 1, name: "x", value: 2.5), MetricRecord(step: 4, time: 1, name: "y", value: 1)])
    }

    @Test func aMalformedLineIsReportedWithItsNumber() throws {
        let text = "{\"step\":1,\"time\":0,\"name\":\"a\",\"value\":1}\n{\"step\":x,\"time\":0,\"name\":\"a\",\"value\":1}\n"
        #expect(throws: RunError.self) { try read(text) }
        do { _ = try read(text) } catch let error as RunError { #expect(error.message.contains("line 2")) }
    }
}
