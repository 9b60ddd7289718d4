import CZlib

/// gzip and zlib streams, through zlib. Inflating is bounded: the caller says how many bytes
/// the stream may produce, so a small file cannot expand into gigabytes (a "zip bomb").
public enum Gzip {
    /// deflate cannot compress better than about 1032:1, so a stream of `n` bytes inflates to
    /// at most this many; a member that declares more is damaged.
    public static func largestInflatedSize(ofCompressed count: Int) -> Int {
        CheckedSize.product([count, 1032]).flatMap { CheckedSize.sum($0, 1024) } ?? Int.max
    }

    /// Whether `bytes` start with the gzip magic number.
    public static func isCompressed(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Inflates a gzip or zlib stream (`raw` for a bare deflate stream, as in zip files).
    /// More than `limit` bytes of output is an error that names the limit; `expectedSize`
    /// (when known and within the limit) sizes the first buffer.
    public static func decompress(_ bytes: some Collection<UInt8>, raw: Bool = false, expectedSize: Int? = nil,
                                  limit: Int? = nil, path: String) throws(FileFormatError) -> [UInt8] {
        let bound = limit ?? largestInflatedSize(ofCompressed: bytes.count)
        let (output, complete) = try inflate(Array(bytes), raw: raw, limit: bound, stopAtLimit: false,
                                             firstBuffer: min(expectedSize ?? bytes.count * 4, bound), path: path)
        guard complete else {
            throw FileFormatError.corrupt(path, "compressed", "it inflates to more than \(bound) bytes, the most its header or size allows")
        }
        return output
    }

    /// The first `count` bytes of a stream's inflated content (fewer if it is shorter), e.g. to
    /// read a header before deciding how much may follow.
    public static func prefix(_ bytes: [UInt8], count: Int, path: String) throws(FileFormatError) -> [UInt8] {
        try inflate(bytes, raw: false, limit: count, stopAtLimit: true, firstBuffer: count, path: path).output
    }

    /// Inflates at most `limit` bytes, in bounded steps. `complete` is false when the stream
    /// had more to give (an error unless `stopAtLimit`).
    static func inflate(_ input: [UInt8], raw: Bool, limit: Int, stopAtLimit: Bool, firstBuffer: Int,
                        path: String) throws(FileFormatError) -> (output: [UInt8], complete: Bool) {
        var input = input
        // A declared size is only a hint: the first buffer never exceeds what the input can
        // inflate to (nor 64 MiB); it grows as real output arrives.
        let initial = min(firstBuffer, limit, largestInflatedSize(ofCompressed: input.count), 1 << 26)
        var output = [UInt8](repeating: 0, count: max(initial, min(1024, limit), 1))
        var stream = z_stream()
        // 15 + 32: detect gzip or zlib headers; −15: raw deflate.
        guard inflateInit2_(&stream, raw ? -15 : 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw FileFormatError("zlib could not start inflating \(path)")
        }
        defer { inflateEnd(&stream) }
        var produced = 0, consumed = 0
        var status: Int32 = Z_OK
        // zlib counts in 32 bits: feed input and take output in steps it can count.
        let step = 1 << 30
        try input.withUnsafeMutableBufferPointer { (source) throws(FileFormatError) in
            guard let sourceBase = source.baseAddress else {
                throw FileFormatError.corrupt(path, "compressed", "the compressed stream is empty")
            }
            repeat {
                if stream.avail_in == 0 && consumed < source.count {
                    let chunk = min(step, source.count - consumed)
                    stream.next_in = sourceBase + consumed
                    stream.avail_in = UInt32(chunk)
                    consumed += chunk
                }
                if produced == output.count {
                    // More output than `limit` means the stream is larger than allowed.
                    guard produced < limit else { return }
                    output.append(contentsOf: repeatElement(0, count: min(output.count, limit - produced, step)))
                }
                status = output.withUnsafeMutableBufferPointer { destination in
                    guard let base = destination.baseAddress else { return Z_BUF_ERROR }
                    stream.next_out = base + produced
                    let room = min(destination.count - produced, step)
                    stream.avail_out = UInt32(room)
                    let result = CZlib.inflate(&stream, Z_NO_FLUSH)
                    produced += room - Int(stream.avail_out)
                    return result
                }
                guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                    throw FileFormatError.corrupt(path, "compressed", "the deflate stream is damaged (zlib status \(status))")
                }
                if status != Z_STREAM_END && stream.avail_in == 0 && consumed == source.count && produced < output.count {
                    throw FileFormatError.corrupt(path, "compressed", "the compressed stream ends early (truncated file)")
                }
            } while status != Z_STREAM_END
        }
        output.removeSubrange(produced...)
        if status == Z_STREAM_END { return (output, true) }
        if stopAtLimit { return (output, false) }
        // The limit was reached: one more byte would tell whether the stream ends here.
        return (output, try endsAfter(&stream, path: path))
    }

    /// Whether an inflating stream whose output is full has nothing more to produce.
    private static func endsAfter(_ stream: inout z_stream, path: String) throws(FileFormatError) -> Bool {
        var extra: UInt8 = 0
        let status = withUnsafeMutablePointer(to: &extra) { pointer in
            stream.next_out = pointer
            stream.avail_out = 1
            return CZlib.inflate(&stream, Z_NO_FLUSH)
        }
        return status == Z_STREAM_END && stream.avail_out == 1
    }

    /// The CRC-32 of `bytes` (as zip and gzip use).
    public static func crc32(_ bytes: some Collection<UInt8>) -> UInt32 {
        var crc: UInt = 0
        var remaining = Array(bytes)[...]
        // zlib counts in 32 bits.
        while !remaining.isEmpty {
            let chunk = remaining.prefix(1 << 30)
            crc = chunk.withUnsafeBufferPointer { CZlib.crc32(crc, $0.baseAddress, UInt32($0.count)) }
            remaining = remaining.dropFirst(chunk.count)
        }
        return UInt32(truncatingIfNeeded: crc)
    }
}
