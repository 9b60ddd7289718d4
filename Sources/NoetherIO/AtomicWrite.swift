import Foundation

/// Writing files so that a reader never sees half a file: write a temporary sibling, then
/// rename it over the destination (atomic on POSIX file systems).
public enum AtomicWrite {
    public static func write(_ data: Data, to path: String) throws(FileFormatError) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let temporary = directory + "/.\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)"
            try data.write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, path) == 0 else {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(atPath: temporary)
                throw FileFormatError("cannot write \(path): \(reason)")
            }
        } catch let error as FileFormatError {
            throw error
        } catch {
            throw FileFormatError("cannot write \(path): \(error.localizedDescription)")
        }
    }

    public static func write(_ bytes: [UInt8], to path: String) throws(FileFormatError) {
        try write(Data(bytes), to: path)
    }
}
