import Foundation
import OrderedCollections

/// A `.npz` archive: a zip file of `.npy` members, stored or deflated (numpy's `savez` and
/// `savez_compressed`), including the zip64 fields numpy writes.
public struct NumpyArchive {
    /// The arrays by name (the member name without `.npy`), in archive order.
    public var arrays: OrderedDictionary<String, NumpyArray>

    public init(_ arrays: OrderedDictionary<String, NumpyArray>) { self.arrays = arrays }

    public init(contentsOf path: String) throws(FileFormatError) {
        try self.init(bytes: try FileFormatError.readFile(path), path: path)
    }

    public init(bytes: [UInt8], path: String) throws(FileFormatError) {
        var reader = ByteReader(bytes, path: path, format: "npz (zip)")
        // The end-of-central-directory record is within the last 64 KiB + 22 bytes.
        guard bytes.count >= 22 else { throw reader.error("too short for a zip archive") }
        var end = -1
        for position in stride(from: bytes.count - 22, through: max(0, bytes.count - 22 - 65_535), by: -1)
        where bytes[position] == 0x50 && bytes[position + 1] == 0x4B && bytes[position + 2] == 5 && bytes[position + 3] == 6 {
            end = position
            break
        }
        guard end >= 0 else { throw reader.error("no zip end-of-central-directory record") }
        try reader.seek(to: end + 10)
        var entryCount = Int(try reader.uint16LittleEndian())
        try reader.skip(4)
        var directoryOffset = Int(try reader.uint32LittleEndian())
        if entryCount == 0xFFFF || directoryOffset == 0xFFFF_FFFF {
            // zip64: the locator precedes the end record and points at the zip64 end record:
            // signature, record size (8), versions (2 + 2), disk numbers (4 + 4), entries on
            // this disk (8), entries in total (8), directory size (8), directory offset (8).
            try reader.seek(to: end - 20)
            guard try reader.uint32LittleEndian() == 0x0706_4B50 else { throw reader.error("missing zip64 locator") }
            try reader.skip(4)
            try reader.seek(to: try reader.size64LittleEndian("the zip64 end record offset"))
            guard try reader.uint32LittleEndian() == 0x0606_4B50 else { throw reader.error("missing zip64 end record") }
            try reader.skip(28)
            entryCount = try reader.size64LittleEndian("the zip64 entry count")
            try reader.skip(8)
            directoryOffset = try reader.size64LittleEndian("the zip64 directory offset")
        }
        // Every directory record takes at least 46 bytes: a larger count is damage, not a loop.
        guard entryCount <= bytes.count / 46 else {
            throw reader.error("the directory claims \(entryCount) members, more than the \(bytes.count)-byte file can list")
        }
        try reader.seek(to: directoryOffset)
        var arrays = OrderedDictionary<String, NumpyArray>()
        for _ in 0..<entryCount {
            let member = try ZipMember(directory: &reader, archive: bytes, path: path)
            let key = member.name.hasSuffix(".npy") ? String(member.name.dropLast(4)) : member.name
            arrays[key] = try NumpyArray(bytes: try member.content(), path: "\(path)[\(member.name)]")
        }
        self.arrays = arrays
    }

    /// The archive as a zip of stored (uncompressed) `.npy` members, as `numpy.savez` writes.
    public func encoded() -> [UInt8] {
        var output: [UInt8] = []
        var directory: [UInt8] = []
        func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
        func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
        for (name, array) in arrays {
            let content = array.encoded()
            let fileName = Array((name + ".npy").utf8)
            let crc = Int(Gzip.crc32(content))
            let common = le16(20) + le16(0) + le16(0) + le16(0) + le16(0x21) + le32(crc) + le32(content.count) + le32(content.count)
                + le16(fileName.count) + le16(0)
            directory += le32(0x0201_4B50) + le16(20) + common + le16(0) + le16(0) + le16(0) + le32(0) + le32(output.count) + fileName
            output += le32(0x0403_4B50) + common + fileName + content
        }
        let directoryOffset = output.count
        output += directory
        output += le32(0x0605_4B50) + le16(0) + le16(0) + le16(arrays.count) + le16(arrays.count)
            + le32(directory.count) + le32(directoryOffset) + le16(0)
        return output
    }

    /// Writes the archive (atomically).
    public func write(to path: String) throws(FileFormatError) {
        try AtomicWrite.write(encoded(), to: path)
    }
}
