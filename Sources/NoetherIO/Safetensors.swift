import Foundation
import NoetherTensor
import OrderedCollections

/// One tensor's entry in a safetensors header.
public struct SafetensorsEntry: Hashable, Sendable {
    public let name: String
    public let dtype: String
    public let encoding: ElementEncoding
    public let shape: [Int]
    /// Byte range within the data section.
    public let dataRange: Range<Int>
}

/// A safetensors file: an 8-byte little-endian header length, a JSON header of
/// `name → {dtype, shape, data_offsets}` (plus optional `__metadata__`), then the raw
/// little-endian data. Reading validates the header against the file before any data is used.
public struct SafetensorsFile {
    public let entries: [SafetensorsEntry]
    public let metadata: [String: String]
    /// Where the tensors' bytes are: in memory (bytes given), or on disk, read one tensor at a
    /// time so that a checkpoint larger than memory is never held whole.
    let storage: Storage
    /// Where the data section starts in the file.
    let dataStart: Int
    let path: String

    enum Storage {
        case memory(Data)
        case disk(FileRangeReader)
    }

    static let dtypes: [String: ElementEncoding] = [
        "F16": .float16, "BF16": .bfloat16, "F32": .float32, "F64": .float64,
        "I8": .int8, "I16": .int16, "I32": .int32, "I64": .int64,
        "U8": .uint8, "U16": .uint16, "U32": .uint32, "U64": .uint64, "BOOL": .bool,
    ]

    /// Opens a file: the header is read, parsed and validated against the file's size; tensors
    /// are read from disk on demand, one byte range at a time.
    public init(contentsOf path: String) throws(FileFormatError) {
        guard FileManager.default.fileExists(atPath: path) else { throw FileFormatError("\(path) does not exist") }
        let file = try FileRangeReader(path: path)
        var lengthReader = ByteReader(try file.read(0..<min(8, file.size)), path: path, format: "safetensors")
        let headerLength = try Self.checkedHeaderLength(&lengthReader, fileSize: file.size)
        try self.init(header: Data(try file.read(8..<(8 + headerLength))), fileSize: file.size, storage: .disk(file), path: path)
    }

    public init(bytes: [UInt8], path: String) throws(FileFormatError) {
        try self.init(data: Data(bytes), path: path)
    }

    init(data: Data, path: String) throws(FileFormatError) {
        var lengthReader = ByteReader(Array(data.prefix(8)), path: path, format: "safetensors")
        let headerLength = try Self.checkedHeaderLength(&lengthReader, fileSize: data.count)
        try self.init(header: data.subdata(in: 8..<(8 + headerLength)), fileSize: data.count, storage: .memory(data), path: path)
    }

    /// The header's length from the file's first 8 bytes, checked to fit the file and the
    /// 100 MB the reference implementation allows (a larger header is not a model's).
    static func checkedHeaderLength(_ lengthReader: inout ByteReader, fileSize: Int) throws(FileFormatError) -> Int {
        let headerLength = try lengthReader.uint64LittleEndian()
        guard headerLength <= UInt64(fileSize - 8) else {
            throw lengthReader.error("the header length \(headerLength) exceeds the file size \(fileSize)")
        }
        guard headerLength <= 100_000_000 else {
            throw lengthReader.error("the header length \(headerLength) exceeds the 100 MB safetensors allows")
        }
        return Int(headerLength)
    }

    /// Parses and validates the JSON header against the size of the data section that follows it.
    init(header headerBytes: Data, fileSize: Int, storage: Storage, path: String) throws(FileFormatError) {
        let headerLength = headerBytes.count
        let reader = ByteReader([], path: path, format: "safetensors")
        guard let object = try? JSONSerialization.jsonObject(with: Data(headerBytes)), let header = object as? [String: Any] else {
            throw reader.error("the header is not a JSON object")
        }
        let dataSize = fileSize - 8 - headerLength
        var entries: [SafetensorsEntry] = []
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let pairs = value as? [String: Any] else { throw reader.error("__metadata__ is not an object") }
                for (key, item) in pairs { metadata[key] = item as? String ?? "\(item)" }
                continue
            }
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shapeItems = info["shape"] as? [Any], let offsetItems = info["data_offsets"] as? [Any], offsetItems.count == 2 else {
                throw reader.error("tensor '\(name)' needs dtype, shape and data_offsets [begin, end]")
            }
            // Strict like the reference implementation: `16.0` or `true` is not a dimension.
            let shape = shapeItems.compactMap(Self.strictInteger), offsets = offsetItems.compactMap(Self.strictInteger)
            guard shape.count == shapeItems.count, offsets.count == 2 else {
                throw reader.error("tensor '\(name)': shape and data_offsets must hold whole numbers written without a fraction, got \(shapeItems) and \(offsetItems)")
            }
            guard let encoding = Self.dtypes[dtype] else {
                throw reader.error("tensor '\(name)' has unsupported dtype \(dtype)")
            }
            guard shape.count <= Shape.maxRank else {
                throw reader.error("tensor '\(name)' has rank \(shape.count); at most \(Shape.maxRank) is supported")
            }
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataSize else {
                throw reader.error("tensor '\(name)' has offsets \(offsets) outside the \(dataSize)-byte data section")
            }
            guard let byteCount = CheckedSize.bytes(shape, elementSize: encoding.size) else {
                throw reader.error("tensor '\(name)': \(dtype) \(CheckedSize.describe(shape)) is larger than any file can hold")
            }
            guard byteCount == offsets[1] - offsets[0] else {
                throw reader.error("tensor '\(name)': \(dtype) \(CheckedSize.describe(shape)) needs \(byteCount) bytes, its offsets span \(offsets[1] - offsets[0])")
            }
            entries.append(SafetensorsEntry(name: name, dtype: dtype, encoding: encoding, shape: shape, dataRange: offsets[0]..<offsets[1]))
        }
        // The data section must be covered exactly: no overlaps, no holes.
        entries.sort { ($0.dataRange.lowerBound, $0.name) < ($1.dataRange.lowerBound, $1.name) }
        var position = 0
        for entry in entries where !entry.dataRange.isEmpty {
            guard entry.dataRange.lowerBound == position else {
                throw reader.error(entry.dataRange.lowerBound < position
                    ? "tensor '\(entry.name)' overlaps the previous tensor"
                    : "there is a hole in the data before tensor '\(entry.name)'")
            }
            position = entry.dataRange.upperBound
        }
        guard position == dataSize else { throw reader.error("\(dataSize - position) bytes after the last tensor belong to none") }
        self.entries = entries
        self.metadata = metadata
        self.storage = storage
        dataStart = 8 + headerLength
        self.path = path
    }

    /// A JSON integer as JSONSerialization gives it, refusing booleans and numbers written
    /// with a fraction or exponent (which arrive as floating-point NSNumbers).
    static func strictInteger(_ value: Any) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        let type = String(cString: number.objCType)
        guard ["q", "l", "i", "s", "Q", "L", "I", "S"].contains(type) else { return nil }
        return Int(exactly: number.int64Value)
    }

    /// The entry named `name`.
    public func entry(_ name: String) -> SafetensorsEntry? { entries.first { $0.name == name } }

    /// A tensor converted to `Scalar` (any floating or integer dtype).
    public func tensor<Scalar: TensorScalar>(_ name: String, as _: Scalar.Type = Scalar.self) throws(FileFormatError) -> Tensor<Scalar> {
        guard let entry = entry(name) else { throw FileFormatError("\(path) has no tensor named '\(name)'") }
        guard entry.shape.count <= Shape.maxRank else {
            throw FileFormatError("tensor '\(name)' in \(path) has rank \(entry.shape.count); at most \(Shape.maxRank) is supported")
        }
        let range = (dataStart + entry.dataRange.lowerBound)..<(dataStart + entry.dataRange.upperBound)
        switch storage {
        case .memory(let bytes):
            return bytes.withUnsafeBytes { raw in
                entry.encoding.tensor(UnsafeRawBufferPointer(rebasing: raw[range]), shape: Shape(entry.shape))
            }
        case .disk(let file):
            // Only this tensor's bytes are read; they are freed once converted.
            let bytes = try file.read(range)
            return bytes.withUnsafeBytes { raw -> Tensor<Scalar> in entry.encoding.tensor(raw, shape: Shape(entry.shape)) }
        }
    }

    /// Every tensor, in data order, converted to `Scalar`.
    public func tensors<Scalar: TensorScalar>(as _: Scalar.Type = Scalar.self) throws(FileFormatError) -> OrderedDictionary<String, Tensor<Scalar>> {
        var result = OrderedDictionary<String, Tensor<Scalar>>()
        for entry in entries { result[entry.name] = try tensor(entry.name, as: Scalar.self) }
        return result
    }

    /// Encodes named tensors as safetensors (in the given order), with optional metadata.
    public static func encode<Scalar: TensorScalar>(_ tensors: OrderedDictionary<String, Tensor<Scalar>>, metadata: [String: String] = [:]) -> [UInt8] {
        var header: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }
            header.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        var body: [UInt8] = []
        for (name, tensor) in tensors {
            let bytes = tensor.withUnsafeBufferPointer { Array(UnsafeRawBufferPointer($0)) }
            let shape = tensor.shape.dimensions.map(String.init).joined(separator: ",")
            header.append("\(jsonString(name)):{\"dtype\":\"\(Scalar.dtypeName)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + bytes.count)]}")
            offset += bytes.count
            body += bytes
        }
        var json = Array(("{" + header.joined(separator: ",") + "}").utf8)
        // Pad with spaces so the data starts 8-byte aligned.
        json += repeatElement(UInt8(ascii: " "), count: (8 - json.count % 8) % 8)
        let length = UInt64(json.count)
        return (0..<8).map { UInt8((length >> (8 * UInt64($0))) & 0xFF) } + json + body
    }

    /// Writes named tensors as a safetensors file (atomically).
    public static func write<Scalar: TensorScalar>(_ tensors: OrderedDictionary<String, Tensor<Scalar>>, metadata: [String: String] = [:], to path: String) throws(FileFormatError) {
        try AtomicWrite.write(encode(tensors, metadata: metadata), to: path)
    }

    static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
