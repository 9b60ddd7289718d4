import Foundation
import NoetherNN
import NoetherTensor

/// The seeds of one experiment arm trained together in one process: each seed is the run
/// ``ConfigTrainer`` would make alone (its own init, data order, noise, optimiser state, run
/// directory, checkpoints and metrics), and the seeds are spread over the cores.
///
/// E1–E5's nets (30-64-1, 10-32-1, batch 100) are far below the size at which a product is
/// split over threads, and a single run spends most of its step on per-operation work. So the
/// seeds are trained as seed stacks (``SeedStackTrainer``: one tape operation per layer for
/// all the seeds of a stack), one stack per core. Every seed's bits are those of the seed run
/// alone: a stack runs each seed's slice through the single run's kernels, and the kernels'
/// results never depend on the thread they run on or on the thread count (issue 19). A seed
/// that fails (e.g. diverges) ends with its own error; the others run on.
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
    /// Whether seeds that can share a seed stack do (false: every seed is trained alone, as
    /// the reference the stacks are measured and tested against).
    public var stacksSeeds: Bool

    public init(members: [Member], concurrency: Int? = nil, stacksSeeds: Bool = true) {
        (self.members, self.concurrency, self.stacksSeeds) = (members, concurrency, stacksSeeds)
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

    /// Whether runs of `configs` share a seed stack when trained in one group: two or more that
    /// differ only in seed, with a model and controls a stack carries.
    public static func canStack(_ configs: [RunConfig]) -> Bool {
        guard configs.count > 1, differOnlyInSeed(configs), let first = configs.first else { return false }
        return isStackable(first)
    }

    /// Whether runs of this config and of its other seeds could share a seed stack: a model of
    /// dense layers and activations, and no syre offset or teleportation (which act on one
    /// run's parameters).
    public static func isStackable(_ config: RunConfig) -> Bool {
        guard config.control.syre == nil, config.control.teleport == nil, let architecture = try? Architecture(config.model) else { return false }
        return SeedStackStep<Float>(architecture: architecture, loss: config.loss ?? .mse) != nil
    }

    /// Trains every member; the results are in the members' order, each the outcome of that
    /// seed alone. Members that can share a ``SeedStackTrainer`` stack (one model of dense
    /// layers and activations, differing only in seed) are split into one stack per thread;
    /// otherwise each thread trains whole seeds one at a time.
    public func run() -> [Result<TrainingResult, RunError>] { runCountingStackedSteps().results }

    /// ``run()``, with how many seed-steps went through a stacked step: what shows that the
    /// stacks were used, since their results are those of the seeds alone.
    func runCountingStackedSteps() -> (results: [Result<TrainingResult, RunError>], stackedSeedSteps: Int) {
        let threads = max(1, min(members.count, concurrency ?? Parallel.partsOverride ?? Parallel.parts))
        let groups: [[Int]] = stacksSeeds && Self.canStack(members.map(\.config))
            ? (0..<threads).map { part in Array(stride(from: part, to: members.count, by: threads)) }.filter { !$0.isEmpty }
            : members.indices.map { [$0] }
        // The bodies never throw (each seed's outcome is its own Result), so neither does the map.
        // A group of one is that seed's run alone.
        let results = try? OrderedParallelMap.map(groups.count, jobs: threads, progress: nil) { group in
            SeedStackTrainer(members: groups[group].map { members[$0] }).run()
        }
        var ordered = [Result<TrainingResult, RunError>](repeating: .failure(RunError("the seed was not trained")), count: members.count)
        for (group, outcome) in zip(groups, results ?? []) {
            for (member, result) in zip(group, outcome.results) { ordered[member] = result }
        }
        return (ordered, (results ?? []).reduce(0) { $0 + $1.stackedSeedSteps })
    }
}
