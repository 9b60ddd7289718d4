import Foundation
import XCTest

/// Runs the built `noether` binary as a user would and checks its exit status and output.
final class CommandLineTests: XCTestCase {
    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    var binary: URL {
        // The executable is built next to the test bundle (whose URL is the bundle itself or
        // the folder holding it, depending on the platform).
        let bundle = Bundle(for: CommandLineTests.self).bundleURL
        let candidates = [bundle, bundle.deletingLastPathComponent(), Bundle.main.bundleURL]
            .map { $0.appendingPathComponent("noether") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    func run(environment: [String: String] = [:], in directory: String? = nil, _ arguments: [String]) throws -> Outcome {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                       stderr: String(decoding: stderr, as: UTF8.self))
    }

    func write(_ text: String, _ name: String) throws -> String {
        let directory = NSTemporaryDirectory() + "noether-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = "\(directory)/\(name)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A one-line error on stderr (no stack trace), optionally followed by one `hint:` line, and
    /// exit status 1.
    func assertCleanFailure(_ outcome: Outcome, mentioning text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(outcome.status, 1, outcome.stderr, file: file, line: line)
        XCTAssertTrue(outcome.stderr.hasPrefix("error: "), outcome.stderr, file: file, line: line)
        let lines = outcome.stderr.split(separator: "\n")
        XCTAssertTrue(lines.count == 1 || (lines.count == 2 && lines[1].hasPrefix("hint: ")), outcome.stderr, file: file, line: line)
        XCTAssertTrue(outcome.stderr.contains(text), "\(outcome.stderr) should mention \(text)", file: file, line: line)
    }

    func testVersion() throws {
        let outcome = try run(["--version"])
        XCTAssertEqual(outcome.status, 0)
        XCTAssertTrue(outcome.stdout.hasPrefix("0."))
    }

    func testUnknownOptionAndCommandFailWithUsage() throws {
        let option = try run(["train", "x.yaml", "--no-such-option"])
        XCTAssertNotEqual(option.status, 0)
        XCTAssertTrue(option.stderr.contains("--no-such-option"), option.stderr)
        let command = try run(["frobnicate"])
        XCTAssertNotEqual(command.status, 0)
        let bench = try run(["bench", "--only", "nonsense"])
        XCTAssertNotEqual(bench.status, 0)
        XCTAssertTrue(bench.stderr.contains("unknown workload"), bench.stderr)
    }

    func testMissingAndMalformedConfigs() throws {
        assertCleanFailure(try run(["train", "/nonexistent/run.yaml"]), mentioning: "does not exist")
        assertCleanFailure(try run(["train", try write("model: [unclosed", "bad.yaml")]), mentioning: "not valid YAML")
        let misspelt = """
        model: {kind: mlp, input: 20, hidden: [8], output: 1, activaton: relu}
        data: {kind: staircase, dimension: 20}
        training: {steps: 5}
        """
        assertCleanFailure(try run(["train", try write(misspelt, "typo.yaml")]), mentioning: "did you mean 'activation'")
        let badValue = """
        model: {kind: mlp, input: 20, hidden: [8], output: 1}
        data: {kind: staircase, dimension: 20}
        optimizer: {learning_rate: -1}
        training: {steps: 5}
        """
        assertCleanFailure(try run(["train", try write(badValue, "lr.yaml")]), mentioning: "learning_rate must be positive")
    }

    func testMissingAndCorruptDataFiles() throws {
        let missing = """
        model: {kind: mlp, input: 784, hidden: [8], output: 10}
        data: {kind: fashion_mnist, dir: /nonexistent/fashion}
        training: {steps: 5}
        """
        assertCleanFailure(try run(["train", try write(missing, "fm.yaml")]), mentioning: "apt-get install dataset-fashion-mnist")
        let corruptPath = try write("this is not a zip archive at all, just text padding it out", "data.npz")
        let corrupt = """
        model: {kind: mlp, input: 2, hidden: [8], output: 2}
        data: {kind: npz, path: \(corruptPath)}
        training: {steps: 5}
        """
        assertCleanFailure(try run(["train", try write(corrupt, "npz.yaml")]), mentioning: "npz")
    }

    func testTrainWritesARunAndReportsIt() throws {
        let config = """
        name: cli-smoke
        model: {kind: mlp, input: 10, hidden: [16], output: 1}
        data: {kind: staircase, dimension: 10, degree: 2, train: 200, test: 50}
        training: {steps: 50, batch_size: 50, eval_every: 25}
        """
        let path = try write(config, "smoke.yaml")
        let directory = (path as NSString).deletingLastPathComponent + "/run"
        let outcome = try run(["train", path, "--out", directory, "--json"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(summary?["status"] as? String, "completed")
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/weights.safetensors"))
        XCTAssertTrue(outcome.stderr.isEmpty, "progress must stay quiet when not on a terminal: \(outcome.stderr)")
    }
}

extension CommandLineTests {
    func testSymmetriesJSONListsVerifiedCatalogue() throws {
        let helper = self
        let config = """
        model: {kind: mlp, input: 6, hidden: [5], output: 3, activation: relu}
        data: {kind: gaussian_mixture, dimension: 6, classes: 3}
        training: {steps: 5}
        """
        let outcome = try helper.run(["symmetries", try helper.write(config, "sym.yaml"), "--json"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        let entries = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(entries.map { $0["symmetry"] as? String }, ["permutation", "rescaling", "translation"])
        XCTAssertEqual(entries.map { $0["layer"] as? String }, ["layers.0", "layers.0", "layers.1"])
        for entry in entries {
            XCTAssertLessThan(try XCTUnwrap(entry["residual"] as? Double), 1e-5)
            XCTAssertFalse(try XCTUnwrap(entry["parameters"] as? [String]).isEmpty)
        }
    }
}

extension CommandLineTests {
    /// Writes an npy file of float64 values.
    func writeNumpy(_ values: [Double], shape: [Int], _ name: String) throws -> String {
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (\(shape.map(String.init).joined(separator: ", "))\(shape.count == 1 ? "," : "")), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)] + Array(header.utf8)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
        let path = try write("", name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func testCompareAndCollapseOnNumpyFiles() throws {
        let a = (0..<40).map { Double(($0 * 7919) % 23) / 7 }
        let pathA = try writeNumpy(a, shape: [20, 2], "a.npy")
        let compare = try run(["compare", "--a", pathA, "--b", pathA, "--k", "3", "--json"])
        XCTAssertEqual(compare.status, 0, compare.stderr)
        let scores = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(compare.stdout.utf8)) as? [String: Any])
        for key in ["kernel_alignment", "linear_cka", "unbiased_cka", "mutual_knn"] {
            XCTAssertEqual(try XCTUnwrap(scores[key] as? Double), 1, accuracy: 1e-6, key)
        }
        XCTAssertEqual(scores["k"] as? Int, 3)
        let labels = try writeNumpy((0..<20).map { Double($0 % 2) }, shape: [20], "labels.npy")
        let collapse = try run(["collapse", "--features", pathA, "--labels", labels, "--json"])
        XCTAssertEqual(collapse.status, 0, collapse.stderr)
        let metrics = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(collapse.stdout.utf8)) as? [String: Any])
        XCTAssertNotNil(metrics["nc1"] as? Double)
        XCTAssertNotNil(metrics["cdnv"] as? Double)
        // One class only: a clean error.
        let oneClass = try writeNumpy([Double](repeating: 0, count: 20), shape: [20], "one.npy")
        assertCleanFailure(try run(["collapse", "--features", pathA, "--labels", oneClass]), mentioning: "at least two classes")
        let other = try writeNumpy(Array(a.prefix(30)), shape: [15, 2], "b.npy")
        assertCleanFailure(try run(["compare", "--a", pathA, "--b", other]), mentioning: "samples")
    }
}

extension CommandLineTests {
    /// A two-layer nn.Sequential-style MLP (`0.weight` [3, 2], `2.weight` [1, 3]) written as
    /// safetensors by hand, with these nine values.
    func sequentialMLP(_ values: [Float]) -> [UInt8] {
        let header = #"{"0.weight":{"dtype":"F32","shape":[3,2],"data_offsets":[0,24]},"2.weight":{"dtype":"F32","shape":[1,3],"data_offsets":[24,36]}}"#
        var json = Array(header.utf8)
        json += [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8)
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes += $0 }
        bytes += json
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
        return bytes
    }

    func testAnalyzeReportsEveryLayerAndRejectsDamagedFiles() throws {
        let bytes = sequentialMLP([1, 2, 3, 4, 5, 6, 7, 8, 9])
        let path = try write("", "mlp.safetensors")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let outcome = try run(["analyze", path, "--format", "json"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        let layers = try XCTUnwrap(report["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.map { $0["name"] as? String }, ["0", "2"])
        XCTAssertEqual(layers.first?["status"] as? String, "ok")
        XCTAssertNotNil(layers.first?["distinct"])
        XCTAssertNotNil(report["summary"])
        let csv = try run(["analyze", path, "--format", "csv"])
        XCTAssertTrue(csv.stdout.hasPrefix("name,kind,shape,status,rank"), csv.stdout)
        // Truncated, bad JSON, overlapping offsets and a missing file: one-line errors.
        let truncated = try write("", "truncated.safetensors")
        try Data(bytes.prefix(bytes.count - 5)).write(to: URL(fileURLWithPath: truncated))
        assertCleanFailure(try run(["analyze", truncated]), mentioning: "safetensors")
        var badJSON = bytes
        badJSON[8] = UInt8(ascii: "!")
        let corrupt = try write("", "corrupt.safetensors")
        try Data(badJSON).write(to: URL(fileURLWithPath: corrupt))
        assertCleanFailure(try run(["analyze", corrupt]), mentioning: "JSON")
        assertCleanFailure(try run(["analyze", "/nonexistent/model.safetensors"]), mentioning: "does not exist")
        assertCleanFailure(try run(["analyze", try write("x", "pytorch_model.bin")]), mentioning: "never unpickles")
    }
}

extension CommandLineTests {
    /// SIGKILL in the middle of `noether train`, then the same command again: the final weights
    /// are bit-identical to an uninterrupted run's.
    func testKilledTrainingResumesToIdenticalWeights() throws {
        let config = """
        name: killed
        model: {kind: mlp, input: 20, hidden: [64, 64], output: 1}
        init: {scale: 0.1}
        data: {kind: staircase, dimension: 20, degree: 3, train: 2000, test: 200}
        optimizer: {learning_rate: 0.02, momentum: 0.9, gradient_noise: 0.001}
        training: {steps: 6000, batch_size: 100, eval_every: 500, checkpoint_every: 500}
        """
        let path = try write(config, "killed.yaml")
        let folder = (path as NSString).deletingLastPathComponent
        let store = ["--store", "\(folder)/store.sqlite"]
        let reference = try run(["train", path, "--out", "\(folder)/reference"] + store)
        XCTAssertEqual(reference.status, 0, reference.stderr)

        let process = Process()
        process.executableURL = binary
        process.arguments = ["train", path, "--out", "\(folder)/killed"] + store
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait for a few checkpoints, then kill it without warning.
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let checkpoints = (try? FileManager.default.contentsOfDirectory(atPath: "\(folder)/killed/checkpoints")) ?? []
            if checkpoints.contains(where: { $0.hasPrefix("step-") && !$0.hasSuffix(".partial") && (Int($0.dropFirst(5)) ?? 0) >= 1000 }) { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal, "the run finished before it could be killed; make it longer")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(folder)/killed/summary.json"))

        let resumed = try run(["train", path, "--out", "\(folder)/killed"] + store)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let a = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/reference/weights.safetensors"))
        let b = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/killed/weights.safetensors"))
        XCTAssertEqual(a, b, "resumed weights differ from the uninterrupted run's")
    }

    func testTrackWritesATimelineOfACheckpointSeries() throws {
        // Two hand-written nn.Sequential checkpoints: the first layer goes from rank 1 to rank 2.
        func checkpoint(_ first: [Float]) -> Data { Data(sequentialMLP(first + [7, 8, 9])) }
        let folder = (try write("", "step-0.safetensors") as NSString).deletingLastPathComponent
        try checkpoint([1, 2, 2, 4, 3, 6]).write(to: URL(fileURLWithPath: "\(folder)/step-0.safetensors"))
        try checkpoint([1, 2, 3, 4, 5, 7]).write(to: URL(fileURLWithPath: "\(folder)/step-10.safetensors"))
        let out = "\(folder)/timeline"
        let outcome = try run(["track", folder, "--out", out, "--format", "json"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        let result = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(result["checkpoints"] as? [Int], [0, 10])
        let events = try XCTUnwrap(result["events"] as? [[String: Any]])
        XCTAssertTrue(events.contains { $0["quantity"] as? String == "rank" && $0["step"] as? Int == 10 && $0["kind"] as? String == "breaking" }, outcome.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(out)/report.html"))
        assertCleanFailure(try run(["track", folder, "--out", out, "--steps", "5"]), mentioning: "--steps")
        assertCleanFailure(try run(["track", "/nonexistent/ckpts", "--out", out]), mentioning: "does not exist")
    }
}

extension CommandLineTests {
    func testAnalyzeFoldsNormsAndWarnsOnStandardError() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/families").path
        let folded = try run(["analyze", "\(fixtures)/llama", "--fold-norms", "--format", "json"])
        XCTAssertEqual(folded.status, 0, folded.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(folded.stdout.utf8)) as? [String: Any])
        let model = try XCTUnwrap(report["model"] as? [String: Any])
        XCTAssertEqual((model["residual_stream"] as? [String: Any])?["gauge"] as? String, "O(16)")
        XCTAssertEqual(model["kv_heads"] as? Int, 2)
        // Heads given, no attention recognised: one warning line on stderr, and in the JSON.
        let directory = try write("", "config.json")
        try Data(#"{"num_attention_heads": 4}"#.utf8).write(to: URL(fileURLWithPath: directory))
        let mlp = (directory as NSString).deletingLastPathComponent + "/model.safetensors"
        try FileManager.default.copyItem(atPath: "\(fixtures)/sequential_mlp/model.safetensors", toPath: mlp)
        let warned = try run(["analyze", mlp, "--format", "json"])
        XCTAssertEqual(warned.status, 0, warned.stderr)
        XCTAssertEqual(warned.stderr.split(separator: "\n").filter { $0.hasPrefix("warning: ") }.count, 1, warned.stderr)
    }
}
