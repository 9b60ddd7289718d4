import Foundation
import Testing
@testable import NoetherLab
@testable import NoetherSweeps
@testable import NoetherTraining
import NoetherIO

/// What happens to a run when the disk fills, a process is killed mid-write, or many processes
/// share one run store (issue 17).
@Suite("Runs survive failures")
struct RunReliabilityTests {
    // Defect 9: a full disk is a clean error, not a trap.
    @Test func aFullDiskIsAnErrorNotATrap() throws {
        let writer = try JSONLinesWriter(path: "/dev/full")
        let error = #expect(throws: RunError.self) { try writer.append(["{\"step\":1}"]) }
        #expect(error?.description.contains("resume") == true)
    }

    // …and what was written stays readable: a last line cut short is left out.
    @Test func aTornLastLineIsLeftOut() throws {
        let directory = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = "\(directory)/metrics.jsonl"
        let complete = MetricRecord(step: 1, time: 0, name: "loss", value: 0.5).jsonLine
        try Data((complete + "\n" + "{\"step\":2,\"ti").utf8).write(to: URL(fileURLWithPath: path))
        #expect(try MetricRecord.read(path).map(\.step) == [1])
    }

    // Defect 12: leftovers of a killed process are removed at the next start; complete
    // checkpoints are kept.
    @Test func leftoversAreCleanedOnTheNextStart() throws {
        let directory = temporaryDirectory()
        var config = try staircaseConfig(steps: 40)
        config.training = TrainingSpec(steps: 40, batchSize: 100, evalEvery: 10, checkpointEvery: 10)
        var options = TrainingOptions(directory: directory)
        options.stopAfterSteps = 25
        _ = try ConfigTrainer(config: config, options: options).run()
        let run = RunDirectory(directory)
        let kept = Checkpoint.all(in: run).map(\.path)
        #expect(kept.count == 2)
        // A rotation cut short, a checkpoint being written, and a failed atomic write.
        let debris = ["\(run.checkpointsPath)/step-00000005", "\(run.checkpointsPath)/step-00000007.removing",
                      "\(run.checkpointsPath)/step-00000030.partial"]
        for folder in debris {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data("x".utf8).write(to: URL(fileURLWithPath: "\(folder)/weights.safetensors"))
        }
        let temporary = "\(directory)/.weights.safetensors.tmp-99999"
        try Data("x".utf8).write(to: URL(fileURLWithPath: temporary))
        let resumed = try ConfigTrainer(config: config, options: TrainingOptions(directory: directory)).run()
        #expect(resumed.summary.status == "completed")
        for path in debris + [temporary] { #expect(!FileManager.default.fileExists(atPath: path), "\(path)") }
    }

    // Defect 11: a NaN in a layer is reported as such, not as rank 0 with status ok.
    @Test func analyzeReportsNonFiniteLayers() throws {
        let directory = temporaryDirectory()
        _ = try ConfigTrainer(config: try staircaseConfig(steps: 20), options: TrainingOptions(directory: directory)).run()
        let run = RunDirectory(directory)
        var tensors = try SafetensorsFile(contentsOf: run.weightsPath).tensors(as: Float.self)
        var weight = try #require(tensors["layers.0.weight"])
        weight.withUnsafeMutableBufferPointer { $0[0] = .nan }
        tensors["layers.0.weight"] = weight
        try SafetensorsFile.write(tensors, to: run.weightsPath)
        let report = try WeightAnalysis.analyze(directory)
        let row = try #require(report.layers.first { $0.name == "layers.0" })
        #expect(row.status.hasPrefix("non-finite") && row.rank == nil, "\(row.status)")
        #expect(report.layers.contains { $0.name == "layers.1" && $0.status == "ok" })
    }

    // Defect 7: an empty run directory is refused, not the filesystem root.
    @Test func anEmptyRunDirectoryIsRefused() throws {
        let config = try staircaseConfig(steps: 5)
        #expect(throws: RunError.self) { try ConfigTrainer(config: config, options: TrainingOptions(directory: "")).run() }
    }

    // Defect 10: WAL, a busy timeout and retries; a damaged store names the rebuild command.
    @Test func aDamagedStoreIsReportedWithTheRebuildCommand() throws {
        let directory = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = "\(directory)/runs.sqlite"
        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: RunError.self) { try RunStore(path: path) }
        #expect(error?.description.contains("noether runs import") == true, "\(error?.description ?? "")")
    }

    @Test func theStoreUsesWriteAheadLogging() throws {
        let directory = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = try RunStore(path: "\(directory)/runs.sqlite")
        // The write-ahead log exists while a connection is open.
        withExtendedLifetime(store) { #expect(FileManager.default.fileExists(atPath: "\(directory)/runs.sqlite-wal")) }
    }
}
