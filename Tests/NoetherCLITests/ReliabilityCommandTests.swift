import Foundation
import XCTest

/// Issue 17 through the command line: many processes share one run store, a damaged store does
/// not fail a finished training, and hostile paths are refused.
extension CommandLineTests {
    static let tinyConfig = """
        name: shared
        model: {kind: mlp, input: 4, hidden: [8], output: 1}
        data: {kind: teacher_student, dimension: 4, train: 64, test: 32}
        training: {steps: 20, batch_size: 16}
        """

    // Acceptance 3: 8 concurrent `noether train` processes sharing one store all finish and are
    // all indexed (without WAL and a busy timeout, half failed with "database is locked").
    func testEightConcurrentTrainingsShareOneStore() throws {
        let config = try write(Self.tinyConfig, "shared.yaml")
        let folder = (config as NSString).deletingLastPathComponent
        let store = "\(folder)/store/runs.sqlite"
        // Started together, each writing to its own log files, then awaited.
        var processes: [(Process, String)] = []
        for index in 0..<8 {
            let process = Process()
            process.executableURL = binary
            process.arguments = ["train", config, "--out", "\(folder)/run-\(index)", "--seed", "\(index)", "--store", store]
            let log = "\(folder)/train-\(index).log"
            FileManager.default.createFile(atPath: log, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            (process.standardOutput, process.standardError) = (handle, handle)
            processes.append((process, log))
        }
        for (process, _) in processes { try process.run() }
        for (index, (process, log)) in processes.enumerated() {
            process.waitUntilExit()
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            XCTAssertEqual(process.terminationStatus, 0, "run \(index): \(output)")
            XCTAssertFalse(output.contains("warning"), output)
        }
        let list = try run(["runs", "list", "--json", "--store", store])
        XCTAssertEqual(list.status, 0, list.stderr)
        let runs = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]]
        XCTAssertEqual(Set((runs ?? []).compactMap { $0["path"] as? String }.map { ($0 as NSString).lastPathComponent }),
                       Set((0..<8).map { "run-\($0)" }))
    }

    // Acceptance 3: training with a damaged store succeeds, warns, and says how to repair it.
    func testTrainingWithADamagedStoreSucceedsWithAWarning() throws {
        let config = try write(Self.tinyConfig, "damaged.yaml")
        let folder = (config as NSString).deletingLastPathComponent
        let store = "\(folder)/runs.sqlite"
        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: store))
        let outcome = try run(["train", config, "--out", "\(folder)/run", "--store", store])
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        XCTAssertTrue(outcome.stdout.contains("completed"), outcome.stdout)
        XCTAssertTrue(outcome.stderr.contains("warning: not indexed") && outcome.stderr.contains("noether runs import"), outcome.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(folder)/run/summary.json"))
        // The store is rebuilt from the run directories.
        try FileManager.default.removeItem(atPath: store)
        let rebuilt = try run(["runs", "import", folder, "--store", store])
        XCTAssertEqual(rebuilt.status, 0, rebuilt.stderr)
        XCTAssertTrue(rebuilt.stdout.contains("indexed 1 runs"), rebuilt.stdout)
    }

    // Defect 7: an empty output never writes into the current folder or /.
    func testEmptyOutputPathsAreRefused() throws {
        let config = try write(Self.tinyConfig, "empty.yaml")
        let folder = (config as NSString).deletingLastPathComponent
        XCTAssertNotEqual(try run(in: folder, ["train", config, "--out", ""]).status, 0)
        assertCleanFailure(try run(in: folder, ["train", try write(Self.tinyConfig + "\noutput: ''", "e.yaml")]), mentioning: "output must name a directory")
        assertCleanFailure(try run(in: folder, ["train", try write(Self.tinyConfig.replacingOccurrences(of: "name: shared", with: "name: ../../x"), "n.yaml")]),
                           mentioning: "one path component")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(folder)/config.json"))
    }

    // Defect 8: an index given by a relative path finds its shards next to it.
    func testARelativeShardIndexIsReadFromItsFolder() throws {
        let config = try write(Self.tinyConfig, "model.yaml")
        let folder = (config as NSString).deletingLastPathComponent
        XCTAssertEqual(try run(["train", config, "--out", "\(folder)/run", "--store", "\(folder)/s.sqlite"]).status, 0)
        try FileManager.default.moveItem(atPath: "\(folder)/run/weights.safetensors", toPath: "\(folder)/shard-1.safetensors")
        try Data("{\"weight_map\": {\"layers.0.weight\": \"shard-1.safetensors\"}}".utf8)
            .write(to: URL(fileURLWithPath: "\(folder)/model.safetensors.index.json"))
        let outcome = try run(in: folder, ["analyze", "model.safetensors.index.json"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
    }
}
