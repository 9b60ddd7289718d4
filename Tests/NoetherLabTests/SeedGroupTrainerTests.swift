import Foundation
import NoetherBenchmarks
import NoetherTensor
@testable import NoetherTraining
import NoetherNN
import NoetherSymmetry
import Testing

/// Seeds trained as one group are the seeds run alone, bit for bit, whatever the thread count.
@Suite struct SeedGroupTrainerTests {
    /// E1's quick model with checkpoints and snapshots, so that every file kind is written.
    func config(seed: UInt64, steps: Int = 120) throws -> RunConfig {
        var config = try StepBenchmarks.e1QuickConfig(seed: seed, steps: steps)
        (config.training.checkpointEvery, config.training.snapshotEvery) = (50, 40)
        return config
    }

    func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    /// The files whose bytes are fixed by the computation (not by the wall clock).
    func computedFiles(in directory: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let all = try FileManager.default.subpathsOfDirectory(atPath: directory)
        for path in all where path.hasSuffix(".safetensors") || path.hasSuffix("events.jsonl") || path.hasSuffix("config.json") {
            files[path] = bytes("\(directory)/\(path)")
        }
        return files
    }

    func valuesOf(_ metrics: [MetricRecord]) -> [String] { metrics.map { "\($0.step) \($0.name) \($0.value.bitPattern)" } }

    @Test(arguments: [1, 2, 3])
    func eightSeedsEqualTheSeedsRunAlone(threads: Int) throws {
        let root = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let configs = try (0..<8).map { try config(seed: UInt64($0)) }
        var alone: [TrainingResult] = []
        for config in configs {
            alone.append(try ConfigTrainer(config: config, options: TrainingOptions(directory: "\(root)/alone/\(config.name)")).run())
        }
        let group = SeedGroupTrainer(members: configs.map { .init(config: $0, options: TrainingOptions(directory: "\(root)/group/\($0.name)")) },
                                     concurrency: threads)
        let (results, stackedSeedSteps) = Parallel.$partsOverride.withValue(threads) { group.runCountingStackedSteps() }
        #expect(results.count == 8)
        // Every seed-step went through a stack (a silent fallback to seeds alone would give the same bits).
        #expect(stackedSeedSteps == 8 * 120)
        for (index, result) in results.enumerated() {
            let together = try result.get()
            let single = alone[index]
            #expect(together.parameters.names == single.parameters.names)
            for name in single.parameters.names {
                let a = try #require(together.parameters[name]).scalars.map(\.bitPattern)
                let b = try #require(single.parameters[name]).scalars.map(\.bitPattern)
                #expect(a == b, "seed \(index) parameter \(name)")
            }
            #expect(valuesOf(together.metrics) == valuesOf(single.metrics))
            #expect(together.events == single.events)
            let name = configs[index].name
            let (groupFiles, aloneFiles) = (try computedFiles(in: "\(root)/group/\(name)"), try computedFiles(in: "\(root)/alone/\(name)"))
            #expect(groupFiles.keys.contains { $0.hasPrefix("checkpoints/") } && groupFiles.keys.contains { $0.hasPrefix("snapshots/") })
            #expect(groupFiles == aloneFiles, "seed \(index): run directory files")
        }
        // The seeds really are different runs.
        let first = try results[0].get().parameters, second = try results[1].get().parameters
        #expect(first.names.contains { first[$0]?.scalars != second[$0]?.scalars })
    }

    /// A classifier (two tanh layers, cross-entropy or regression onto one-hot codes) with
    /// Adam, weight decay, gradient noise and a learning-rate schedule: what each seed of a stack
    /// shares with the stack is only the step's tape, so all of this stays the seed's own.
    func classifier(seed: UInt64, loss: String) throws -> RunConfig {
        try ConfigLoader.decode(RunConfig.self, from: """
            name: classifier-\(seed)
            seed: \(seed)
            model: {kind: mlp, input: 6, hidden: [12, 8], output: 3, activation: tanh}
            data: {kind: gaussian_mixture, dimension: 6, classes: 3, train: 90, test: 30}
            loss: \(loss)
            optimizer: {kind: adam, learning_rate: 0.01, weight_decay: 0.001, gradient_noise: 0.01}
            schedule: {kind: cosine}
            training: {steps: 70, batch_size: 32, eval_every: 20}
            track: {every: 20}
            """, format: .yaml, source: "classifier")
    }

    @Test(arguments: ["cross_entropy", "mse"])
    func stackedClassifiersEqualTheSeedsRunAlone(loss: String) throws {
        let configs = try (0..<3).map { try classifier(seed: UInt64($0), loss: loss) }
        #expect(SeedGroupTrainer.canStack(configs))
        let alone = try configs.map { try ConfigTrainer(config: $0).run() }
        let (stacked, stackedSeedSteps) = SeedGroupTrainer(members: configs.map { .init(config: $0) }, concurrency: 1).runCountingStackedSteps()
        #expect(stackedSeedSteps == 3 * 70)
        for (index, result) in stacked.enumerated() {
            let together = try result.get(), single = alone[index]
            for name in single.parameters.names {
                let a = try #require(together.parameters[name]).scalars.map(\.bitPattern)
                #expect(a == (try #require(single.parameters[name])).scalars.map(\.bitPattern), "seed \(index) parameter \(name)")
            }
            #expect(valuesOf(together.metrics) == valuesOf(single.metrics))
            #expect(together.events == single.events)
        }
    }

    /// A seed that stops early leaves the stack, the others train on unchanged, and the
    /// stopped seed resumes from its checkpoint to the numbers of an uninterrupted run.
    @Test func aSeedLeavesTheStackAndResumesLater() throws {
        let root = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let configs = try (0..<3).map { try config(seed: UInt64($0), steps: 100) }
        func member(_ index: Int, stopAfter: Int? = nil) -> SeedGroupTrainer.Member {
            var options = TrainingOptions(directory: "\(root)/\(configs[index].name)")
            options.stopAfterSteps = stopAfter
            return .init(config: configs[index], options: options)
        }
        let (first, stackedSeedSteps) = SeedGroupTrainer(members: [member(0), member(1, stopAfter: 50), member(2)], concurrency: 1).runCountingStackedSteps()
        // Three seeds for 50 steps, then two.
        #expect(stackedSeedSteps == 3 * 50 + 2 * 50)
        #expect(try first[1].get().summary.status != "completed")
        let resumed = try ConfigTrainer(config: configs[1], options: TrainingOptions(directory: "\(root)/\(configs[1].name)")).run()
        for (index, result) in [try first[0].get(), resumed, try first[2].get()].enumerated() {
            let single = try ConfigTrainer(config: configs[index]).run()
            #expect(result.summary.status == "completed")
            for name in single.parameters.names {
                let a = try #require(result.parameters[name]).scalars.map(\.bitPattern)
                #expect(a == (try #require(single.parameters[name])).scalars.map(\.bitPattern), "seed \(index) parameter \(name)")
            }
        }
    }

    @Test func onlyDenseNetsWithoutPerRunControlStack() throws {
        let configs = try (0..<2).map { try config(seed: UInt64($0)) }
        #expect(SeedGroupTrainer.canStack(configs))
        #expect(!SeedGroupTrainer.canStack([configs[0]]))
        var syre = configs
        for i in syre.indices { syre[i].control.syre = try ConfigLoader.decode(SyreSpec.self, from: "{}", format: .yaml, source: "syre") }
        #expect(!SeedGroupTrainer.canStack(syre))
        var convolutional = configs
        for i in convolutional.indices {
            convolutional[i].model = try ConfigLoader.decode(ModelSpec.self, from: """
                {kind: cnn, input_shape: [1, 4, 5], convolutions: [{channels: 2}], output: 1}
                """, format: .yaml, source: "cnn")
        }
        #expect(!SeedGroupTrainer.canStack(convolutional))
    }

    @Test func aDivergingSeedFailsAloneAndTheOthersFinish() throws {
        let root = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var configs = try (0..<4).map { try config(seed: UInt64($0), steps: 60) }
        configs[2].optimizer.learningRate = 1e6
        let group = SeedGroupTrainer(members: configs.map { .init(config: $0, options: TrainingOptions(directory: "\(root)/\($0.name)")) },
                                     concurrency: 2)
        let results = group.run()
        for (index, result) in results.enumerated() {
            switch result {
            case .success(let run):
                #expect(index != 2)
                #expect(run.summary.status == "completed")
                let single = try ConfigTrainer(config: configs[index]).run()
                #expect(valuesOf(run.metrics) == valuesOf(single.metrics))
            case .failure(let error):
                #expect(index == 2)
                #expect(error.message.contains("diverged"))
            }
        }
    }

    @Test func groupsOnlyRunsThatDifferInTheirSeed() throws {
        let a = try config(seed: 0), b = try config(seed: 7)
        var c = try config(seed: 3)
        c.training.steps += 1
        #expect(SeedGroupTrainer.differOnlyInSeed([a, b]))
        #expect(!SeedGroupTrainer.differOnlyInSeed([a, b, c]))
        #expect(!SeedGroupTrainer.differOnlyInSeed([]))
    }
}
