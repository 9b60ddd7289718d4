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
        let threads = max(1, concurrency ?? Parallel.partsOverride ?? Parallel.parts)
        // The bodies never throw (each seed's outcome is its own Result), so neither does the map.
        let results = try? OrderedParallelMap.map(members.count, jobs: threads, progress: nil) { index in
            Result { () throws(RunError) -> TrainingResult in
                try ConfigTrainer(config: members[index].config, options: members[index].options).run()
            }
        }
        return results ?? members.map { _ in .failure(RunError("the seed was not trained")) }
    }
}
