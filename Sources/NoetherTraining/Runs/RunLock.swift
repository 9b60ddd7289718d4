import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on a run directory, held while a process trains into it, so that a second
/// `noether train`, `reproduce` or sweep executor pointed at the same run stops with an error
/// instead of interleaving its writes with the first. It is an advisory `flock` on the
/// directory's `.lock` file: the kernel drops it when the process ends, however it ends, so a
/// killed run never leaves a stale lock behind.
public final class RunLock {
    static let fileName = ".lock"
    private let descriptor: Int32

    public init(directory: String) throws(RunError) {
        let path = "\(directory)/\(Self.fileName)"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw RunError("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(descriptor)
            guard code == EWOULDBLOCK else {
                throw RunError("cannot lock \(path): \(String(cString: strerror(code))) (does this file system support flock?)")
            }
            throw RunError("\(directory) is in use by another Noether process (it holds \(path)); wait for that run to finish or stop it", isRunInUse: true)
        }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }
}
