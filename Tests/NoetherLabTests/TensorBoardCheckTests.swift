import Foundation
import Testing
@testable import NoetherLab
@testable import NoetherSweeps
@testable import NoetherTraining

/// A Python that can run the repository's check scripts, found like the Ray test finds its
/// Python: `$NOETHER_PYTHON`, else `python3`.
enum CheckPython {
    static var executable: String { ProcessInfo.processInfo.environment["NOETHER_PYTHON"] ?? "python3" }

    /// Runs `arguments` with the Python; returns its status and combined output.
    static func run(_ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        let pipe = Pipe()
        (process.standardOutput, process.standardError) = (pipe, pipe)
        do { try process.run() } catch { return (-1, "\(executable) cannot be started: \(error)") }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    /// Whether the TensorBoard test runs: when the Python has tensorboard, or always when CI
    /// requires it (NOETHER_REQUIRE_TENSORBOARD=1), so that a missing install fails there.
    static var hasTensorBoard: Bool {
        ProcessInfo.processInfo.environment["NOETHER_REQUIRE_TENSORBOARD"] == "1" || run(["-c", "import tensorboard"]).status == 0
    }

    /// A file of this repository.
    static func repositoryFile(_ path: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(path).path
    }
}

@Suite("TensorBoard shows what metrics.jsonl holds")
struct TensorBoardCheckTests {
    @Test(.enabled(if: CheckPython.hasTensorBoard, "needs `pip install tensorboard` for $NOETHER_PYTHON or python3"))
    func tensorBoardsOwnReaderShowsEveryTagAndPointIncludingZeros() throws {
        // Small init with absolute thresholds: dead, distinct and the degree of symmetry pass
        // through exact zeros, which a proto3 writer that skips defaults would drop.
        let yaml = """
        name: tensorboard-check
        model: {kind: mlp, input: 10, hidden: [8], output: 1}
        init: {scale: 0.01}
        data: {kind: staircase, dimension: 10, degree: 2, train: 200, test: 100}
        optimizer: {learning_rate: 0.05}
        training: {steps: 40, batch_size: 50, eval_every: 10}
        track: {every: 5, thresholds: {dead_absolute: 0.1, rank_absolute: 0.1}}
        """
        let directory = temporaryDirectory()
        let result = try ConfigTrainer(config: try config(yaml), options: TrainingOptions(directory: directory)).run()
        #expect(result.metrics.contains { $0.value == 0 }, "the run should record exact zeros")
        let check = CheckPython.run([CheckPython.repositoryFile("scripts/tensorboard_check.py"), directory])
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("TensorBoard shows all"), "\(check.output)")
    }
}
