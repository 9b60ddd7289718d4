import Foundation
import NoetherTraining

extension StepBenchmarks {
    /// E1's quick model (20-32-1 ReLU, staircase data, batch 100, SGD, evaluation and symmetry
    /// tracking every 50 steps) as a run config: what each seed of an E1 arm trains.
    public static func e1QuickConfig(seed: UInt64, steps: Int) throws(RunError) -> RunConfig {
        try ConfigLoader.decode(RunConfig.self, from: """
            name: e1-seed-\(seed)
            seed: \(seed)
            model: {kind: mlp, input: 20, hidden: [32], output: 1, activation: relu}
            init: {scheme: pytorch, scale: 10.0}
            data: {kind: staircase, dimension: 20, degree: 3, train: 1000, test: 500}
            loss: mse
            optimizer: {kind: sgd, learning_rate: 0.0002}
            training: {steps: \(steps), batch_size: 100, eval_every: 50}
            track: {every: 50, thresholds: {dead_absolute: 0.1, rank_absolute: 0.1}}
            """, format: .yaml, source: "e1-8-seeds")
    }

    /// Eight seeds of E1's quick model, each writing its run directory (metrics, events,
    /// weights), trained as one ``SeedGroupTrainer`` group (seed stacks, one per core) against one after another in the same
    /// process, alternated. `median_ms` is the group's time, `baseline_ms` the sequential time.
    /// `e1-8-seeds-one-core` is the same with the group on one thread: one stack of eight seeds,
    /// what the stack saves apart from the second core.
    public static func e1EightSeeds(repeats: Int, steps: Int = 2000, oneCore: Bool = false) -> BenchmarkRecord {
        let configs = (0..<8).compactMap { try? e1QuickConfig(seed: UInt64($0), steps: steps) }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("noether-e1-8-seeds-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        func members(_ round: String) -> [SeedGroupTrainer.Member] {
            configs.map { .init(config: $0, options: TrainingOptions(directory: "\(root)/\(round)/\($0.name)")) }
        }
        var batched: [Double] = [], sequential: [Double] = []
        for round in 0..<repeats {
            let order = round % 2 == 0 ? [true, false] : [false, true]
            for together in order {
                let group = SeedGroupTrainer(members: members("\(round)-\(together)"), concurrency: together && !oneCore ? nil : 1, stacksSeeds: together)
                let time = medianMilliseconds(repeats: 1) { _ = group.run() }
                if together { batched.append(time) } else { sequential.append(time) }
            }
        }
        return comparison(oneCore ? "e1-8-seeds-one-core" : "e1-8-seeds", measured: batched, baseline: sequential, repeats: repeats)
    }
}
