import Foundation
import Testing
@testable import NoetherIO

@Suite("TensorBoard event files")
struct TensorBoardTests {
    @Test func crc32cMatchesKnownVectors() {
        // RFC 3720 test vectors and the classic check value.
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum(Array(0..<32)) == 0x46DD_794E)
    }

    @Test func encodingIsByteIdenticalToTensorBoardsOwnWriter() throws {
        // scripts/make_tensorboard_golden.py wrote these events with tensorboard's protobufs.
        let golden = try FileFormatError.readFile(fixture("golden.tfevents"))
        let histogram = TensorBoardHistogram(min: -1, max: 2, count: 4, sum: 2.5, sumSquares: 6.25, bucketLimits: [0, 1, 2], buckets: [1, 1, 2])
        var events = [
            TensorBoardEvent(wallTime: 1_700_000_000, step: 0, content: .fileVersion("brain.Event:2")),
            TensorBoardEvent(wallTime: 1_700_000_001.5, step: 3, content: .scalar(tag: "train_loss", value: 0.25)),
            TensorBoardEvent(wallTime: 1_700_000_002.25, step: 10, content: .histogram(tag: "layers.0/weight", histogram)),
        ]
        for (index, value) in Self.specialScalars.enumerated() {
            events.append(TensorBoardEvent(wallTime: 1_700_000_003 + Double(index), step: Int64(20 + index), content: .scalar(tag: "special", value: value)))
        }
        #expect(events.flatMap { TFRecord.frame($0.encoded) } == golden)
        let read = try TensorBoardReader.events(at: fixture("golden.tfevents"))
        #expect(read.count == events.count)
        // Bit patterns, so that NaN and −0 compare as what they are.
        for (a, b) in zip(read, events) {
            switch (a.content, b.content) {
            case (.scalar(let tagA, let valueA), .scalar(let tagB, let valueB)):
                #expect(tagA == tagB && valueA.bitPattern == valueB.bitPattern && a.step == b.step)
            default: #expect(a == b)
            }
        }
    }

    /// The values the golden file holds besides 0.25 (as in scripts/make_tensorboard_golden.py).
    static let specialScalars: [Float] = [0, -0.0, -1.5, .nan, .infinity, -.infinity, 1e-40, .leastNormalMagnitude, .greatestFiniteMagnitude]

    @Test func aZeroScalarIsWrittenAndReadBackAsZero() throws {
        let zero = TensorBoardEvent(wallTime: 1, step: 2, content: .scalar(tag: "dead", value: 0))
        // tag (field 1), then simple_value (field 2, fixed32) = 0: five bytes 0x15 00 00 00 00.
        #expect(zero.encoded.suffix(5) == [0x15, 0, 0, 0, 0])
        let decoded = try TensorBoardReader.decode(zero.encoded, path: "memory")
        #expect(decoded == [zero])
    }

    @Test func aValueOfNoKindIsNotReadAsZero() throws {
        // Summary { value { tag: "x" } }: no simple_value, no histogram.
        var item = ProtobufWriter()
        item.string(1, "x")
        var summary = ProtobufWriter()
        summary.lengthDelimited(1, item.bytes)
        var event = ProtobufWriter()
        event.lengthDelimited(5, summary.bytes)
        #expect(try TensorBoardReader.decode(event.bytes, path: "memory").isEmpty)
    }

    @Test func writerOutputReadsBackAndDamageIsDetected() throws {
        let directory = temporaryDirectory()
        let writer = try TensorBoardWriter(directory: directory, wallTime: 5)
        writer.scalar("test_accuracy", 0.875, step: 100, wallTime: 6)
        writer.histogram("layers.0.weight", [-1, 0, 0.5, 2], step: 100, wallTime: 6)
        let events = try TensorBoardReader.events(at: writer.path)
        #expect(events.count == 3)
        #expect(events[1] == TensorBoardEvent(wallTime: 6, step: 100, content: .scalar(tag: "test_accuracy", value: 0.875)))
        guard case .histogram(_, let h) = events[2].content else { Issue.record("expected a histogram"); return }
        #expect(h.count == 4 && h.buckets.reduce(0, +) == 4 && h.min == -1 && h.max == 2)
        #expect(writer.path.contains("events.out.tfevents.5."))
        var bytes = try FileFormatError.readFile(writer.path)
        bytes[bytes.count - 6] ^= 0x40
        #expect(throws: FileFormatError.self) { try TFRecord.records(bytes, path: "damaged") }
    }
}
