import Dispatch
import Foundation

/// Splits independent work across the machine's cores. Each part must touch memory no other part
/// touches, and a reduction must combine fixed chunks in a fixed order (never per-part partial
/// results), so the result does not depend on the split: a run gives the same bits on any
/// number of threads.
public enum Parallel {
    /// The number of parts large work is split into: the cores, at most 8, and no more than
    /// `OPENBLAS_NUM_THREADS` when it is set — the share of the machine a sweep executor gives
    /// each trial. (The split never changes results, only speed.)
    public static let parts: Int = {
        let cores = Swift.max(1, Swift.min(8, ProcessInfo.processInfo.activeProcessorCount))
        guard let value = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"], let limit = Int(value), limit > 0 else { return cores }
        return Swift.min(cores, limit)
    }()

    /// The number of parts for work started inside `Parallel.$partsOverride.withValue(n) { … }`
    /// instead of ``parts`` — how tests check that results do not depend on the thread count.
    @TaskLocal public static var partsOverride: Int?

    /// Calls `body` on contiguous ranges covering `0..<count` — in parallel when `work` (a rough
    /// count of elements touched) is large enough to pay for the threads, else on this thread.
    @inlinable
    public static func forEachRange(_ count: Int, work: Int, minimumWork: Int = 1 << 16, _ body: (Range<Int>) -> Void) {
        // The task-local is read only for work large enough to split.
        let threads = work >= minimumWork && count > 1 ? Swift.min(Swift.max(1, partsOverride ?? parts), count) : 1
        guard threads > 1 else {
            if count > 0 { body(0..<count) }
            return
        }
        let chunk = (count + threads - 1) / threads
        // The ranges are disjoint and the caller promises disjoint memory per range.
        nonisolated(unsafe) let body = body
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let start = t * chunk
            let end = Swift.min(count, start + chunk)
            if start < end { body(start..<end) }
        }
    }
}
