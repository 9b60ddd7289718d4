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
        var bytes = try FileFormatError.readFile(path, hint: hint)
        if Gzip.isCompressed(bytes) { bytes = try Gzip.decompress(bytes, path: path) }
        try self.init(bytes: bytes, path: path)
    }

    public init(bytes: [UInt8], path: String) throws(FileFormatError) {
        var reader = ByteReader(bytes, path: path, format: "IDX")
        let magic = try reader.read(4)
        guard magic[magic.startIndex] == 0, magic[magic.startIndex + 1] == 0 else {
            throw reader.error("the magic number does not start with two zero bytes")
        }
        guard let type = ElementType(rawValue: magic[magic.startIndex + 2]) else {
            throw reader.error("unknown element type code 0x\(String(magic[magic.startIndex + 2], radix: 16))")
        }
        let rank = Int(magic[magic.startIndex + 3])
        guard rank >= 1 else { throw reader.error("rank 0") }
        var shape: [Int] = []
        for _ in 0..<rank { shape.append(Int(try reader.uint32BigEndian())) }
        let (count, overflow) = shape.reduce((1, false)) { acc, d in
            let (p, o) = acc.0.multipliedReportingOverflow(by: d)
            return (p, acc.1 || o)
        }
        let expected = count.multipliedReportingOverflow(by: type.size)
        guard !overflow, !expected.overflow, expected.partialValue == reader.remaining else {
            throw reader.error("shape \(shape) needs \(count) elements but the file holds \(reader.remaining) bytes of data")
        }
        self.shape = shape
        elementType = type
        payload = Array(try reader.read(reader.remaining))
    }

    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }

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

    /// The elements as integers (for labels).
    public func integers() -> [Int] {
        payload.withUnsafeBufferPointer { p in (0..<count).map { Int(value(at: $0, p)) } }
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
