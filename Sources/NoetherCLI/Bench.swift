import ArgumentParser
import Foundation
import Noether
import NoetherBenchmarks

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time training steps and their GEMM floors (build with -c release for real figures).",
        discussion: "Workloads: \(StepBenchmarks.names.joined(separator: ", ")). floor_ms is the summed time of the step's GEMMs run alone in the same process (for convolutions, the im2col GEMMs). convolution-paths (run only when named) times each preset convolution through Winograd against im2col (the overhead column).")

    @OptionGroup var output: FormatOptions

    @Option(name: .customLong("only"), help: "Run only these workloads (repeatable).")
    var only: [String] = []

    @Option(help: "Timed repetitions per workload (the median is reported).")
    var repeats = 30

    @Option(help: "A safetensors file (or model directory) for the weight-spectra workload.")
    var weights: String?

    func validate() throws {
        guard repeats > 0 else { throw ValidationError("--repeats must be positive") }
        if let unknown = only.first(where: { !StepBenchmarks.names.contains($0) }) {
            throw ValidationError("unknown workload '\(unknown)'; choose from \(StepBenchmarks.names.joined(separator: ", "))")
        }
        if only.contains("weight-spectra"), weights == nil {
            throw ValidationError("weight-spectra needs --weights FILE.safetensors (e.g. all-MiniLM-L6-v2's model.safetensors)")
        }
        if let weights, !FileManager.default.fileExists(atPath: weights) {
            throw ValidationError("--weights \(weights) does not exist")
        }
    }

    func run() throws {
        let records = try StepBenchmarks.run(only, repeats: repeats, weights: weights)
        try output.print(records, table: {
            // Names longer than the column (convolution-paths' per-shape records) widen it.
            let width = max(18, records.map(\.name.count).max() ?? 0)
            var lines = ["workload".padding(toLength: width + 2, withPad: " ", startingAt: 0) + "median ms   floor ms   step/floor   allocs/step   GFLOP/s   overhead"]
            for r in records {
                let floor = r.floorMilliseconds.map { String(format: "%9.3f", $0) } ?? "        –"
                let ratio = r.floorMilliseconds.map { String(format: "%11.2f", r.medianMilliseconds / $0) } ?? "          –"
                let allocations = r.allocationsPerStep.map { String(format: "%12.1f", $0) } ?? "           –"
                let gflops = r.gflops.map { String(format: "%9.1f", $0) } ?? "        –"
                let overhead = r.overheadPercent.map { String(format: "%+9.1f%% (vs %.1f ms)", $0, r.baselineMilliseconds ?? 0) } ?? "         –"
                lines.append("\(r.name.padding(toLength: width, withPad: " ", startingAt: 0)) \(String(format: "%10.3f", r.medianMilliseconds)) \(floor) \(ratio) \(allocations) \(gflops) \(overhead)")
            }
            return lines.joined(separator: "\n")
        }, csv: {
            CSVTable(header: ["workload", "median_ms", "floor_ms", "gflops", "allocations_per_step", "baseline_ms", "overhead_percent", "repeats"],
                     rows: records.map {
                         [$0.name, csvNumber($0.medianMilliseconds), csvNumber($0.floorMilliseconds), csvNumber($0.gflops), csvNumber($0.allocationsPerStep),
                          csvNumber($0.baselineMilliseconds), csvNumber($0.overheadPercent), String($0.repeats)]
                     })
        })
    }
}
