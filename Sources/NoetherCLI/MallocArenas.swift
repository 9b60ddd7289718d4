#if canImport(Glibc)
import Glibc
#endif

/// glibc gives every thread that allocates its own heap ("arena") and cannot hand the freed
/// middle of an arena back to the system, so the large activation buffers the worker threads of
/// Noether's kernels allocate and free pile up: `noether compress` on a small CNN peaked at
/// 3.5–5.9 GB RSS with the default arenas and at 1.36 GB with one (docs/benchmarks.md).
/// The training step allocates nothing per step (its buffers are reused), so one arena costs it
/// nothing measurable. A user's own `MALLOC_ARENA_MAX` is left in force.
enum MallocArenas {
    /// glibc's `M_ARENA_MAX` (malloc.h, which Swift's Glibc module does not import).
    private static let arenaMaxOption: Int32 = -8

    static func shareOne() {
        #if canImport(Glibc)
        guard getenv("MALLOC_ARENA_MAX") == nil, let symbol = dlsym(nil, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        _ = mallopt(arenaMaxOption, 1)
        #endif
    }
}
