import NoetherTensor

/// How one array element is stored in a file: its type and width. Shared by npy and
/// safetensors so both decode every dtype the same way.
public enum ElementEncoding: Hashable, Sendable {
    case float16, bfloat16, float32, float64
    case int8, int16, int32, int64
    case uint8, uint16, uint32, uint64
    case bool

    public var size: Int {
        switch self {
        case .int8, .uint8, .bool: 1
        case .float16, .bfloat16, .int16, .uint16: 2
        case .float32, .int32, .uint32: 4
        case .float64, .int64, .uint64: 8
        }
    }

    public var isInteger: Bool {
        switch self {
        case .float16, .bfloat16, .float32, .float64: false
        default: true
        }
    }

    /// Reads the unsigned bits of the element starting at `offset`.
    @inline(__always)
    func bits(_ p: UnsafeRawBufferPointer, _ offset: Int, bigEndian: Bool) -> UInt64 {
        var value: UInt64 = 0
        if bigEndian {
            for k in 0..<size { value = value << 8 | UInt64(p[offset + k]) }
        } else {
            for k in stride(from: size - 1, through: 0, by: -1) { value = value << 8 | UInt64(p[offset + k]) }
        }
        return value
    }

    /// The element at index `i` of `p` as a Double.
    @inline(__always)
    public func value(_ p: UnsafeRawBufferPointer, at i: Int, bigEndian: Bool = false) -> Double {
        let b = bits(p, i * size, bigEndian: bigEndian)
        switch self {
        case .float16: return Double(Self.halfToFloat(UInt16(truncatingIfNeeded: b)))
        case .bfloat16: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: b) << 16))
        case .float32: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: b)))
        case .float64: return Double(bitPattern: b)
        case .int8: return Double(Int8(truncatingIfNeeded: b))
        case .int16: return Double(Int16(truncatingIfNeeded: b))
        case .int32: return Double(Int32(truncatingIfNeeded: b))
        case .int64: return Double(Int64(bitPattern: b))
        case .uint8, .uint16, .uint32, .uint64: return Double(b)
        case .bool: return b == 0 ? 0 : 1
        }
    }

    /// The element at index `i` as an integer (exact for integer types).
    @inline(__always)
    public func integer(_ p: UnsafeRawBufferPointer, at i: Int, bigEndian: Bool = false) -> Int {
        let b = bits(p, i * size, bigEndian: bigEndian)
        switch self {
        case .int8: return Int(Int8(truncatingIfNeeded: b))
        case .int16: return Int(Int16(truncatingIfNeeded: b))
        case .int32: return Int(Int32(truncatingIfNeeded: b))
        case .int64: return Int(Int64(bitPattern: b))
        case .uint8, .uint16, .uint32, .bool: return Int(b)
        case .uint64: return Int(truncatingIfNeeded: b)
        case .float16, .bfloat16, .float32, .float64:
            let v = value(p, at: i, bigEndian: bigEndian)
            return v.isFinite && v.rounded() == v && abs(v) < 9e18 ? Int(v) : Int.min
        }
    }

    /// IEEE half precision to single (exact, including subnormals, infinities and NaN).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exponent = Int(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x3FF)
        switch exponent {
        case 0:
            // Subnormal: mantissa · 2⁻²⁴.
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign == 0 ? magnitude : -magnitude
        case 31:
            return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
        default:
            return Float(bitPattern: sign | UInt32(exponent + 112) << 23 | mantissa << 13)
        }
    }

    /// Decodes `count` little- or big-endian elements into a tensor of `shape`.
    public func tensor<Scalar: TensorScalar>(_ bytes: UnsafeRawBufferPointer, shape: Shape, bigEndian: Bool = false) -> Tensor<Scalar> {
        var result = Tensor<Scalar>(uninitializedShape: shape)
        result.withUnsafeMutableBufferPointer { out in
            switch (self, bigEndian, Scalar.self) {
            case (.float32, false, is Float.Type):
                // The common case: a straight copy.
                UnsafeMutableRawBufferPointer(out).copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<(out.count * 4)]))
            case (.float64, false, is Double.Type):
                UnsafeMutableRawBufferPointer(out).copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<(out.count * 8)]))
            default:
                for i in 0..<out.count { out[i] = Scalar(value(bytes, at: i, bigEndian: bigEndian)) }
            }
        }
        return result
    }
}
