import ArgumentParser
import Foundation
import Noether

extension AlignmentMethod: ExpressibleByArgument {}

struct Align: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Align run B to run A modulo every symmetry of the catalogue and write B′ = g·B as a run directory.",
        discussion: """
        Rescalings are balanced and signs canonicalised, then the permutations of every group of the \
        catalogue (hidden units, channels, attention heads, gated units, residual streams) are chosen \
        by weight matching (coordinate descent, each step an exact linear assignment) or by activation \
        matching on data. B′ is checked to compute B's function on data (relative error ≤ 1e-5) before \
        it is written.
        """)

    @Argument(help: "The reference run A.") var a: String
    @Argument(help: "The run B to align.") var b: String
    @Option(help: "Where to write B′ (a run directory).") var out: String
    @Option(help: "weights or activations.") var method: AlignmentMethod = .weights
    @Option(help: "Data for the function check and activation matching: a data-spec or run-config file, or a data kind (default: B's own data).")
    var data: String?
    @Option(help: "Seed of the order in which groups are visited.") var seed: UInt64 = 0
    @OptionGroup var output: FormatOptions

    func run() throws {
        let report = try AlignmentCommands.align(a, b, out: out, method: method, data: data, seed: seed)
        try output.print(report, table: {
            var lines = ["group                                  size  changed"]
            for group in report.groups {
                lines.append("\(group.name.padding(toLength: 36, withPad: " ", startingAt: 0)) \(String(format: "%6d %8d", group.size, group.changed))")
            }
            lines.append(String(format: "%@ matching in %.3f s; B′ computes B's function to %.2e (relative); written to %@",
                                report.method.rawValue, report.seconds, report.functionDifference, out))
            return lines.joined(separator: "\n")
        }, csv: {
            CSVTable(header: ["group", "size", "changed"], rows: report.groups.map { [$0.name, String($0.size), String($0.changed)] })
        })
    }
}

struct Interpolate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Loss and error along (1−α)·A + α·B on train and test data, and the loss barrier (DESIGN §9).",
        discussion: "With --align, also along the segment to B aligned to A by weight matching: the barrier before and after alignment.")

    @Argument(help: "Run A.") var a: String
    @Argument(help: "Run B (same architecture).") var b: String
    @Option(help: "Data: a data-spec or run-config file, or a data kind (default: A's own data).") var data: String?
    @Option(help: "Evenly spaced values of α in [0, 1].") var points = 25
    @Option(help: "Training samples the train curve is measured on (default: all).") var trainSamples: Int?
    @Flag(help: "Also measure the curve to B aligned to A.") var align = false
    @Option(help: "Write the curves as an SVG figure, or (a name ending in .html) as an HTML report with the barriers.") var plot: String?
    @OptionGroup var output: FormatOptions

    func validate() throws {
        if points < 2 { throw ValidationError("--points must be at least 2, got \(points)") }
        if let trainSamples, trainSamples < 1 { throw ValidationError("--train-samples must be positive") }
    }

    func run() throws {
        let report = try AlignmentCommands.interpolate(a, b, data: data, points: points, trainSamples: trainSamples, align: align)
        if let plot {
            let page = plot.lowercased().hasSuffix(".html") ? report.html(a: a, b: b) : SVGRenderer.render(report.figure)
            do { try AtomicWrite.write(Data(page.utf8), to: plot) } catch {
                throw CommandFailure("cannot write \(plot): \(error)")
            }
        }
        try output.print(report, table: {
            func rows(_ title: String, _ c: InterpolationCurve) -> [String] {
                var lines = ["\(title)", "    α   train loss  test loss  train err  test err"]
                for i in c.alphas.indices {
                    lines.append(String(format: "%5.3f %11.4f %10.4f %10.4f %9.4f", c.alphas[i], c.trainLoss[i], c.testLoss[i], c.trainError[i], c.testError[i]))
                }
                lines.append(String(format: "barrier: train loss %.4f, test loss %.4f, train error %.4f, test error %.4f",
                                    c.barrier.trainLoss, c.barrier.testLoss, c.barrier.trainError, c.barrier.testError))
                return lines
            }
            return (rows("A → B", report.curve) + (report.aligned.map { [""] + rows("A → B aligned", $0) } ?? [])).joined(separator: "\n")
        }, csv: {
            var records: [[String]] = []
            for (name, c) in [("naive", report.curve)] + (report.aligned.map { [("aligned", $0)] } ?? []) {
                for i in c.alphas.indices {
                    records.append([name, csvNumber(c.alphas[i]), csvNumber(c.trainLoss[i]), csvNumber(c.testLoss[i]), csvNumber(c.trainError[i]), csvNumber(c.testError[i])])
                }
            }
            return CSVTable(header: ["curve", "alpha", "train_loss", "test_loss", "train_error", "test_error"], rows: records)
        })
    }
}

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the midpoint ½(A + B) of two runs as a run directory (align B to A first).",
        discussion: "Where the model has BatchNorm, its running statistics are re-estimated on the training data (REPAIR-style reset).")

    @Argument(help: "Run A.") var a: String
    @Argument(help: "Run B (same architecture, usually aligned to A).") var b: String
    @Option(help: "Where to write the merged run.") var out: String
    @Option(help: "Data for BatchNorm statistics (default: A's own data).") var data: String?
    @OptionGroup var output: FormatOptions

    func run() throws {
        let report = try AlignmentCommands.merge(a, b, out: out, data: data)
        try output.print(report, table: {
            "merged \(a) and \(b) into \(out)" + (report.batchNormsReestimated > 0 ? "; \(report.batchNormsReestimated) BatchNorms re-estimated" : "")
        }, csv: { CSVTable.fields([("a", a), ("b", b), ("batch_norms_reestimated", String(report.batchNormsReestimated))]) })
    }
}

struct Compress: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a smaller model of the same kind: (near-)duplicated units merged, dead units removed, factor pairs at their rank.",
        discussion: """
        Near-duplicates merge and dead units go only as far as the outputs, measured on the first \
        --samples training and test inputs, stay within half of --tolerance (absolute, largest over \
        inputs and outputs); the result is measured again and refused, with nothing written, when \
        it differs by more than --tolerance. Supports mlp (without residual connections or gates), \
        deep_linear (factor pairs at their rank) and cnn runs (convolution channels and dense units).
        """)

    @Argument(help: "A run directory.") var runDirectory: String
    @Option(help: "Where to write the compressed run.") var out: String
    @Option(help: "The largest output difference allowed.") var tolerance = 1e-3
    @Option(help: "Data: a data-spec or run-config file, or a data kind (default: the run's own data).") var data: String?
    @Option(help: "Training and test samples each to measure on.") var samples = 5000
    @OptionGroup var output: FormatOptions

    func validate() throws {
        if !(tolerance >= 0) || !tolerance.isFinite { throw ValidationError("--tolerance must be a non-negative number") }
        if samples < 1 { throw ValidationError("--samples must be positive") }
    }

    func run() throws {
        let report = try CompressionCommands.compress(runDirectory, out: out, tolerance: tolerance, data: data, samples: samples)
        try output.print(report, table: {
            var lines = ["layer            units  →  kept   dead  merged  beyond rank"]
            for layer in report.layers {
                lines.append("\(layer.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(String(format: "%7d  → %5d %6d %7d %12d", layer.unitsBefore, layer.unitsAfter, layer.dead, layer.merged, layer.beyondRank))")
            }
            lines.append(String(format: "parameters %d → %d; %d units removed; largest output difference %.3g (tolerance %.3g); written to %@",
                                report.parametersBefore, report.parametersAfter, report.unitsRemoved, report.maxOutputDifference, tolerance, out))
            return lines.joined(separator: "\n")
        }, csv: {
            CSVTable(header: ["layer", "units_before", "units_after", "dead", "merged", "beyond_rank"], rows: report.layers.map {
                [$0.name, String($0.unitsBefore), String($0.unitsAfter), String($0.dead), String($0.merged), String($0.beyondRank)]
            })
        })
    }
}
