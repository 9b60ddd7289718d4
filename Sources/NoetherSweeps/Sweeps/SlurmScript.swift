import Foundation
import NoetherTraining

/// An `sbatch` job-array script for a sweep: one array task per unit of trials (a trial alone,
/// or the seeds of an arm as one seed stack, ``SeedStackUnits``), numbered by the unit's first
/// trial and running `noether run-trial TRIALS --index=I --hash=H …` for its trials. SLURM
/// schedules; Noether writes the script and the user submits it.
public struct SlurmScript: Sendable {
    public var name: String
    /// The sweep directory as an absolute path: the cluster's nodes reach it (and the binary)
    /// through a shared file system.
    public var sweep: SweepDirectory
    public var binary: String
    /// The trials to run (the runnable ones), one array task per unit; a unit's first trial
    /// numbers its task.
    public var units: [[Int]]
    /// Each trial's hash prefix by index, passed to `run-trial --hash` so that a task queued before
    /// the sweep was expanded again refuses to run a different trial.
    public var hashes: [Int: String] = [:]
    /// At most this many array tasks at once (`%M`), if given.
    public var concurrency: Int?
    public var cpusPerTrial: Int
    /// Extra `#SBATCH` options (e.g. `--partition=short`, `--time=01:00:00`).
    public var options: [String]
    /// The trials' working directory, for relative paths in their configs (default: this one).
    public var workingDirectory: String = FileManager.default.currentDirectoryPath
    /// Whether the tasks rerun trials that failed before.
    public var retryFailed = false
    /// What array task ID 0 stands for: task `i` runs the unit led by trial `offset + i`. SLURM refuses array
    /// indices from `MaxArraySize` (1001 by default) on, so a larger sweep is split into scripts
    /// of ``arrayLimit`` indices each (see ``chunks()``).
    public var offset = 0
    /// The script's file name in the sweep directory.
    public var fileName = "sweep.sbatch"
    /// What to run when the array is done (default: `noether sweep collect` of the sweep).
    public var nextStep: String?

    /// The array indices one script uses: 0…999, within SLURM's default `MaxArraySize`.
    public static let arrayLimit = 1000

    public init(name: String, sweep: SweepDirectory, binary: String, units: [[Int]], concurrency: Int?, cpusPerTrial: Int, options: [String] = []) {
        let absolute = URL(fileURLWithPath: sweep.path).standardizedFileURL.path
        (self.name, self.sweep, self.binary, self.units) = (name, SweepDirectory(absolute), binary, units.filter { !$0.isEmpty })
        (self.concurrency, self.cpusPerTrial, self.options) = (concurrency, max(1, cpusPerTrial), options)
    }

    /// One array task per trial.
    public init(name: String, sweep: SweepDirectory, binary: String, indices: [Int], concurrency: Int?, cpusPerTrial: Int, options: [String] = []) {
        self.init(name: name, sweep: sweep, binary: binary, units: indices.map { [$0] }, concurrency: concurrency, cpusPerTrial: cpusPerTrial, options: options)
    }

    /// Every trial the script runs.
    public var indices: [Int] { units.flatMap { $0 } }

    /// The array task IDs' trials: the units' leaders.
    var leaders: [Int] { units.map { $0[0] } }

    public var path: String { "\(sweep.path)/\(fileName)" }

    /// This script as one or more scripts whose array indices stay below ``arrayLimit``: the
    /// unit led by trial `i` goes to script `i / arrayLimit` as array task `i % arrayLimit`. One
    /// script keeps the name `sweep.sbatch`; several are `sweep-<k>.sbatch`.
    public func chunks() -> [SlurmScript] {
        let groups = Dictionary(grouping: units, by: { $0[0] / Self.arrayLimit })
        guard groups.count > 1 || (groups.keys.first ?? 0) > 0 else { return [self] }
        return groups.keys.sorted().map { group in
            var chunk = self
            chunk.offset = group * Self.arrayLimit
            chunk.units = groups[group, default: []].sorted { $0[0] < $1[0] }
            chunk.fileName = groups.count > 1 ? "sweep-\(group).sbatch" : "sweep.sbatch"
            let members = Set(chunk.indices)
            chunk.hashes = hashes.filter { members.contains($0.key) }
            return chunk
        }
    }

    /// The `run-trial` options of each array task, by task ID (a bash array defined in the
    /// script; IDs that are not tasks hold ''): each option quoted for the shell, the whole
    /// entry quoted again, so that `eval` gives back exactly the words.
    var taskTable: String {
        let byTask = Dictionary(units.map { ($0[0] - offset, $0) }, uniquingKeysWith: { first, _ in first })
        let largest = byTask.keys.max() ?? -1
        let entries = (0...max(largest, 0)).map { task -> String in
            guard let unit = byTask[task] else { return "''" }
            // Joined with "=", so that a hash beginning with "-" is still a value.
            let words = unit.flatMap { index in ["--index=\(index)"] + (hashes[index].map { ["--hash=\($0)"] } ?? []) }
            return shellQuoted(words.map(shellQuoted).joined(separator: " "))
        }
        return "TASKS=(" + entries.joined(separator: " ") + ")"
    }

    /// The `--array` value: the units' leaders as ranges (`0-5,7,9-11`), then `%M`.
    public var arraySpecification: String {
        var ranges: [ClosedRange<Int>] = []
        for index in Set(leaders).sorted().map({ $0 - offset }) {
            if let last = ranges.last, index == last.upperBound + 1 {
                ranges[ranges.count - 1] = last.lowerBound...index
            } else {
                ranges.append(index...index)
            }
        }
        let list = ranges.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ",")
        return list + (concurrency.map { "%\(max(1, $0))" } ?? "")
    }

    public var text: String {
        var lines = [
            "#!/bin/bash",
            "# The Noether sweep \(name) as a SLURM job array: one array task per trial, or per seed stack (the seeds",
            "# of an arm, trained together); task i runs the trials led by trial \(offset > 0 ? "\(offset) + i" : "i") (the table TASKS).",
            "# Submit with: sbatch \(shellQuoted(path))",
            "# Then: \(nextStep ?? "noether sweep collect \(shellQuoted(sweep.path))")",
            "#SBATCH --job-name=\(sbatchQuoted(name))",
            "#SBATCH --array=\(arraySpecification)",
            "#SBATCH --ntasks=1",
            "#SBATCH --cpus-per-task=\(cpusPerTrial)",
            "#SBATCH --output=\(sbatchQuoted("\(sweep.logsPath)/slurm-%A_%a.log"))",
            "#SBATCH --chdir=\(sbatchQuoted(workingDirectory))",
        ]
        lines += options.map { "#SBATCH \($0)" }
        lines += [
            "set -euo pipefail",
            "export OPENBLAS_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-\(cpusPerTrial)}\"",
            taskTable,
            "eval \"trial_options=(${TASKS[$SLURM_ARRAY_TASK_ID]})\"",
            // A trial another process holds (exit 75) completes there: not a failed task.
            "status=0",
            "\(shellQuoted(binary)) run-trial \(shellQuoted(sweep.trialsPath)) \"${trial_options[@]}\"\(retryFailed ? " --retry-failed" : "") || status=$?",
            "if [ \"$status\" -eq \(TrialRunner.busyExitStatus) ]; then echo \"a trial of array task $SLURM_ARRAY_TASK_ID (${trial_options[*]}) is being run by another process; left to it\"; exit 0; fi",
            "exit \"$status\"",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the script (executable) to ``path``.
    public func write() throws(RunError) {
        // A line break would end a comment or an #SBATCH line and run the rest as a command.
        for (what, text) in [("sweep name", name), ("sweep directory", sweep.path), ("noether binary path", binary),
                             ("working directory", workingDirectory), ("command after the array", nextStep ?? "")] + options.map({ ("--slurm-option", $0) })
            where text.contains(where: { $0 == "\n" || $0 == "\r" }) {
            throw RunError("the \(what) holds a line break, which a SLURM script cannot carry: \(text.debugDescription)",
                           hint: "use a name and paths without line breaks")
        }
        do {
            try FileManager.default.createDirectory(atPath: sweep.logsPath, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        } catch { throw RunError("cannot write \(path): \(error.localizedDescription)") }
    }
}

/// A `#SBATCH` option's value as sbatch reads it: sbatch splits a directive at white space and
/// stops at `#` unless quoted, and takes a backslash as an escape, so the value goes in double
/// quotes with `\\` and `"` escaped.
func sbatchQuoted(_ text: String) -> String {
    guard text.contains(where: { $0.isWhitespace || "\"'\\#".contains($0) }) else { return text }
    return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
}

/// `text` quoted for a POSIX shell.
public func shellQuoted(_ text: String) -> String {
    text.allSatisfy { $0.isLetter || $0.isNumber || "/._-+=:,@".contains($0) } ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
