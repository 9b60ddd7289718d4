import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads byte ranges of a file on disk with `pread`, one range at a time: a multi-gigabyte
/// checkpoint is never mapped or held whole, so memory stays at the ranges the caller keeps
/// (mapped pages would count in the resident set until unmapped). Every call opens its own
/// descriptor, so readers on several threads never share a file position.
public struct FileRangeReader: Sendable {
    public let path: String
    /// The file's size when it was opened; a range beyond it is refused before any allocation.
    public let size: Int

    public init(path: String) throws(FileFormatError) {
        var status = stat()
        guard stat(path, &status) == 0 else { throw FileFormatError("\(path) cannot be read: \(String(cString: strerror(errno)))") }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw FileFormatError("\(path) is not a regular file") }
        self.path = path
        size = Int(status.st_size)
    }

    /// The bytes `range` of the file, read into a fresh buffer. Throws when the range lies
    /// outside the file or the file shrank since it was opened.
    public func read(_ range: Range<Int>) throws(FileFormatError) -> [UInt8] {
        guard range.lowerBound >= 0, range.upperBound <= size else {
            throw FileFormatError("\(path): bytes \(range.lowerBound)..<\(range.upperBound) lie outside the \(size)-byte file")
        }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw FileFormatError("\(path) cannot be opened: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: range.count)
        var done = 0
        let failure: String? = buffer.withUnsafeMutableBytes { raw -> String? in
            while done < range.count {
                guard let base = raw.baseAddress else { return nil }
                let got = pread(descriptor, base + done, range.count - done, off_t(range.lowerBound + done))
                if got < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                if got == 0 { return "the file ended after \(range.lowerBound + done) bytes (was it truncated while being read?)" }
                done += got
            }
            return nil
        }
        if let failure { throw FileFormatError("\(path) cannot be read: \(failure)") }
        return buffer
    }
}
