import Foundation
import NoetherTraining

/// How a sweep's trials are handed to the processes that train them, whatever the executor: the
/// seeds of an arm whose model a seed stack carries go to one `noether run-trial` as a group
/// that trains them as one stack; every other trial goes alone.
public enum SeedStackUnits {
    /// The most seeds one process trains as a stack: an experiment arm's usual count, and a
    /// bound on what one process holds (each seed keeps its own data, model and optimiser).
    public static let largestStack = 8

    /// The trials as the units that train them: the seeds of a stackable arm together (at most
    /// `largest`, and no more than a `jobs`-th of the memory limit by ``MemoryEstimate``),
    /// the largest groups halved until `jobs` units can run at once; in the trials' order
    /// otherwise (`largest` 1: every trial alone). A unit's first trial is its leader: its log
    /// holds the unit's output.
    public static func units(_ trials: [Trial], jobs: Int, largest: Int = largestStack) -> [[Trial]] {
        var groups: [[Trial]] = [], stackable: [Bool] = []
        func fits(_ group: [Trial]) -> Bool {
            group.count < largest
                && MemoryEstimate(group[0].config).bytes * Double(group.count + 1) <= Double(MemoryEstimate.defaultLimit) / Double(max(jobs, 1))
        }
        for trial in trials {
            if let group = groups.indices.first(where: {
                stackable[$0] && fits(groups[$0]) && SeedGroupTrainer.differOnlyInSeed([groups[$0][0].config, trial.config])
            }) {
                groups[group].append(trial)
            } else {
                groups.append([trial])
                stackable.append(SeedGroupTrainer.isStackable(trial.config))
            }
        }
        while groups.count < jobs, let largest = groups.indices.max(by: { groups[$0].count < groups[$1].count }), groups[largest].count > 1 {
            let group = groups[largest]
            groups[largest] = Array(group[..<(group.count / 2)])
            groups.insert(Array(group[(group.count / 2)...]), at: largest + 1)
        }
        return groups
    }

    /// The `run-trial` options that name a unit's trials: `--index=I --hash=H` for each (joined
    /// with `=`, so that a hash beginning with `-` is still a value).
    public static func runTrialOptions(_ unit: [Trial]) -> [String] {
        unit.flatMap { ["--index=\($0.index)", "--hash=\($0.hash.prefix(8))"] }
    }

    /// A trial trained in its leader's process has its output in the leader's log; its own log says where.
    public static func pointLog(of trial: Trial, to leader: Trial, in sweep: SweepDirectory) {
        let path = sweep.logPath(of: trial)
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        // Appended: the log may hold the output of the trial's earlier attempts.
        try? JSONLinesWriter(path: path).append(["trial \(trial.index) trains in one seed stack with trial \(leader.index); the output is in \(sweep.logPath(of: leader))"])
    }
}
