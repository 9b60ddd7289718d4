import ArgumentParser
import Foundation
import Noether

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Grids and random searches of runs, on this machine, a Ray cluster or SLURM.",
        discussion: """
        A sweep file (YAML) names a base run config and what to vary: `grid` (every combination \
        of values of dotted config keys, `seed` included) and `random` (samples from \
        distributions). `expand` writes the trials to <sweep>/trials.jsonl; `run` runs the \
        missing ones on an executor; `collect` indexes them in the run store and writes the \
        sweep's report. Trials are idempotent: a sweep run again finishes only what is missing.
        """,
        subcommands: [Expand.self, Run.self, Collect.self])

    /// Loads a sweep file and expands it into its directory (`--out` or the file's `output`).
    static func prepare(_ file: String, out: String?) throws -> (SweepDirectory, [Trial]) {
        let spec = try ConfigLoader.load(SweepSpec.self, from: file)
        let directory = SweepDirectory(out ?? spec.directory)
        return (directory, try directory.prepare(spec))
    }

    struct Expand: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Expand a sweep file into <sweep>/trials.jsonl (deterministic, one trial per line with its content hash).")
        @Argument(help: "The sweep file (.yaml or .json).") var file: String
        @Option(help: "The sweep directory (overrides the file's output, default sweeps/<name>).") var out: String?

        func run() throws {
            let (directory, trials) = try Sweep.prepare(file, out: out)
            for trial in trials {
                let settings = trial.overrides.keys.sorted().map { "\($0)=\(trial.overrides[$0]?.text ?? "")" }.joined(separator: " ")
                print(String(format: "%4d  ", trial.index) + "\(trial.hash)  \(settings)")
            }
            print("\(trials.count) trials → \(directory.trialsPath)")
        }
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a sweep's missing trials: in local processes, as Ray tasks, or as a SLURM job array.",
            discussion: """
            local: --jobs trials at once, the cores divided among them (the results do not depend on it); Ctrl-C stops them \
            and the same command resumes. ray: Ray tasks through integrations/ray/run_sweep.py against --address \
            (or a new local cluster on 127.0.0.1). slurm: writes <sweep>/sweep.sbatch (at most --jobs array tasks at \
            once) and prints how to submit it. With every executor the seeds of an arm whose model a seed stack \
            carries (dense layers) train in one process, task or array task as one stack of at most --stack-size, \
            bit-identical to the seeds run alone, split until every job (local), CPU (ray) or --jobs (slurm) has one; \
            --no-seed-stacks gives every trial its own.
            """)
        @Argument(help: "A sweep file, or the trials.jsonl of an expanded sweep.") var sweep: String
        @Option(help: "Trials at once (local: default the core count; slurm: the array's %M limit).") var jobs: Int?
        @Option(help: "The sweep directory when SWEEP is a file (overrides its output).") var out: String?
        @Flag(help: "Run failed trials again.") var retryFailed = false
        @OptionGroup var executorOptions: ExecutorOptions

        func validate() throws {
            if let jobs, jobs <= 0 { throw ValidationError("--jobs must be positive") }
        }

        func run() throws {
            lineBufferStandardOutput()
            let directory: SweepDirectory
            if sweep.hasSuffix(".jsonl") {
                directory = SweepDirectory(trialsPath: sweep)
            } else {
                directory = try Sweep.prepare(sweep, out: out).0
            }
            let trials = try directory.trials()
            switch executorOptions.executor {
            case .slurm:
                let written = try executorOptions.writeSlurmScripts(for: directory, trials: trials, jobs: jobs, retryFailed: retryFailed,
                                                                    then: "noether sweep collect \(shellQuoted(directory.path))")
                // Nothing to submit: the same conclusion as any executor that found nothing to run.
                if !written { try finish(SweepRunReport(before: trials, in: directory, retryFailed: retryFailed), directory: directory, total: trials.count) }
            case .local:
                let jobs = jobs ?? ProcessInfo.processInfo.activeProcessorCount
                print("\(trials.count) trials → \(directory.path) (local, \(jobs) at once, \(LocalExecutor.threadsPerTrial(jobs: jobs)) threads each)")
                let executor = executorOptions.localExecutor(jobs: jobs, retryFailed: retryFailed) { print($0) }
                try finish(try executor.run(directory), directory: directory, total: trials.count)
            case .ray:
                let executor = try executorOptions.rayExecutor(retryFailed: retryFailed)
                print("\(trials.count) trials → \(directory.path) (\(executorOptions.rayDescription))")
                try finish(try executor.run(directory), directory: directory, total: trials.count)
            }
        }

        func finish(_ report: SweepRunReport, directory: SweepDirectory, total: Int) throws {
            let (lines, error) = report.conclusion(total: total, directory: directory.path)
            for line in lines { print(line) }
            if let error { throw error }
        }
    }

    struct Collect: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Index a sweep's trials in the run store and write its report (report.html, results.csv).")
        @Argument(help: "The sweep directory.") var directory: String
        @Option(help: "The metric to plot (default: the sweep file's metric, else test_loss).") var metric: String?
        @OptionGroup var store: StoreOption

        func run() throws {
            let sweep = SweepDirectory(directory)
            let report = try SweepReport(sweep, metric: metric)
            let index = try store.open()
            var indexed = 0
            for row in report.rows where row.state == .completed {
                try index.index(run: sweep.runDirectory(of: row.trial), experiment: report.manifest.name)
                indexed += 1
            }
            try report.write(to: sweep)
            let missing = report.rows.count - indexed
            print("\(indexed) trials indexed\(missing > 0 ? " (\(missing) not complete)" : ""); report: \(sweep.path)/report.html, table: \(sweep.path)/results.csv")
        }
    }
}

struct RunTrial: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-trial",
        abstract: "Run trials of an expanded sweep (what every sweep executor launches).",
        discussion: "A completed trial is skipped, an interrupted one resumes from its checkpoint, a failed one is rerun only with --retry-failed. Each attempt is recorded in the trial's attempts.jsonl. Several --index options train those trials in this process, the seeds of one arm as one seed stack.",
        shouldDisplay: false)
    @Argument(help: "The sweep's trials.jsonl.") var trials: String
    @Option(help: "A trial's index (repeatable).") var index: [Int]
    @Option(help: "Each trial's hash (or a prefix) as queued, one per --index: refuse to run if trials.jsonl has changed since.") var hash: [String] = []

    @Flag(help: "Run the trial even if it failed before.") var retryFailed = false

    func validate() throws {
        guard !index.isEmpty else { throw ValidationError("give at least one --index") }
        guard Set(index).count == index.count else { throw ValidationError("each --index may be given once") }
        guard hash.isEmpty || hash.count == index.count else { throw ValidationError("give one --hash per --index (\(index.count)), or none") }
    }

    func run() throws {
        let outcomes = try TrialRunner.run(trialsPath: trials, indices: index, expectedHashes: hash.isEmpty ? nil : hash, retryFailed: retryFailed)
        var failure: RunError?, busy = false
        for (trial, outcome) in zip(index, outcomes) {
            switch outcome {
            case .success(.alreadyComplete): print("trial \(trial): already complete")
            case .success(.ran(let summary)): print("trial \(trial): \(summary.status), \(summary.steps) steps, test_loss \(summary.final["test_loss"].map { String(format: "%.6g", $0) } ?? "–")")
            case .failure(let error) where error.isRunInUse:
                // Another process runs this trial: nothing is wrong, but the executor must know.
                report(error)
                busy = true
            case .failure(let error):
                if index.count > 1 { print("trial \(trial): failed: \(error.description)") }
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
        if busy { throw ExitCode(TrialRunner.busyExitStatus) }
    }
}
