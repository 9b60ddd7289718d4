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
        // The table of trials is indexed by array task: entry 0 is trial 2000's.
        #expect(last.contains("\nTASKS=('--index=2000 --hash=000007d0' '--index=2001 --hash=000007d1' "))
        // A sweep whose runnable trials all lie past 999 still gets indices SLURM accepts.
        let tail = SlurmScript(name: "t", sweep: sweep, binary: "/b", indices: [1200, 1201], concurrency: nil, cpusPerTrial: 1).chunks()
        #expect(tail.map(\.fileName) == ["sweep.sbatch"] && tail.map(\.arraySpecification) == ["200-201"])
        // A small sweep keeps one script with the trial indices as array indices.
        let small = SlurmScript(name: "s", sweep: sweep, binary: "/b", indices: [0, 3, 4], concurrency: nil, cpusPerTrial: 1).chunks()
        #expect(small.count == 1 && small[0].fileName == "sweep.sbatch" && small[0].arraySpecification == "0,3-4")
    }

    /// Runs array task `task` of `script` as SLURM would, with a stand-in binary that prints its
    /// arguments one a line and exits with `status`.
    func runTask(_ task: Int = 0, of script: SlurmScript? = nil, binaryExit status: Int32 = 0) throws -> (Int32, String) {
        var script = script ?? SlurmScript(name: "s", sweep: SweepDirectory(temporaryDirectory()), binary: "", indices: [0], concurrency: nil, cpusPerTrial: 1)
        try script.sweep.prepare(try smallSweep())
        script.binary = temporaryDirectory() + "-noether.sh"
        try "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\nexit \(status)\n".write(toFile: script.binary, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.binary)
        try script.write()
        let bash = Process()
        bash.executableURL = URL(fileURLWithPath: "/bin/bash")
        bash.arguments = [script.path]
        bash.environment = ["SLURM_ARRAY_TASK_ID": String(task), "PATH": "/usr/bin:/bin"]
        let out = Pipe()
        bash.standardOutput = out
        try bash.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        bash.waitUntilExit()
        return (bash.terminationStatus, output)
    }

    /// A trial another process holds completes there: the array task is not FAILED.
    @Test func aBusyTrialIsNotAFailedArrayTask() throws {
        let (busy, output) = try runTask(binaryExit: 75)
        #expect(busy == 0 && output.contains("a trial of array task 0 (--index=0) is being run by another process"), "\(output)")
        #expect(try runTask(binaryExit: 0).0 == 0)
        #expect(try runTask(binaryExit: 1).0 == 1)
    }

    /// A seed stack is one array task, numbered by its first trial, that names all its trials
    /// to `run-trial`; whatever a hash holds, the shell gives it back as one word.
    @Test func aSeedStackIsOneArrayTask() throws {
        var script = SlurmScript(name: "s", sweep: SweepDirectory(temporaryDirectory()), binary: "", units: [[2, 3], [0, 1], [4]], concurrency: nil, cpusPerTrial: 1)
        script.hashes = [0: "aa", 1: "b b", 2: "c'c", 3: "*", 4: "-$(false)"]
        #expect(script.arraySpecification == "0,2,4")
        #expect(script.indices.sorted() == [0, 1, 2, 3, 4])
        func arguments(_ task: Int) throws -> [String] {
            let (status, output) = try runTask(task, of: script)
            #expect(status == 0)
            return output.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2).filter { !$0.isEmpty }.map(String.init)
        }
        #expect(try arguments(0) == ["--index=0", "--hash=aa", "--index=1", "--hash=b b"])
        #expect(try arguments(2) == ["--index=2", "--hash=c'c", "--index=3", "--hash=*"])
        #expect(try arguments(4) == ["--index=4", "--hash=-$(false)"])
        // A line break in a path would end a line of the script: refused.
        var broken = script
        broken.workingDirectory = "/tmp/a\nrm -rf x"
        #expect(throws: RunError.self) { try broken.write() }
        // Split into arrays of SLURM's size, a stack stays with its first trial's script.
        let chunks = SlurmScript(name: "big", sweep: script.sweep, binary: "/b", units: [[998, 999, 1000], [1001, 1002]], concurrency: nil, cpusPerTrial: 1).chunks()
        #expect(chunks.map(\.units) == [[[998, 999, 1000]], [[1001, 1002]]])
        #expect(chunks.map(\.arraySpecification) == ["998", "1"])
    }
}
