// `stdout` is a C global that Swift 6 sees as shared mutable state; it is only read here, once,
// before any output, so the preconcurrency import is confined to this file.
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif

/// Makes standard output line-buffered, so that progress reaches a log file or pipe as each
/// line is printed rather than when a buffer fills.
func lineBufferStandardOutput() {
    setvbuf(stdout, nil, _IOLBF, 0)
}
