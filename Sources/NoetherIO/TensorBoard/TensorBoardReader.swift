import Foundation

/// Reads TensorBoard event files back (scalars, histograms and the version record), checking
/// every record's CRCs: what `tensorboard --logdir` will see.
public enum TensorBoardReader {
    public static func events(at path: String) throws(FileFormatError) -> [TensorBoardEvent] {
        try events(bytes: try FileFormatError.readFile(path), path: path)
    }

    /// The events of an event file's bytes; `path` names it in errors.
    public static func events(bytes: [UInt8], path: String) throws(FileFormatError) -> [TensorBoardEvent] {
        let records = try TFRecord.records(bytes, path: path)
        var events: [TensorBoardEvent] = []
        for record in records { events += try decode(record, path: path) }
        return events
    }

    /// One serialized Event; a summary with several values gives one event per value.
    static func decode(_ bytes: [UInt8], path: String) throws(FileFormatError) -> [TensorBoardEvent] {
        var wallTime = 0.0, step: Int64 = 0
        var contents: [TensorBoardEvent.Content] = []
        for (field, value) in try fields(bytes, path: path) {
            switch (field, value) {
            case (1, .fixed64(let bits)): wallTime = Double(bitPattern: bits)
            case (2, .varint(let v)): step = Int64(bitPattern: v)
            case (3, .bytes(let b)): contents.append(.fileVersion(String(decoding: b, as: UTF8.self)))
            case (5, .bytes(let summary)):
                for (summaryField, item) in try fields(summary, path: path) where summaryField == 1 {
                    guard case .bytes(let valueBytes) = item else { continue }
                    var tag = "", scalar: Float?, histogram: TensorBoardHistogram?
                    for (f, v) in try fields(valueBytes, path: path) {
                        switch (f, v) {
                        case (1, .bytes(let b)): tag = String(decoding: b, as: UTF8.self)
                        case (2, .fixed32(let bits)): scalar = Float(bitPattern: bits)
                        case (5, .bytes(let b)): histogram = try decodeHistogram(b, path: path)
                        default: break
                        }
                    }
                    // A value of another kind (image, tensor, …) or of no kind is not shown as a
                    // scalar: TensorBoard does not show it either.
                    if let histogram { contents.append(.histogram(tag: tag, histogram)) } else if let scalar { contents.append(.scalar(tag: tag, value: scalar)) }
                }
            default: break
            }
        }
        return contents.map { TensorBoardEvent(wallTime: wallTime, step: step, content: $0) }
    }

    static func decodeHistogram(_ bytes: [UInt8], path: String) throws(FileFormatError) -> TensorBoardHistogram {
        var h = TensorBoardHistogram(min: 0, max: 0, count: 0, sum: 0, sumSquares: 0, bucketLimits: [], buckets: [])
        for (field, value) in try fields(bytes, path: path) {
            switch (field, value) {
            case (1, .fixed64(let b)): h.min = Double(bitPattern: b)
            case (2, .fixed64(let b)): h.max = Double(bitPattern: b)
            case (3, .fixed64(let b)): h.count = Double(bitPattern: b)
            case (4, .fixed64(let b)): h.sum = Double(bitPattern: b)
            case (5, .fixed64(let b)): h.sumSquares = Double(bitPattern: b)
            case (6, .bytes(let b)): h.bucketLimits = doubles(b)
            case (7, .bytes(let b)): h.buckets = doubles(b)
            default: break
            }
        }
        return h
    }

    static func doubles(_ bytes: [UInt8]) -> [Double] {
        stride(from: 0, to: bytes.count - 7, by: 8).map { i in
            Double(bitPattern: (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[i + $1]) << (8 * UInt64($1)) })
        }
    }

    enum WireValue { case varint(UInt64), fixed64(UInt64), fixed32(UInt32), bytes([UInt8]) }

    static func fields(_ bytes: [UInt8], path: String) throws(FileFormatError) -> [(Int, WireValue)] {
        var reader = ByteReader(bytes, path: path, format: "TensorBoard event")
        func varint() throws(FileFormatError) -> UInt64 {
            var result: UInt64 = 0, shift: UInt64 = 0
            while true {
                let byte = try reader.uint8()
                result |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return result }
                shift += 7
                guard shift < 64 else { throw reader.error("a varint is too long") }
            }
        }
        var result: [(Int, WireValue)] = []
        while reader.remaining > 0 {
            let key = try varint()
            let field = Int(key >> 3)
            switch key & 7 {
            case 0: result.append((field, .varint(try varint())))
            case 1: result.append((field, .fixed64(try reader.uint64LittleEndian())))
            case 2:
                let declared = try varint()
                guard let length = Int(exactly: declared) else { throw reader.error("a field length \(declared) is longer than the file") }
                result.append((field, .bytes(Array(try reader.read(length)))))
            case 5: result.append((field, .fixed32(try reader.uint32LittleEndian())))
            default: throw reader.error("unsupported wire type \(key & 7)")
            }
        }
        return result
    }
}
