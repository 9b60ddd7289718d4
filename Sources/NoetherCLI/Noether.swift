import ArgumentParser
import Foundation
import Noether

@main
struct NoetherCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "noether",
        abstract: "Parameter symmetry in deep learning: train, measure, control.",
        version: NoetherVersion.current,
        subcommands: [Train.self, Reproduce.self, Report.self, Runs.self, Predict.self, Symmetries.self, Align.self, Interpolate.self, Merge.self, Compress.self, Analyze.self, Track.self, Represent.self, Collapse.self, Compare.self, Sweep.self, RunTrial.self, Demo.self, Bench.self]
    )

    /// The one place errors are caught: every module's errors are `NoetherError`s, printed as
    /// `error:` (and `hint:`) with exit status 1; usage errors go to ArgumentParser as usual.
    static func main() {
        MallocArenas.shareOne()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as any NoetherError {
            report(error)
            exit(withError: ExitCode.failure)
        } catch {
            exit(withError: error)
        }
    }
}

enum NoetherVersion {
    static let current = "0.1.0"
}

/// Prints a Noether error as `error: <message>`, and its hint as `hint: <hint>` on a second line.
func report(_ error: any NoetherError) {
    func oneLine(_ text: String) -> String { text.split(whereSeparator: \.isNewline).joined(separator: " ") }
    var text = "error: \(oneLine(error.message))\n"
    if let hint = error.hint { text += "hint: \(oneLine(hint))\n" }
    FileHandle.standardError.write(Data(text.utf8))
}

/// A command's own failure that is not a library error (a check the command makes on a result).
struct CommandFailure: NoetherError {
    let message: String
    let hint: String?

    init(_ message: String, hint: String? = nil) { (self.message, self.hint) = (message, hint) }
}

/// Prints `value` as pretty JSON (``JSONFormat``: sorted keys; non-finite numbers as "inf", "-inf", "nan").
func printJSON<T: Encodable>(_ value: T) throws {
    FileHandle.standardOutput.write(try JSONFormat.encoder().encode(value))
    print()
}
