import Foundation
import Testing
@testable import NoetherLab
@testable import NoetherSweeps
@testable import NoetherTraining

/// The arguments of the script's `#SBATCH` lines as sbatch reads them (its `_get_argument`):
/// white space separates arguments unless inside single or double quotes, a backslash escapes
/// the next character, and an unquoted `#` ends the line.
func sbatchDirectives(_ script: String) -> [String] {
    script.split(separator: "\n").filter { $0.hasPrefix("#SBATCH") }.flatMap { line -> [String] in
        var arguments: [String] = [], current = "", quote: Character?, escaped = false, started = false
        for character in line.dropFirst("#SBATCH".count) {
            if escaped { current.append(character); escaped = false; continue }
            if character == "\\" { escaped = true; started = true; continue }
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
                continue
            }
            if character == "\"" || character == "'" { quote = character; started = true; continue }
            if character == "#" { break }
            if character.isWhitespace {
                if started { arguments.append(current) }
                (current, started) = ("", false)
                continue
            }
            current.append(character)
            started = true
        }
        if started { arguments.append(current) }
        return arguments
    }
}

@Suite("SLURM scripts")
struct SlurmScriptTests {
    @Test func directivesParseWithSpacesAndQuotesInPaths() throws {
        let root = temporaryDirectory() + "/my sweeps/it's #1"
        var script = SlurmScript(name: "wide sweep", sweep: SweepDirectory(root), binary: "/opt/noether bin/noether",
                                 indices: [0, 1], concurrency: nil, cpusPerTrial: 1)
        script.workingDirectory = "/home/a user/project \"x\""
        let arguments = sbatchDirectives(script.text)
        #expect(arguments.contains("--output=\(root)/logs/slurm-%A_%a.log"), "\(arguments)")
        #expect(arguments.contains("--chdir=/home/a user/project \"x\""), "\(arguments)")
        #expect(arguments.contains("--job-name=wide sweep"), "\(arguments)")
        #expect(arguments.contains("--array=0-1"))
        // The shell part quotes the same paths for bash.
        #expect(script.text.contains("'/opt/noether bin/noether' run-trial '\(root.replacingOccurrences(of: "'", with: "'\\''"))/trials.jsonl'"))
    }

    @Test func largeSweepsAreSplitIntoArraysWithinMaxArraySize() {
        let sweep = SweepDirectory(temporaryDirectory())
        var script = SlurmScript(name: "big", sweep: sweep, binary: "/b", indices: Array(0..<2500).filter { $0 != 1500 }, concurrency: 8, cpusPerTrial: 1)
        script.hashes = Dictionary(uniqueKeysWithValues: script.indices.map { ($0, String(format: "%08x", $0)) })
        let chunks = script.chunks()
        #expect(chunks.map(\.fileName) == ["sweep-0.sbatch", "sweep-1.sbatch", "sweep-2.sbatch"])
        #expect(chunks.map(\.arraySpecification) == ["0-999%8", "0-499,501-999%8", "0-499%8"])
        #expect(chunks.map(\.offset) == [0, 1000, 2000])
        let last = chunks[2].text
        #expect(last.contains("--index \"$((SLURM_ARRAY_TASK_ID + 2000))\""))
        // The hash table is indexed by array task: entry 0 is trial 2000's.
        #expect(last.contains("\nHASHES=(000007d0 000007d1 "))
        // A sweep whose runnable trials all lie past 999 still gets indices SLURM accepts.
        let tail = SlurmScript(name: "t", sweep: sweep, binary: "/b", indices: [1200, 1201], concurrency: nil, cpusPerTrial: 1).chunks()
        #expect(tail.map(\.fileName) == ["sweep.sbatch"] && tail.map(\.arraySpecification) == ["200-201"])
        // A small sweep keeps one script with the trial indices as array indices.
        let small = SlurmScript(name: "s", sweep: sweep, binary: "/b", indices: [0, 3, 4], concurrency: nil, cpusPerTrial: 1).chunks()
        #expect(small.count == 1 && small[0].fileName == "sweep.sbatch" && small[0].arraySpecification == "0,3-4")
    }

    /// Runs the script as SLURM would, with a stand-in binary exiting with `status`.
    func taskStatus(binaryExit status: Int32) throws -> (Int32, String) {
        let sweep = SweepDirectory(temporaryDirectory())
        try sweep.prepare(try smallSweep())
        let binary = temporaryDirectory() + "-noether.sh"
        try "#!/bin/sh\nexit \(status)\n".write(toFile: binary, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: binary)
        let script = SlurmScript(name: "s", sweep: sweep, binary: binary, indices: [0], concurrency: nil, cpusPerTrial: 1)
        try script.write()
        let bash = Process()
        bash.executableURL = URL(fileURLWithPath: "/bin/bash")
        bash.arguments = [script.path]
        bash.environment = ["SLURM_ARRAY_TASK_ID": "0", "PATH": "/usr/bin:/bin"]
        let out = Pipe()
        bash.standardOutput = out
        try bash.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        bash.waitUntilExit()
        return (bash.terminationStatus, output)
    }

    /// A trial another process holds completes there: the array task is not FAILED.
    @Test func aBusyTrialIsNotAFailedArrayTask() throws {
        let (busy, output) = try taskStatus(binaryExit: 75)
        #expect(busy == 0 && output.contains("trial 0 is being run by another process"))
        #expect(try taskStatus(binaryExit: 0).0 == 0)
        #expect(try taskStatus(binaryExit: 1).0 == 1)
    }
}
