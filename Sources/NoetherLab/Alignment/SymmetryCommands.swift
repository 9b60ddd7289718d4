import Foundation
import NoetherData
import NoetherIO
import NoetherNN
import NoetherSymmetry
import NoetherTensor
import NoetherTraining

/// What `noether align --format json` prints.
public struct AlignReport: Codable, Sendable {
    public var method: AlignmentMethod
    public var groups: [AlignedGroup]
    public var functionDifference: Double
    public var seconds: Double

    enum CodingKeys: String, CodingKey { case method, groups, functionDifference = "function_difference", seconds }
}

/// The workflows behind `noether align`, `interpolate` and `merge`: load runs and data, call
/// the algorithms of NoetherSymmetry, write run directories.
public enum AlignmentCommands {
    /// Samples the function check runs on.
    public static let checkSamples = 2000

    /// Aligns run B to run A and writes B′ to `out`.
    public static func align(_ pathA: String, _ pathB: String, out: String, method: AlignmentMethod, data: String?,
                             seed: UInt64 = 0) throws -> AlignReport {
        let (a, b) = (try LoadedRun(pathA), try LoadedRun(pathB))
        let split = try b.data(data)
        let outcome = try ModelAlignment.align(b.model, to: a.model, method: method, inputs: LoadedRun.inputs(split.train, count: checkSamples),
                                               loss: try b.loss(for: split), seed: seed)
        let report = AlignReport(method: outcome.method, groups: outcome.groups, functionDifference: outcome.functionDifference, seconds: outcome.seconds)
        try DerivedRun.write(out, config: b.config, parameters: outcome.parameters,
                             provenance: ("alignment.json", try JSONFormat.encoder().encode(AlignmentProvenance(reference: pathA, source: pathB, report: report))),
                             metadata: ["noether_aligned_to": pathA, "noether_aligned_from": pathB])
        return report
    }

    /// The interpolation curve between two runs of one architecture, and with `align` also the
    /// curve to B aligned to A by weight matching (the barrier before and after alignment).
    public static func interpolate(_ pathA: String, _ pathB: String, data: String?, points: Int, trainSamples: Int?,
                                   align: Bool = false, seed: UInt64 = 0) throws -> InterpolationReport {
        let (a, b) = (try LoadedRun(pathA), try LoadedRun(pathB))
        guard a.model.spec == b.model.spec else {
            throw AlignmentError("\(pathA) and \(pathB) have different architectures", hint: "interpolate two runs of the same model config")
        }
        var split = try a.data(data)
        if let trainSamples { split.train = split.train.prefix(trainSamples) }
        let loss = try a.loss(for: split)
        var report = InterpolationReport(curve: try InterpolationCurve.measure(
            a.model.spec, a.model.parameters, b.model.parameters, train: split.train, test: split.test, loss: loss, points: points))
        if align {
            let outcome = try ModelAlignment.align(b.model, to: a.model, inputs: LoadedRun.inputs(split.train, count: checkSamples), loss: loss, seed: seed)
            report.aligned = try InterpolationCurve.measure(a.model.spec, a.model.parameters, outcome.parameters, train: split.train, test: split.test,
                                                            loss: loss, points: points)
        }
        return report
    }

    /// Writes θ(½) of A and B to `out` (BatchNorm statistics re-estimated on the training data
    /// where the model has BatchNorm); returns the number of BatchNorms re-estimated.
    public static func merge(_ pathA: String, _ pathB: String, out: String, data: String?, samples: Int = 5000) throws -> MergeReport {
        let (a, b) = (try LoadedRun(pathA), try LoadedRun(pathB))
        guard a.model.spec == b.model.spec else {
            throw AlignmentError("\(pathA) and \(pathB) have different architectures", hint: "merge two runs of the same model config (align B to A first)")
        }
        var merged = a.model
        merged.parameters = InterpolationCurve.interpolate(a.model.parameters, b.model.parameters, 0.5)
        var reestimated = 0
        if merged.architecture.layout.contains(where: { $0.role == .runningMean }) {
            let split = try a.data(data)
            (merged, reestimated) = BatchNormReestimation.reestimate(merged, inputs: LoadedRun.inputs(split.train, count: samples))
        }
        let report = MergeReport(a: pathA, b: pathB, batchNormsReestimated: reestimated)
        try DerivedRun.write(out, config: a.config, parameters: merged.parameters,
                             provenance: ("merge.json", try JSONFormat.encoder().encode(report)), metadata: ["noether_merged": "\(pathA) \(pathB)"])
        return report
    }
}

/// Where an aligned run came from.
struct AlignmentProvenance: Codable {
    var reference: String
    var source: String
    var report: AlignReport
}

/// What `noether merge` did.
public struct MergeReport: Codable, Sendable {
    public var a: String
    public var b: String
    public var batchNormsReestimated: Int

    enum CodingKeys: String, CodingKey { case a, b, batchNormsReestimated = "batch_norms_reestimated" }
}

/// What `noether interpolate --format json` prints: the A–B curve's fields at the top level (as
/// the issue specifies them) and, with `--align`, the curve to the aligned B under `aligned`.
public struct InterpolationReport: Codable, Sendable {
    public var curve: InterpolationCurve
    public var aligned: InterpolationCurve?

    public init(curve: InterpolationCurve, aligned: InterpolationCurve? = nil) { (self.curve, self.aligned) = (curve, aligned) }

    enum CodingKeys: String, CodingKey { case aligned }

    public func encode(to encoder: Encoder) throws {
        try curve.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(aligned, forKey: .aligned)
    }

    public init(from decoder: Decoder) throws {
        curve = try InterpolationCurve(from: decoder)
        aligned = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(InterpolationCurve.self, forKey: .aligned)
    }

    /// The test loss and test error along α, naive and aligned, as a figure.
    public var figure: Figure {
        var series = [LineChart.Series(name: "test loss, naive", points: zip(curve.alphas, curve.testLoss).map { LineChart.Point($0, $1) }, color: 0),
                      LineChart.Series(name: "test error, naive", points: zip(curve.alphas, curve.testError).map { LineChart.Point($0, $1) },
                                       dashed: true, color: 0)]
        if let aligned {
            series.append(LineChart.Series(name: "test loss, aligned", points: zip(aligned.alphas, aligned.testLoss).map { LineChart.Point($0, $1) }, color: 1))
            series.append(LineChart.Series(name: "test error, aligned", points: zip(aligned.alphas, aligned.testError).map { LineChart.Point($0, $1) },
                                           dashed: true, color: 1))
        }
        let caption = String(format: "Test-loss barrier %.4g naive", curve.barrier.testLoss)
            + (aligned.map { String(format: ", %.4g after weight matching (%.2f×)", $0.barrier.testLoss, $0.barrier.testLoss / max(curve.barrier.testLoss, 1e-300)) } ?? "")
        return .lines(LineChart(title: "Loss along (1−α)θ_A + αθ_B", xLabel: "α", yLabel: "test loss / error", series: series, caption: caption))
    }

    /// An HTML report of the curves: the barrier figure (before and, with alignment, after) and
    /// the barriers of DESIGN §9 as a table.
    public func html(a: String, b: String) -> String {
        let escape = SVGRenderer.escape
        func row(_ name: String, _ c: InterpolationCurve) -> String {
            let cells = [c.barrier.trainLoss, c.barrier.testLoss, c.barrier.trainError, c.barrier.testError].map { String(format: "%.4g", $0) }
            return "<tr><td>\(name)</td>" + cells.map { "<td>\($0)</td>" }.joined() + "</tr>"
        }
        var body = "<h1>Loss barrier between two runs</h1><p>A: \(escape(a))<br>B: \(escape(b))</p>"
        body += SVGRenderer.render(figure)
        body += "<h2>Barriers (DESIGN §9, \(curve.alphas.count) values of α)</h2>"
        body += "<table><tr><th></th><th>train loss</th><th>test loss</th><th>train error</th><th>test error</th></tr>"
        body += row("naive", curve) + (aligned.map { row("after weight matching", $0) } ?? "") + "</table>"
        return HTMLPage.render(title: "Barrier \(a) – \(b)", body: body)
    }
}

/// The workflow behind `noether compress`.
public enum CompressionCommands {
    /// Compresses a run and writes the smaller model to `out`. Dead units are found, and the
    /// output difference measured, on the first `samples` training and `samples` test inputs.
    public static func compress(_ path: String, out: String, tolerance: Double, data: String?, samples: Int = 5000) throws -> CompressionReport {
        let run = try LoadedRun(path)
        let split = try run.data(data)
        let inputs = Tensor.concatenate([LoadedRun.inputs(split.train, count: samples), LoadedRun.inputs(split.test, count: samples)], alongAxis: 0)
        let (model, report) = try ModelCompression.compress(run.model, inputs: inputs, tolerance: tolerance)
        var config = run.config
        config.model = model.spec
        try DerivedRun.write(out, config: config, parameters: model.parameters,
                             provenance: ("compression.json", try JSONFormat.encoder().encode(CompressionProvenance(source: path, tolerance: tolerance, report: report))),
                             metadata: ["noether_compressed_from": path])
        return report
    }
}

struct CompressionProvenance: Codable {
    var source: String
    var tolerance: Double
    var report: CompressionReport
}
