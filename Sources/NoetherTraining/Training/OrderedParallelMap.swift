import Foundation
import NoetherTensor

/// Maps `0..<count` on several threads, each taking the next index in order, and returns the
/// results in index order: the same array as one thread gives, whatever finishes first. Work
/// inside an index that is large enough to split gets the cores no other job uses.
public enum OrderedParallelMap {
    /// - Parameter alone: indices that run with no other (the largest matrices: two at once
    ///   would double the peak memory).
    public static func map<T>(_ count: Int, jobs: Int, progress: (@Sendable (Int, Int) -> Void)?, alone: @escaping @Sendable (Int) -> Bool = { _ in false },
                       _ body: @escaping (Int) throws(RunError) -> T) throws(RunError) -> [T] {
        let state = State<T>(count: count)
        let threads = max(1, min(jobs, count))
        // Each index is handed out once and writes only its own slot, under the lock.
        nonisolated(unsafe) let body = body
        let work: @Sendable (Int) -> Void = { _ in
            while let index = state.next() {
                let exclusive = threads > 1 && alone(index)
                state.gate.enter(exclusive: exclusive)
                let result: Result<T, RunError>
                do throws(RunError) { result = .success(try body(index)) } catch { result = .failure(error) }
                state.gate.leave(exclusive: exclusive)
                state.finish(index, result, progress: progress)
            }
        }
        if threads == 1 {
            work(0)
        } else {
            // Jobs share the machine: each runs its BLAS blocks on its own share of the cores.
            let share = max(1, (Parallel.partsOverride ?? Parallel.parts) / threads)
            DispatchQueue.concurrentPerform(iterations: threads) { t in Parallel.$partsOverride.withValue(share) { work(t) } }
        }
        return try state.results()
    }

    /// Lets any number of ordinary indices run together, or one exclusive index alone. A waiting
    /// exclusive index holds back new ordinary ones, so it is not starved.
    final class Gate: @unchecked Sendable {
        private let condition = NSCondition()
        private var running = 0, exclusiveWaiting = 0, exclusiveRunning = false

        func enter(exclusive: Bool) {
            condition.lock()
            defer { condition.unlock() }
            if exclusive {
                exclusiveWaiting += 1
                while running > 0 || exclusiveRunning { condition.wait() }
                exclusiveWaiting -= 1
                exclusiveRunning = true
            } else {
                while exclusiveRunning || exclusiveWaiting > 0 { condition.wait() }
            }
            running += 1
        }

        func leave(exclusive: Bool) {
            condition.lock()
            defer { condition.unlock() }
            running -= 1
            if exclusive { exclusiveRunning = false }
            condition.broadcast()
        }
    }

    final class State<T>: @unchecked Sendable {
        let gate = Gate()
        private let lock = NSLock()
        private var slots: [Result<T, RunError>?]
        private var handedOut = 0, done = 0
        /// The first index that failed: no index after it is started, as on one thread.
        private var failedAt: Int?

        init(count: Int) { slots = Array(repeating: nil, count: count) }

        func next() -> Int? {
            lock.lock()
            defer { lock.unlock() }
            guard handedOut < slots.count, failedAt.map({ handedOut < $0 }) ?? true else { return nil }
            handedOut += 1
            return handedOut - 1
        }

        func finish(_ index: Int, _ result: Result<T, RunError>, progress: (@Sendable (Int, Int) -> Void)?) {
            lock.lock()
            defer { lock.unlock() }
            slots[index] = result
            done += 1
            if case .failure = result { failedAt = min(failedAt ?? index, index) }
            progress?(done, slots.count)
        }

        /// The results in order, or the error of the first index that failed.
        func results() throws(RunError) -> [T] {
            var values: [T] = []
            values.reserveCapacity(slots.count)
            for slot in slots {
                switch slot {
                case .success(let value): values.append(value)
                case .failure(let error): throw error
                case nil: continue
                }
            }
            return values
        }
    }
}
