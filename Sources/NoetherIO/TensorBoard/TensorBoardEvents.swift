import Foundation

/// A histogram in TensorBoard's `HistogramProto` form.
public struct TensorBoardHistogram: Equatable, Sendable {
    public var min: Double, max: Double, count: Double, sum: Double, sumSquares: Double
    /// Right edges of the buckets and their counts.
    public var bucketLimits: [Double], buckets: [Double]

    /// A histogram of `values` in `bins` equal-width buckets.
    public init(_ values: [Double], bins: Int = 30) {
        let finite = values.filter(\.isFinite)
        let low = finite.min() ?? 0, high = finite.max() ?? 0
        min = low
        max = high
        count = Double(finite.count)
        sum = finite.reduce(0, +)
        sumSquares = finite.reduce(0) { $0 + $1 * $1 }
        let width = high > low ? (high - low) / Double(bins) : 1
        bucketLimits = (1...bins).map { low + Double($0) * width }
        buckets = [Double](repeating: 0, count: bins)
        for v in finite { buckets[Swift.min(Int((v - low) / width), bins - 1)] += 1 }
    }

    public init(min: Double, max: Double, count: Double, sum: Double, sumSquares: Double, bucketLimits: [Double], buckets: [Double]) {
        (self.min, self.max, self.count, self.sum, self.sumSquares) = (min, max, count, sum, sumSquares)
        (self.bucketLimits, self.buckets) = (bucketLimits, buckets)
    }
}

/// One `Event` of a TensorBoard event file.
public struct TensorBoardEvent: Equatable, Sendable {
    public enum Content: Equatable, Sendable {
        case fileVersion(String)
        case scalar(tag: String, value: Float)
        case histogram(tag: String, TensorBoardHistogram)
    }

    public var wallTime: Double
    public var step: Int64
    public var content: Content

    public init(wallTime: Double, step: Int64, content: Content) {
        (self.wallTime, self.step, self.content) = (wallTime, step, content)
    }

    /// The serialized `tensorflow.Event` protobuf.
    public var encoded: [UInt8] {
        var event = ProtobufWriter()
        event.double(1, wallTime)
        event.int64(2, step)
        switch content {
        case .fileVersion(let version):
            event.string(3, version)
        case .scalar(let tag, let value):
            var item = ProtobufWriter()
            item.string(1, tag)
            item.float(2, value, presence: .always)  // simple_value is a member of Summary.Value's oneof
            var summary = ProtobufWriter()
            summary.lengthDelimited(1, item.bytes)
            event.lengthDelimited(5, summary.bytes)
        case .histogram(let tag, let h):
            var histogram = ProtobufWriter()
            histogram.double(1, h.min)
            histogram.double(2, h.max)
            histogram.double(3, h.count)
            histogram.double(4, h.sum)
            histogram.double(5, h.sumSquares)
            histogram.packedDoubles(6, h.bucketLimits)
            histogram.packedDoubles(7, h.buckets)
            var item = ProtobufWriter()
            item.string(1, tag)
            item.lengthDelimited(5, histogram.bytes)
            var summary = ProtobufWriter()
            summary.lengthDelimited(1, item.bytes)
            event.lengthDelimited(5, summary.bytes)
        }
        return event.bytes
    }
}

/// TFRecord framing: length (u64 LE), masked CRC-32C of the length, data, masked CRC-32C of
/// the data.
public enum TFRecord {
    public static func frame(_ data: [UInt8]) -> [UInt8] {
        var length: [UInt8] = []
        withUnsafeBytes(of: UInt64(data.count).littleEndian) { length.append(contentsOf: $0) }
        var record = length
        withUnsafeBytes(of: CRC32C.masked(length).littleEndian) { record.append(contentsOf: $0) }
        record += data
        withUnsafeBytes(of: CRC32C.masked(data).littleEndian) { record.append(contentsOf: $0) }
        return record
    }

    /// The records of a TFRecord stream, each checked against its CRCs.
    public static func records(_ bytes: [UInt8], path: String) throws(FileFormatError) -> [[UInt8]] {
        var reader = ByteReader(bytes, path: path, format: "TFRecord")
        var records: [[UInt8]] = []
        while reader.remaining > 0 {
            let lengthBytes = Array(try reader.read(8))
            guard try reader.uint32LittleEndian() == CRC32C.masked(lengthBytes) else { throw reader.error("a record length fails its CRC") }
            let length = lengthBytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard length <= UInt64(reader.remaining) else { throw reader.error("a record is longer than the file") }
            let data = Array(try reader.read(Int(length)))
            guard try reader.uint32LittleEndian() == CRC32C.masked(data) else { throw reader.error("a record's data fails its CRC") }
            records.append(data)
        }
        return records
    }
}

/// Appends events to `events.out.tfevents.<time>.<host>` so that `tensorboard --logdir` shows
/// a run: scalars (every metric) and histograms (e.g. of weights).
public final class TensorBoardWriter {
    public let path: String
    private let handle: FileHandle

    /// Creates the event file in `directory` and writes its version record.
    public init(directory: String, wallTime: Double = Date().timeIntervalSince1970) throws(FileFormatError) {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        path = "\(directory)/events.out.tfevents.\(Int(wallTime)).\(host)"
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw FileFormatError("cannot create the TensorBoard event file \(path)")
        }
        self.handle = handle
        write(TensorBoardEvent(wallTime: wallTime, step: 0, content: .fileVersion("brain.Event:2")))
    }

    deinit { try? handle.close() }

    /// Appends `events` in one write. TensorBoard files are a view of the run (metrics.jsonl is
    /// its record), so a failed write (a full disk) is dropped rather than stopping training.
    public func write(_ events: [TensorBoardEvent]) {
        guard !events.isEmpty else { return }
        try? handle.write(contentsOf: events.flatMap { TFRecord.frame($0.encoded) })
    }

    public func write(_ event: TensorBoardEvent) { write([event]) }

    public func scalar(_ tag: String, _ value: Double, step: Int, wallTime: Double = Date().timeIntervalSince1970) {
        scalars([(tag, value, step)], wallTime: wallTime)
    }

    /// Several scalars in one write.
    public func scalars(_ values: [(tag: String, value: Double, step: Int)], wallTime: Double = Date().timeIntervalSince1970) {
        write(values.map { TensorBoardEvent(wallTime: wallTime, step: Int64($0.step), content: .scalar(tag: $0.tag, value: Float($0.value))) })
    }

    public func histogram(_ tag: String, _ values: [Double], step: Int, wallTime: Double = Date().timeIntervalSince1970) {
        write(TensorBoardEvent(wallTime: wallTime, step: Int64(step), content: .histogram(tag: tag, TensorBoardHistogram(values))))
    }
}
