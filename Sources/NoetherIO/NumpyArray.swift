import Foundation
import NoetherTensor

/// An array in numpy's `.npy` format (versions 1–3; C or Fortran order; little- or big-endian;
/// float, integer and bool dtypes). Elements are kept in C order as stored bytes.
public struct NumpyArray {
    public let encoding: ElementEncoding
    public let shape: [Int]
    /// The elements in C order, in the byte order the file used.
    let data: [UInt8]
    let bigEndian: Bool

    /// Validated when read: the product cannot overflow (a zero extent makes it 0 whatever the others).
    public var count: Int { CheckedSize.product(shape) ?? 0 }

    /// Reads an `.npy` file.
    public init(contentsOf path: String) throws(FileFormatError) {
        try self.init(bytes: try FileFormatError.readFile(path), path: path)
    }

    /// Parses `.npy` bytes; `path` names the source in errors.
    public init(bytes: [UInt8], path: String) throws(FileFormatError) {
        var reader = ByteReader(bytes, path: path, format: "npy")
        guard Array(try reader.read(6)) == [0x93] + Array("NUMPY".utf8) else {
            throw reader.error("it does not start with the \\x93NUMPY magic string")
        }
        let major = try reader.uint8()
        _ = try reader.uint8()
        let headerLength: Int
        switch major {
        case 1: headerLength = Int(try reader.uint16LittleEndian())
        case 2, 3: headerLength = Int(try reader.uint32LittleEndian())
        default: throw reader.error("format version \(major) is not supported (1–3 are)")
        }
        let headerBytes = try reader.read(headerLength)
        guard let header = String(bytes: headerBytes, encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw reader.error("the header is not text")
        }
        let parsed = try NumpyHeader(header, error: reader.error)
        guard parsed.shape.count <= Shape.maxRank else {
            throw reader.error("shape \(CheckedSize.describe(parsed.shape)) has rank \(parsed.shape.count); at most \(Shape.maxRank) axes are supported (reshape the array)")
        }
        guard let byteCount = CheckedSize.bytes(parsed.shape, elementSize: parsed.encoding.size) else {
            throw reader.error("shape \(CheckedSize.describe(parsed.shape)) of \(parsed.descr) is larger than any file can hold")
        }
        guard byteCount <= reader.remaining else {
            throw reader.error("shape \(CheckedSize.describe(parsed.shape)) of \(parsed.descr) needs \(byteCount) bytes, the file has \(reader.remaining)")
        }
        let raw = Array(try reader.read(byteCount))
        encoding = parsed.encoding
        shape = parsed.shape
        bigEndian = parsed.bigEndian
        data = parsed.fortranOrder ? Self.fortranToC(raw, shape: parsed.shape, elementSize: parsed.encoding.size) : raw
    }

    /// An array holding a tensor's values (written as `<f4` or `<f8`).
    public init<Scalar: TensorScalar>(_ tensor: Tensor<Scalar>) {
        encoding = Scalar.self == Float.self ? .float32 : .float64
        shape = tensor.shape.dimensions
        bigEndian = false
        data = tensor.withUnsafeBufferPointer { Array(UnsafeRawBufferPointer($0)) }
    }

    /// An array of 64-bit integers (`<i8`), e.g. labels.
    public init(integers: [Int], shape: [Int]? = nil) {
        encoding = .int64
        self.shape = shape ?? [integers.count]
        bigEndian = false
        data = integers.map { Int64($0) }.withUnsafeBufferPointer { Array(UnsafeRawBufferPointer($0)) }
    }

    /// The elements as a floating-point tensor.
    public func tensor<Scalar: TensorScalar>(as _: Scalar.Type = Scalar.self) -> Tensor<Scalar> {
        data.withUnsafeBytes { encoding.tensor($0, shape: Shape(shape), bigEndian: bigEndian) }
    }

    /// The elements as integers; fails for non-integral floating-point values.
    public func integers(path: String) throws(FileFormatError) -> [Int] {
        let values = data.withUnsafeBytes { p in (0..<count).map { encoding.integer(p, at: $0, bigEndian: bigEndian) } }
        if let bad = values.firstIndex(of: Int.min) {
            throw FileFormatError.corrupt(path, "npy", "element \(bad) is not an integer (labels must be whole numbers)")
        }
        return values
    }

    /// The `.npy` encoding (version 1.0, C order, header padded to 64 bytes like numpy's).
    public func encoded() -> [UInt8] {
        let descr: String
        switch encoding {
        case .float16: descr = "f2"
        case .bfloat16: descr = "V2"
        case .float32: descr = "f4"
        case .float64: descr = "f8"
        case .int8: descr = "i1"
        case .int16: descr = "i2"
        case .int32: descr = "i4"
        case .int64: descr = "i8"
        case .uint8: descr = "u1"
        case .uint16: descr = "u2"
        case .uint32: descr = "u4"
        case .uint64: descr = "u8"
        case .bool: descr = "b1"
        }
        let order = encoding.size == 1 ? "|" : (bigEndian ? ">" : "<")
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(order)\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        let length = UInt16(header.utf8.count)
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(header.utf8) + data
    }

    /// Writes the array as an `.npy` file (atomically).
    public func write(to path: String) throws(FileFormatError) {
        try AtomicWrite.write(encoded(), to: path)
    }

    /// Reorders column-major bytes into row-major order.
    static func fortranToC(_ raw: [UInt8], shape: [Int], elementSize: Int) -> [UInt8] {
        let count = CheckedSize.product(shape) ?? 0
        guard shape.count > 1, count > 0 else { return raw }
        var fortranStrides = [Int](repeating: 1, count: shape.count)
        for axis in 1..<shape.count { fortranStrides[axis] = fortranStrides[axis - 1] * shape[axis - 1] }
        var result = [UInt8](repeating: 0, count: raw.count)
        var index = [Int](repeating: 0, count: shape.count)
        for linear in 0..<count {
            var source = 0
            for axis in 0..<shape.count { source += index[axis] * fortranStrides[axis] }
            for k in 0..<elementSize { result[linear * elementSize + k] = raw[source * elementSize + k] }
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return result
    }
}

/// The dict literal of an `.npy` header: `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
struct NumpyHeader {
    let descr: String
    let encoding: ElementEncoding
    let bigEndian: Bool
    let fortranOrder: Bool
    let shape: [Int]

    init(_ text: String, error: (String) -> FileFormatError) throws(FileFormatError) {
        func value(of key: String) throws(FileFormatError) -> Substring {
            guard let keyRange = text.range(of: "'\(key)'") ?? text.range(of: "\"\(key)\""),
                  let colon = text[keyRange.upperBound...].firstIndex(of: ":") else {
                throw error("the header has no '\(key)' entry")
            }
            return text[text.index(after: colon)...].drop { $0 == " " }
        }
        let descrValue = try value(of: "descr")
        guard let quote = descrValue.first, quote == "'" || quote == "\"",
              let end = descrValue.dropFirst().firstIndex(of: quote) else {
            throw error("the dtype is not a simple string (structured dtypes are not supported)")
        }
        descr = String(descrValue[descrValue.index(after: descrValue.startIndex)..<end])
        let orderValue = try value(of: "fortran_order")
        guard let fortran = ["True": true, "False": false].first(where: { orderValue.hasPrefix($0.key) })?.value else {
            throw error("fortran_order must be True or False, got '\(orderValue.prefix(12))'")
        }
        fortranOrder = fortran
        // numpy ends the dict with `}` and pads with spaces up to a newline; anything else
        // after the dict is damage, not padding.
        guard let close = text.lastIndex(of: "}"),
              text[text.index(after: close)...].allSatisfy({ $0 == " " || $0 == "\n" || $0 == "\0" }),
              text.first == "{" else {
            throw error("the header is not a dict literal padded with spaces")
        }
        let shapeValue = try value(of: "shape")
        guard shapeValue.first == "(", let close = shapeValue.firstIndex(of: ")") else { throw error("the shape is not a tuple") }
        let parts = shapeValue[shapeValue.index(after: shapeValue.startIndex)..<close]
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var dimensions: [Int] = []
        for part in parts {
            guard let d = Int(part.hasSuffix("L") ? String(part.dropLast()) : part), d >= 0 else {
                throw error("shape entry '\(part)' is not a non-negative integer")
            }
            dimensions.append(d)
        }
        shape = dimensions
        guard descr.count >= 3, let order = descr.first, let size = Int(descr.dropFirst(2)) else {
            throw error("dtype '\(descr)' is not understood")
        }
        bigEndian = order == ">"
        let kind = descr[descr.index(after: descr.startIndex)]
        let encodings: [String: ElementEncoding] = [
            "f2": .float16, "f4": .float32, "f8": .float64,
            "i1": .int8, "i2": .int16, "i4": .int32, "i8": .int64,
            "u1": .uint8, "u2": .uint16, "u4": .uint32, "u8": .uint64, "b1": .bool,
        ]
        guard "<>|=".contains(order), let found = encodings["\(kind)\(size)"] else {
            throw error("dtype '\(descr)' is not supported; use float16/32/64, (u)int8–64 or bool")
        }
        encoding = found
    }
}
