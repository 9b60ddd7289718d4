import NoetherTensor

/// An array in the IDX format of MNIST and Fashion-MNIST (optionally gzip-compressed):
/// two zero bytes, a type code, the rank, big-endian 32-bit extents, then big-endian data.
public struct IDXArray {
    public enum ElementType: UInt8 {
        case uint8 = 0x08, int8 = 0x09, int16 = 0x0B, int32 = 0x0C, float32 = 0x0D, float64 = 0x0E
        var size: Int {
            switch self {
            case .uint8, .int8: 1
            case .int16: 2
            case .int32, .float32: 4
            case .float64: 8
            }
        }
    }

    public let shape: [Int]
    public let elementType: ElementType
    /// The raw big-endian payload.
    let payload: [UInt8]

    /// Reads an IDX file, decompressing it first if it is gzip-compressed.
    public init(contentsOf path: String, hint: String? = nil) throws(FileFormatError) {
        try self.init(fileBytes: try FileFormatError.readFile(path, hint: hint), path: path)
    }

    /// Parses the bytes of an IDX file, compressed or not.
    public init(fileBytes: [UInt8], path: String) throws(FileFormatError) {
        var bytes = fileBytes
        if Gzip.isCompressed(bytes) {
            // The header says how large the content is: inflate no more than that, so a small
            // file cannot expand into gigabytes before the size check.
            let header = try Gzip.prefix(bytes, count: 4 + 4 * 255, path: path)
            let declared = try Self.declaredSize(header, path: path)
            bytes = try Gzip.decompress(bytes, expectedSize: declared, limit: declared, path: path)
        }
        try self.init(bytes: bytes, path: path)
    }

    /// The total size (header and data) that an IDX header declares.
    static func declaredSize(_ bytes: [UInt8], path: String) throws(FileFormatError) -> Int {
        var reader = ByteReader(bytes, path: path, format: "IDX")
        let (type, shape) = try header(&reader)
        guard let dataSize = CheckedSize.bytes(shape, elementSize: type.size),
              let total = CheckedSize.sum(dataSize, reader.offset) else {
            throw reader.error("shape \(CheckedSize.describe(shape)) is larger than any file can hold")
        }
        return total
    }

    /// Reads the magic number and the extents.
    static func header(_ reader: inout ByteReader) throws(FileFormatError) -> (ElementType, [Int]) {
        let magic = try reader.read(4)
        guard magic[magic.startIndex] == 0, magic[magic.startIndex + 1] == 0 else {
            throw reader.error("the magic number does not start with two zero bytes")
        }
        guard let type = ElementType(rawValue: magic[magic.startIndex + 2]) else {
            throw reader.error("unknown element type code 0x\(String(magic[magic.startIndex + 2], radix: 16))")
        }
        let rank = Int(magic[magic.startIndex + 3])
        guard rank >= 1, rank <= Shape.maxRank else {
            throw reader.error("rank \(rank); IDX arrays of rank 1 to \(Shape.maxRank) are supported")
        }
        var shape: [Int] = []
        for _ in 0..<rank { shape.append(Int(try reader.uint32BigEndian())) }
        return (type, shape)
    }

    public init(bytes: [UInt8], path: String) throws(FileFormatError) {
        var reader = ByteReader(bytes, path: path, format: "IDX")
        let (type, shape) = try Self.header(&reader)
        guard let expected = CheckedSize.bytes(shape, elementSize: type.size), expected == reader.remaining else {
            throw reader.error("shape \(CheckedSize.describe(shape)) of \(type.size)-byte elements does not match the \(reader.remaining) bytes of data the file holds")
        }
        self.shape = shape
        elementType = type
        payload = Array(try reader.read(reader.remaining))
    }

    /// The number of elements.
    public var count: Int { CheckedSize.product(shape) ?? 0 }

    /// The elements as floating-point values, multiplied by `scale` (e.g. 1/255 for pixels).
    public func tensor<Scalar: TensorScalar>(scale: Double = 1) -> Tensor<Scalar> {
        var result = Tensor<Scalar>(uninitializedShape: Shape(shape))
        result.withUnsafeMutableBufferPointer { out in
            payload.withUnsafeBufferPointer { p in
                for i in 0..<count { out[i] = Scalar(value(at: i, p) * scale) }
            }
        }
        return result
    }

    /// The elements as integers (for labels). A floating-point element that is not a whole
    /// number of at most 2³¹ in magnitude (NaN, infinity, 1.5, 1e19) is refused: it names no class.
    public func integers(path: String) throws(FileFormatError) -> [Int] {
        var result: [Int] = []
        result.reserveCapacity(count)
        for i in 0..<count {
            let value = payload.withUnsafeBufferPointer { self.value(at: i, $0) }
            guard value.isFinite, value.rounded() == value, abs(value) <= 2_147_483_648 else {
                throw FileFormatError.corrupt(path, "IDX", "element \(i) is \(value), not a whole number (labels must be class indices)")
            }
            result.append(Int(value))
        }
        return result
    }

    @inline(__always)
    private func value(at i: Int, _ p: UnsafeBufferPointer<UInt8>) -> Double {
        switch elementType {
        case .uint8: return Double(p[i])
        case .int8: return Double(Int8(bitPattern: p[i]))
        case .int16: return Double(Int16(bitPattern: UInt16(p[2 * i]) << 8 | UInt16(p[2 * i + 1])))
        case .int32: return Double(Int32(bitPattern: bigEndian32(p, 4 * i)))
        case .float32: return Double(Float(bitPattern: bigEndian32(p, 4 * i)))
        case .float64:
            var bits: UInt64 = 0
            for k in 0..<8 { bits = bits << 8 | UInt64(p[8 * i + k]) }
            return Double(bitPattern: bits)
        }
    }

    @inline(__always)
    private func bigEndian32(_ p: UnsafeBufferPointer<UInt8>, _ o: Int) -> UInt32 {
        UInt32(p[o]) << 24 | UInt32(p[o + 1]) << 16 | UInt32(p[o + 2]) << 8 | UInt32(p[o + 3])
    }

    /// Encodes a uint8 array as IDX (for tests and exports).
    public static func encode(uint8 values: [UInt8], shape: [Int]) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, ElementType.uint8.rawValue, UInt8(shape.count)]
        for d in shape { bytes += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: UInt32(d) >> $0) } }
        return bytes + values
    }
}
