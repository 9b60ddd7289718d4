import ArgumentParser
import Foundation
import Noether

@main
struct NoetherCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "noether",
        abstract: "Parameter symmetry in deep learning: train, measure, control.",
        version: NoetherVersion.current,
        subcommands: [Train.self, Reproduce.self, Report.self, Runs.self, Predict.self, Symmetries.self, Analyze.self, Represent.self, Collapse.self, Compare.self, Sweep.self, RunTrial.self, Demo.self, Bench.self]
    )
}

enum NoetherVersion {
    static let current = "0.1.0"
}

/// Runs `body`, turning Noether's errors into a one-line message and exit code 1.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as RunError {
        throw failure(error.description)
    } catch let error as FileFormatError {
        throw failure(error.description)
    } catch let error as DataError {
        throw failure(error.description)
    } catch let error as ModelSpecError {
        throw failure(error.description)
    } catch let error as LinearAlgebraError {
        throw failure(error.description)
    } catch let error as RepresentationError {
        throw failure(error.description)
    }
}

/// Prints `message` as an error; the returned code exits with status 1.
func failure(_ message: String) -> ExitCode {
    let oneLine = message.split(whereSeparator: \.isNewline).joined(separator: " ")
    FileHandle.standardError.write(Data("error: \(oneLine)\n".utf8))
    return ExitCode.failure
}

/// Prints `value` as pretty JSON (sorted keys; non-finite numbers as "inf", "-inf", "nan").
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    FileHandle.standardOutput.write(try encoder.encode(value))
    print()
}
