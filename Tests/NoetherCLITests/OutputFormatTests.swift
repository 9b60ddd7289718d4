import Foundation
import XCTest

/// `--format table|json|csv` (and `--json`) on the commands that print results, one error
/// form for every module, and the internal command kept out of the help.
extension CommandLineTests {
    var symmetryConfig: String {
        """
        model: {kind: mlp, input: 6, hidden: [5], output: 3, activation: relu}
        data: {kind: gaussian_mixture, dimension: 6, classes: 3}
        training: {steps: 5}
        """
    }

    /// CSV records (RFC 4180 as written: CRLF-terminated, no quoted fields in these outputs).
    func records(_ text: String) -> [[String]] {
        text.components(separatedBy: "\r\n").filter { !$0.isEmpty }.map { $0.components(separatedBy: ",") }
    }

    func testSymmetriesInEveryFormatSayTheSame() throws {
        let config = try write(symmetryConfig, "format-sym.yaml")
        let json = try run(["symmetries", config, "--format", "json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let entries = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(try run(["symmetries", config, "--json"]).stdout, json.stdout, "--json is --format json")

        let csv = try run(["symmetries", config, "--format", "csv"])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let rows = records(csv.stdout)
        XCTAssertEqual(rows.first, ["symmetry", "layer", "units", "residual", "loss_residual", "parameters"])
        XCTAssertEqual(rows.dropFirst().map { $0[0] }, entries.map { $0["symmetry"] as? String ?? "" })
        // (Foundation's JSON parser may round the last digit, so compare to 1e-12.)
        for (row, entry) in zip(rows.dropFirst(), entries) {
            let (a, b) = (try XCTUnwrap(Double(row[3])), try XCTUnwrap(entry["residual"] as? Double))
            XCTAssertLessThanOrEqual(abs(a - b), 1e-12 * max(abs(a), abs(b)), "\(row) vs \(entry)")
        }

        let table = try run(["symmetries", config])
        XCTAssertTrue(table.stdout.hasPrefix("symmetry "), table.stdout)
        XCTAssertTrue(table.stdout.contains("3 symmetries"), table.stdout)
        let both = try run(["symmetries", config, "--json", "--format", "csv"])
        XCTAssertNotEqual(both.status, 0)
        XCTAssertTrue(both.stderr.contains("--json and --format csv"), both.stderr)
    }

    func testTrainAndTheRunStoreInEveryFormat() throws {
        let path = try write("""
        name: format-run
        model: {kind: mlp, input: 10, hidden: [8], output: 1}
        data: {kind: staircase, dimension: 10, degree: 2, train: 200, test: 50}
        training: {steps: 40, batch_size: 50, eval_every: 20}
        """, "format-train.yaml")
        let folder = (path as NSString).deletingLastPathComponent
        let store = ["--store", "\(folder)/store.sqlite"]
        let train = try run(["train", path, "--out", "\(folder)/run", "--format", "csv"] + store)
        XCTAssertEqual(train.status, 0, train.stderr)
        let fields = Dictionary(uniqueKeysWithValues: records(train.stdout).dropFirst().map { ($0[0], $0[1]) })
        XCTAssertEqual(records(train.stdout).first, ["field", "value"])
        XCTAssertEqual(fields["status"], "completed")
        XCTAssertEqual(fields["steps"], "40")
        XCTAssertNotNil(fields["final.test_loss"].flatMap(Double.init))

        let list = try run(["runs", "list", "--json"] + store)
        XCTAssertEqual(list.status, 0, list.stderr)
        let runs = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(runs.map { $0["name"] as? String }, ["format-run"])
        let listCSV = records(try run(["runs", "list", "--format", "csv"] + store).stdout)
        XCTAssertEqual(listCSV.first?.prefix(2), ["id", "name"])
        XCTAssertEqual(listCSV.dropFirst().map { $0[1] }, ["format-run"])
        XCTAssertEqual(listCSV.dropFirst().first.map { Double($0[5]) }, fields["final.test_loss"].flatMap(Double.init),
                       "the store's test loss is the run's")

        let export = try run(["runs", "export", "format-run", "--json"] + store)
        let values = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(export.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(values.count, records(try run(["runs", "export", "format-run"] + store).stdout).count - 1)
    }

    func testErrorsOfEveryModuleLookTheSame() throws {
        // ConfigLoader (Lab), a data file (Data/IO) and a run directory, each `error:` (+ `hint:`).
        assertCleanFailure(try run(["train", "/nonexistent/config.yaml"]), mentioning: "does not exist")
        let npy = try write("not numpy", "bad.npy")
        assertCleanFailure(try run(["compare", "--a", npy, "--b", npy]), mentioning: "bad.npy")
        let notARun = try run(["represent", NSTemporaryDirectory()])
        assertCleanFailure(notARun, mentioning: "is not a run directory")
        XCTAssertTrue(notARun.stderr.contains("\nhint: pass the folder `noether train` wrote"), notARun.stderr)
    }

    func testTheInternalTrialCommandIsHiddenButWorks() throws {
        let help = try run(["--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("sweep"), help.stdout)
        XCTAssertFalse(help.stdout.contains("run-trial"), help.stdout)
        let own = try run(["run-trial", "--help"])
        XCTAssertEqual(own.status, 0, own.stderr)
        XCTAssertTrue(own.stdout.contains("--retry-failed"), own.stdout)
    }
}
