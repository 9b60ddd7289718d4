import Foundation
import XCTest

/// What the CLI prints is what it did: no terminal controls in piped output, no options that do
/// nothing, no option values that make no sense.
extension CommandLineTests {
    /// A small-init staircase run that detects events within 200 steps.
    var eventfulConfig: String {
        """
        name: cli-events
        model: {kind: mlp, input: 10, hidden: [16], output: 1}
        init: {scale: 0.01}
        data: {kind: staircase, dimension: 10, degree: 2, train: 400, test: 100}
        optimizer: {learning_rate: 0.1}
        training: {steps: 300, batch_size: 100, eval_every: 10}
        track: {every: 10, persistence: 2}
        """
    }

    func testEventLinesCarryNoTerminalControlsWhenPiped() throws {
        let path = try write(eventfulConfig, "events.yaml")
        let folder = (path as NSString).deletingLastPathComponent
        let outcome = try run(["train", path, "--out", "\(folder)/run", "--store", "\(folder)/store.sqlite"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        XCTAssertTrue(outcome.stderr.contains("step "), "events should be printed: \(outcome.stderr)")
        XCTAssertFalse(outcome.stderr.contains("\u{1B}"), "escape sequences on a pipe: \(outcome.stderr.debugDescription)")
        XCTAssertFalse(outcome.stderr.unicodeScalars.contains("\r"), "carriage returns on a pipe: \(outcome.stderr.debugDescription)")
        XCTAssertTrue(outcome.stdout.contains("symmetry events: "), outcome.stdout)
    }

    func testRunsExportWritesRFC4180AndHasNoDecorativeFlag() throws {
        let path = try write(eventfulConfig, "export.yaml")
        let folder = (path as NSString).deletingLastPathComponent
        let store = ["--store", "\(folder)/store.sqlite"]
        XCTAssertEqual(try run(["train", path, "--out", "\(folder)/run", "--steps", "20"] + store).status, 0)
        let export = try run(["runs", "export", "\(folder)/run"] + store)
        XCTAssertEqual(export.status, 0, export.stderr)
        XCTAssertTrue(export.stdout.hasPrefix("step,name,value\r\n"), export.stdout.debugDescription)
        XCTAssertTrue(export.stdout.contains("\r\n0,layers.0/dead,"), String(export.stdout.prefix(300)).debugDescription)
        // The flag that selected the only format is gone, not silently accepted.
        let flag = try run(["runs", "export", "\(folder)/run", "--csv"] + store)
        XCTAssertNotEqual(flag.status, 0)
        XCTAssertTrue(flag.stderr.contains("--csv"), flag.stderr)
    }

    func testNonsenseToleranceAndSamplesAreRejected() throws {
        let config = try write("model: {kind: mlp, input: 4, hidden: [3], output: 1}\ndata: {kind: staircase, dimension: 4}\ntraining: {steps: 5}\n", "t.yaml")
        for value in ["-1", "0", "nan", "inf"] {
            let outcome = try run(["symmetries", config, "--tolerance=\(value)"])
            XCTAssertNotEqual(outcome.status, 0, "--tolerance \(value) was accepted")
            XCTAssertTrue(outcome.stderr.contains("--tolerance must be a positive number"), outcome.stderr)
        }
        XCTAssertEqual(try run(["symmetries", config, "--tolerance", "1e-3"]).status, 0)
        for value in ["0", "-5", "1"] {
            let outcome = try run(["represent", "/nonexistent", "--samples=\(value)"])
            XCTAssertNotEqual(outcome.status, 0, "--samples \(value) was accepted")
            XCTAssertTrue(outcome.stderr.contains("--samples must be at least 2"), outcome.stderr)
        }
    }
}
