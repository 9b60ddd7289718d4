import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-line progress bar on standard error, redrawn in place. It exists only when standard
/// error is a terminal, so JSON on standard output, logs and pipes never contain it.
struct ProgressBar: Sendable {
    let label: String

    /// A bar when standard error is a terminal, else nil.
    static func onTerminal(label: String) -> ProgressBar? {
        isatty(STDERR_FILENO) == 1 ? ProgressBar(label: label) : nil
    }

    func update(_ done: Int, of total: Int) {
        let width = 30
        let filled = total > 0 ? min(width, done * width / total) : width
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(done)/\(total) rows".utf8))
    }

    /// Clears the line, so what follows starts on a clean one.
    func finish() {
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }
}
