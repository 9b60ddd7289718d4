import Foundation

/// A bounds-checked cursor over bytes: every read either succeeds or throws a
/// ``FileFormatError`` saying the file is truncated — never traps.
public struct ByteReader {
    public let bytes: [UInt8]
    public private(set) var offset = 0
    let path: String, format: String

    public init(_ bytes: [UInt8], path: String, format: String) {
        self.bytes = bytes
        self.path = path
        self.format = format
    }

    public var remaining: Int { bytes.count - offset }

    public func error(_ reason: String) -> FileFormatError { .corrupt(path, format, reason) }

    public mutating func read(_ count: Int) throws(FileFormatError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else {
            throw error("truncated: needed \(count) bytes at offset \(offset), \(remaining) left")
        }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    public mutating func skip(_ count: Int) throws(FileFormatError) { _ = try read(count) }

    public mutating func seek(to position: Int) throws(FileFormatError) {
        guard position >= 0, position <= bytes.count else { throw error("offset \(position) is outside the file") }
        offset = position
    }

    public mutating func uint8() throws(FileFormatError) -> UInt8 { try read(1).first ?? 0 }

    public mutating func uint16LittleEndian() throws(FileFormatError) -> UInt16 {
        try read(2).reversed().reduce(0) { $0 << 8 | UInt16($1) }
    }

    public mutating func uint32LittleEndian() throws(FileFormatError) -> UInt32 {
        try read(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    public mutating func uint32BigEndian() throws(FileFormatError) -> UInt32 {
        try read(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    public mutating func uint64LittleEndian() throws(FileFormatError) -> UInt64 {
        try read(8).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// A 64-bit little-endian size or offset, which must fit in `Int` (a value ≥ 2⁶³ cannot
    /// describe anything in a file).
    public mutating func size64LittleEndian(_ what: String) throws(FileFormatError) -> Int {
        let value = try uint64LittleEndian()
        guard let size = Int(exactly: value) else { throw error("\(what) \(value) is too large for any file") }
        return size
    }
}

extension FileFormatError {
    /// Reads a whole file, or explains why it cannot be read; `hint` says how to get it.
    public static func readFile(_ path: String, hint: String? = nil) throws(FileFormatError) -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw FileFormatError("\(path) does not exist" + (hint.map { "; \($0)" } ?? ""))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileFormatError("\(path) cannot be read (check its permissions)")
        }
        return [UInt8](data)
    }
}
