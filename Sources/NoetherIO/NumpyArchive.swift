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
            // zip64: the locator precedes the end record and points at the zip64 end record.
            try reader.seek(to: end - 20)
            guard try reader.uint32LittleEndian() == 0x0706_4B50 else { throw reader.error("missing zip64 locator") }
            try reader.skip(4)
            try reader.seek(to: Int(try reader.uint64LittleEndian()))
            guard try reader.uint32LittleEndian() == 0x0606_4B50 else { throw reader.error("missing zip64 end record") }
            try reader.skip(20)
            entryCount = Int(try reader.uint64LittleEndian())
            try reader.skip(8)
            directoryOffset = Int(try reader.uint64LittleEndian())
        }
        try reader.seek(to: directoryOffset)
        var arrays = OrderedDictionary<String, NumpyArray>()
        for _ in 0..<entryCount {
            guard try reader.uint32LittleEndian() == 0x0201_4B50 else { throw reader.error("damaged central directory") }
            try reader.skip(6)
            let method = try reader.uint16LittleEndian()
            try reader.skip(8)
            var compressedSize = Int(try reader.uint32LittleEndian())
            var size = Int(try reader.uint32LittleEndian())
            let nameLength = Int(try reader.uint16LittleEndian())
            let extraLength = Int(try reader.uint16LittleEndian())
            let commentLength = Int(try reader.uint16LittleEndian())
            try reader.skip(8)
            var localOffset = Int(try reader.uint32LittleEndian())
            let name = String(decoding: try reader.read(nameLength), as: UTF8.self)
            var extra = ByteReader(Array(try reader.read(extraLength)), path: path, format: "npz (zip)")
            try reader.skip(commentLength)
            // zip64 extended information replaces the fields that are saturated, in this order.
            while extra.remaining >= 4 {
                let id = try extra.uint16LittleEndian()
                let length = Int(try extra.uint16LittleEndian())
                guard id == 1 else { try extra.skip(length); continue }
                if size == 0xFFFF_FFFF { size = Int(try extra.uint64LittleEndian()) }
                if compressedSize == 0xFFFF_FFFF { compressedSize = Int(try extra.uint64LittleEndian()) }
                if localOffset == 0xFFFF_FFFF { localOffset = Int(try extra.uint64LittleEndian()) }
                break
            }
            var local = reader
            try local.seek(to: localOffset)
            guard try local.uint32LittleEndian() == 0x0403_4B50 else { throw reader.error("member '\(name)' has no local header") }
            try local.skip(22)
            let localName = Int(try local.uint16LittleEndian())
            let localExtra = Int(try local.uint16LittleEndian())
            try local.skip(localName + localExtra)
            let stored = try local.read(compressedSize)
            let memberPath = "\(path)[\(name)]"
            let content: [UInt8]
            switch method {
            case 0: content = Array(stored)
            case 8: content = try Gzip.decompress(stored, raw: true, expectedSize: size, path: memberPath)
            default: throw reader.error("member '\(name)' uses compression method \(method); only stored and deflated are supported")
            }
            guard content.count == size else { throw reader.error("member '\(name)' inflates to \(content.count) bytes, not \(size)") }
            let key = name.hasSuffix(".npy") ? String(name.dropLast(4)) : name
            arrays[key] = try NumpyArray(bytes: content, path: memberPath)
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
