import ArgumentParser
import Foundation
import Noether

/// Where a sweep's trials (or an experiment's runs) train: the options `sweep run` and
/// `reproduce` share.
struct ExecutorOptions: ParsableArguments {
    enum Executor: String, ExpressibleByArgument, CaseIterable { case local, ray, slurm }

    @Option(help: "local, ray or slurm.") var executor: Executor = .local
    @Option(help: "CPUs per trial (ray, slurm).") var cpusPerTrial = 1
    @Option(help: "ray: the cluster address (host:port, ray://…, or auto); default a new local cluster.") var address: String?
    @Option(help: "ray: the Python with ray installed (default $NOETHER_PYTHON or python3).") var python: String?
    @Option(help: "ray: the driver script (default integrations/ray/run_sweep.py of this repository).") var rayDriver: String?
    @Option(help: "slurm: an extra #SBATCH option, e.g. --slurm-option=--partition=short (repeatable).") var slurmOption: [String] = []
    @Flag(inversion: .prefixedNo, help: "Train the seeds of an arm in one process as one seed stack (same numbers, less time).") var seedStacks = true
    @Option(help: "At most this many seeds in one seed stack, i.e. one process, Ray task or SLURM array task: size --time and --mem for it.")
    var stackSize = SeedStackUnits.largestStack

    func validate() throws {
        if cpusPerTrial <= 0 { throw ValidationError("--cpus-per-trial must be positive") }
        if stackSize <= 0 { throw ValidationError("--stack-size must be positive (1: every trial alone)") }
    }

    /// The most seeds one process, task or array task trains as seed stacks (1: none).
    var largestStack: Int { seedStacks ? stackSize : 1 }

    func localExecutor(jobs: Int, retryFailed: Bool = false, onProgress: @escaping @Sendable (String) -> Void) -> LocalExecutor {
        var executor = LocalExecutor(jobs: jobs, retryFailed: retryFailed, onProgress: onProgress)
        executor.largestStack = largestStack
        return executor
    }

    func rayExecutor(retryFailed: Bool) throws -> RayExecutor {
        let python = python ?? ProcessInfo.processInfo.environment["NOETHER_PYTHON"] ?? "python3"
        var executor = RayExecutor(address: address, cpusPerTrial: cpusPerTrial, python: python,
                                   driver: try rayDriver ?? RayExecutor.locateDriver(), retryFailed: retryFailed)
        executor.largestStack = largestStack
        return executor
    }

    var rayDescription: String {
        "Ray at \(address ?? "a new local cluster"), \(cpusPerTrial) CPU\(cpusPerTrial == 1 ? "" : "s") each"
    }

    /// Writes the SLURM job arrays of the sweep's runnable trials and prints how to submit them;
    /// `then` is the command to run when they are done. Returns false when nothing is left to run.
    func writeSlurmScripts(for directory: SweepDirectory, trials: [Trial], jobs: Int?, retryFailed: Bool, then: String) throws -> Bool {
        let runnable = directory.runnable(trials, retryFailed: retryFailed)
        guard !runnable.isEmpty else { return false }
        let units = SeedStackUnits.units(runnable, jobs: jobs ?? 1, largest: largestStack)
        var script = SlurmScript(name: try directory.manifest().name, sweep: directory, binary: RepositoryFiles.executable,
                                 units: units.map { $0.map(\.index) }, concurrency: jobs, cpusPerTrial: cpusPerTrial, options: slurmOption)
        (script.retryFailed, script.nextStep) = (retryFailed, then)
        script.hashes = Dictionary(uniqueKeysWithValues: runnable.map { ($0.index, String($0.hash.prefix(8))) })
        let scripts = script.chunks()
        for chunk in scripts { try chunk.write() }
        for (index, error) in SweepRunReport(before: trials, in: directory, retryFailed: retryFailed).previouslyFailed {
            print("trial \(index) failed earlier (not retried; use --retry-failed): \(error)")
        }
        if let largest = units.map(\.count).max(), largest > 1 {
            print("\(units.count) array tasks: the seeds of an arm train in one task as one seed stack, up to \(largest) per task "
                  + "(size --time and --mem for \(largest) trials; --stack-size N or --no-seed-stacks for fewer)")
        }
        if scripts.count == 1 {
            print("\(runnable.count) of \(trials.count) trials in a SLURM job array: \(script.path)")
            print("submit it with:   sbatch \(shellQuoted(script.path))")
        } else {
            // Chained, so that --jobs bounds the whole sweep rather than each array.
            print("\(runnable.count) of \(trials.count) trials in \(scripts.count) SLURM job arrays of at most \(SlurmScript.arrayLimit) tasks (SLURM's default MaxArraySize is 1001)")
            let chain = scripts.enumerated().map { position, chunk in
                "j=$(sbatch --parsable\(position == 0 ? "" : " --dependency=afterany:${j%%;*}") \(shellQuoted(chunk.path)))"
            }.joined(separator: " && ")
            print("submit them with: \(chain)")
        }
        print("when it is done:  \(then)")
        return true
    }
}
