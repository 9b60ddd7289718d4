/// One member of a zip archive, from its central-directory record: where its data is, how it
/// is stored, and the size and CRC-32 it declares. Every declared size is checked against the
/// file before anything is allocated, and the content against the CRC.
struct ZipMember {
    let name: String
    let method: UInt16
    let crc: UInt32
    let size: Int
    /// The stored (possibly compressed) bytes, a slice of the archive.
    let stored: ArraySlice<UInt8>
    let path: String

    /// Reads the directory record at `directory`'s position and locates the member's data.
    init(directory reader: inout ByteReader, archive bytes: [UInt8], path: String) throws(FileFormatError) {
        guard try reader.uint32LittleEndian() == 0x0201_4B50 else { throw reader.error("damaged central directory") }
        try reader.skip(6)
        method = try reader.uint16LittleEndian()
        try reader.skip(4)
        crc = try reader.uint32LittleEndian()
        var compressedSize = Int(try reader.uint32LittleEndian())
        var size = Int(try reader.uint32LittleEndian())
        let nameLength = Int(try reader.uint16LittleEndian())
        let extraLength = Int(try reader.uint16LittleEndian())
        let commentLength = Int(try reader.uint16LittleEndian())
        try reader.skip(8)
        var localOffset = Int(try reader.uint32LittleEndian())
        name = String(decoding: try reader.read(nameLength), as: UTF8.self)
        var extra = ByteReader(Array(try reader.read(extraLength)), path: path, format: "npz (zip)")
        try reader.skip(commentLength)
        // zip64 extended information replaces the fields that are saturated, in this order.
        while extra.remaining >= 4 {
            let id = try extra.uint16LittleEndian()
            let length = Int(try extra.uint16LittleEndian())
            guard id == 1 else { try extra.skip(length); continue }
            if size == 0xFFFF_FFFF { size = try extra.size64LittleEndian("member '\(name)' size") }
            if compressedSize == 0xFFFF_FFFF { compressedSize = try extra.size64LittleEndian("member '\(name)' compressed size") }
            if localOffset == 0xFFFF_FFFF { localOffset = try extra.size64LittleEndian("member '\(name)' offset") }
            break
        }
        var local = reader
        try local.seek(to: localOffset)
        guard try local.uint32LittleEndian() == 0x0403_4B50 else { throw reader.error("member '\(name)' has no local header") }
        try local.skip(22)
        let localName = Int(try local.uint16LittleEndian())
        let localExtra = Int(try local.uint16LittleEndian())
        try local.skip(localName + localExtra)
        // `read` checks the compressed size against what the file holds.
        stored = try local.read(compressedSize)
        switch method {
        case 0:
            guard size == compressedSize else {
                throw reader.error("stored member '\(name)' declares \(size) bytes but holds \(compressedSize)")
            }
        case 8:
            guard size <= Gzip.largestInflatedSize(ofCompressed: compressedSize) else {
                throw reader.error("member '\(name)' declares \(size) bytes, more than its \(compressedSize) compressed bytes can inflate to")
            }
        default:
            throw reader.error("member '\(name)' uses compression method \(method); only stored and deflated are supported")
        }
        self.size = size
        self.path = path
    }

    /// The member's bytes, inflated if needed, after checking their size and CRC-32.
    func content() throws(FileFormatError) -> [UInt8] {
        let memberPath = "\(path)[\(name)]"
        let content = method == 8
            ? try Gzip.decompress(stored, raw: true, expectedSize: size, limit: size, path: memberPath)
            : Array(stored)
        guard content.count == size else {
            throw FileFormatError.corrupt(path, "npz (zip)", "member '\(name)' inflates to \(content.count) bytes, not \(size)")
        }
        let actual = Gzip.crc32(content)
        guard actual == crc else {
            throw FileFormatError.corrupt(path, "npz (zip)", "member '\(name)' fails its CRC-32 check (the archive is damaged; stored \(String(crc, radix: 16)), computed \(String(actual, radix: 16)))")
        }
        return content
    }
}
