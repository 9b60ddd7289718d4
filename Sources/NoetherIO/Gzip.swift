import CZlib

/// gzip and zlib streams, through zlib.
public enum Gzip {
    /// Whether `bytes` start with the gzip magic number.
    public static func isCompressed(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Inflates a gzip or zlib stream (`raw` for a bare deflate stream, as in zip files).
    public static func decompress(_ bytes: some Collection<UInt8>, raw: Bool = false, expectedSize: Int? = nil, path: String) throws(FileFormatError) -> [UInt8] {
        var input = Array(bytes)
        var output = [UInt8](repeating: 0, count: max(expectedSize ?? input.count * 4, 1024))
        var stream = z_stream()
        // 15 + 32: detect gzip or zlib headers; −15: raw deflate.
        guard inflateInit2_(&stream, raw ? -15 : 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw FileFormatError("zlib could not start inflating \(path)")
        }
        defer { inflateEnd(&stream) }
        var produced = 0
        var status: Int32 = Z_OK
        try input.withUnsafeMutableBufferPointer { (source) throws(FileFormatError) in
            stream.next_in = source.baseAddress
            stream.avail_in = UInt32(source.count)
            repeat {
                if produced == output.count { output.append(contentsOf: repeatElement(0, count: output.count)) }
                status = output.withUnsafeMutableBufferPointer { destination in
                    stream.next_out = destination.baseAddress! + produced
                    stream.avail_out = UInt32(destination.count - produced)
                    let result = inflate(&stream, Z_NO_FLUSH)
                    produced = destination.count - Int(stream.avail_out)
                    return result
                }
                guard status == Z_OK || status == Z_STREAM_END else {
                    throw FileFormatError.corrupt(path, "compressed", "the deflate stream is damaged (zlib status \(status))")
                }
                if status == Z_OK && stream.avail_in == 0 && stream.avail_out > 0 {
                    throw FileFormatError.corrupt(path, "compressed", "the compressed stream ends early (truncated file)")
                }
            } while status != Z_STREAM_END
        }
        output.removeSubrange(produced...)
        return output
    }

    /// The CRC-32 of `bytes` (as zip and gzip use).
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(CZlib.crc32(0, $0.baseAddress, UInt32($0.count))) }
    }
}
