import Foundation
import NoetherTensor

/// The seeds of one experiment arm trained together in one process: each seed is the run
/// ``ConfigTrainer`` would make alone (its own init, data order, noise, optimiser state, run
/// directory, checkpoints and metrics), and the seeds are spread over the cores.
///
/// Why threads rather than one model with a seed axis: E1–E5's nets (30-64-1, 10-32-1, batch
/// 100) are far below the size at which a product is split over threads, so a single run keeps
/// one core busy with per-operation work. Running whole seeds side by side fills the other
/// cores without touching a single kernel, so every seed's bits are those of the seed run alone
/// by construction (the kernels' results never depend on the thread they run on or on the
/// thread count — issue 19). A seed that fails (e.g. diverges) ends with its own error; the
/// others run on.
public struct SeedGroupTrainer {
    /// One seed's run: its config and where it is written.
    public struct Member {
        public var config: RunConfig
        public var options: TrainingOptions

        public init(config: RunConfig, options: TrainingOptions = TrainingOptions()) {
            (self.config, self.options) = (config, options)
        }
    }

    public var members: [Member]
    /// Seeds trained at once (nil: the cores `Parallel` uses, at most the number of members).
    public var concurrency: Int?

    public init(members: [Member], concurrency: Int? = nil) {
        (self.members, self.concurrency) = (members, concurrency)
    }

    /// Whether `configs` differ in nothing but their seed, name and output — the runs one group
    /// may train together.
    public static func differOnlyInSeed(_ configs: [RunConfig]) -> Bool {
        guard let first = configs.first else { return false }
        func normalised(_ config: RunConfig) -> RunConfig {
            var config = config
            (config.seed, config.name, config.output) = (first.seed, first.name, first.output)
            return config
        }
        return configs.allSatisfy { normalised($0) == first }
    }

    /// Trains every member; the results are in the members' order, each the outcome of that
    /// seed alone.
    public func run() -> [Result<TrainingResult, RunError>] {
        let count = members.count
        guard count > 0 else { return [] }
        let threads = max(1, min(concurrency ?? Parallel.partsOverride ?? Parallel.parts, count))
        // Work inside a seed that is large enough to split gets the cores no other seed uses.
        let innerParts = max(1, (Parallel.partsOverride ?? Parallel.parts) / threads)
        let board = ResultBoard(count: count)
        // Each member is read only by the one worker that claims its index, and the trainers
        // share no mutable state; results go to the board under its lock.
        nonisolated(unsafe) let members = members
        nonisolated(unsafe) let work = {
            while let index = board.claim() {
                let trainer = ConfigTrainer(config: members[index].config, options: members[index].options)
                let result = Parallel.$partsOverride.withValue(innerParts) {
                    Result { () throws(RunError) -> TrainingResult in try trainer.run() }
                }
                board.store(result, at: index)
            }
        }
        if threads == 1 {
            work()
        } else {
            DispatchQueue.concurrentPerform(iterations: threads) { _ in work() }
        }
        return board.results()
    }
}

/// The next member to train and the results so far, shared by the workers under a lock.
private final class ResultBoard: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var slots: [Result<TrainingResult, RunError>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func claim() -> Int? {
        lock.withLock {
            guard next < slots.count else { return nil }
            defer { next += 1 }
            return next
        }
    }

    func store(_ result: Result<TrainingResult, RunError>, at index: Int) {
        lock.withLock { slots[index] = result }
    }

    func results() -> [Result<TrainingResult, RunError>] {
        lock.withLock { slots.map { $0 ?? .failure(RunError("the seed was not trained")) } }
    }
}
