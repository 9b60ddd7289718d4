import ArgumentParser
import Foundation
import Noether

/// Reads an npy file as a Float64 matrix (vectors become one column).
func readMatrix(_ path: String, name: String) throws -> Tensor<Double> {
    let array = try NumpyArray(contentsOf: path)
    guard !array.shape.isEmpty, array.shape.count <= 2 else {
        throw RunError("\(path): \(name) must be a matrix [samples, features], got shape \(array.shape)")
    }
    let tensor = array.tensor(as: Double.self)
    return array.shape.count == 1 ? tensor.reshaped([array.shape[0], 1]) : tensor
}

struct Collapse: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Neural-collapse metrics (NC1–NC4, CDNV) of features exported from anywhere.",
        discussion: "Reads npy files (float32/float64, C or Fortran order; labels as integers). JSON keys: nc1, nc2_equinorm, nc2_equiangular, nc2_maxangle, nc2_classifier_*, nc3, nc4, cdnv.")

    @Option(help: "Penultimate features [N, p] (.npy).") var features: String
    @Option(help: "Integer class labels [N] (.npy).") var labels: String
    @Option(help: "Classifier weights [C, p] (.npy), for NC2 of the classifier, NC3 and NC4.") var classifier: String?
    @Option(help: "Classifier bias [C] (.npy).") var bias: String?
    @OptionGroup var output: FormatOptions

    func run() throws {
        let metrics: NeuralCollapse = try {
            let h = try readMatrix(features, name: "features")
            let y = try NumpyArray(contentsOf: labels).integers(path: labels)
            let w = try classifier.map { try readMatrix($0, name: "classifier") }
            let b = try bias.map { try NumpyArray(contentsOf: $0).tensor(as: Double.self) }
            return try NeuralCollapse(features: h, labels: y, classifier: w, bias: b.map { $0.reshaped([$0.count]) })
        }()
        let rows: [(String, String, Double?)] = [
            ("nc1", "NC1  Tr(Σ_W Σ_B⁺)/C", metrics.nc1), ("nc2_equinorm", "NC2  equinorm (means)", metrics.nc2Equinorm),
            ("nc2_equiangular", "NC2  equiangularity (means)", metrics.nc2Equiangular), ("nc2_maxangle", "NC2  max-angle (means)", metrics.nc2MaxAngle),
            ("nc2_classifier_equinorm", "NC2  equinorm (classifier)", metrics.nc2ClassifierEquinorm),
            ("nc2_classifier_equiangular", "NC2  equiangularity (classifier)", metrics.nc2ClassifierEquiangular),
            ("nc2_classifier_maxangle", "NC2  max-angle (classifier)", metrics.nc2ClassifierMaxAngle), ("nc3", "NC3  self-duality", metrics.nc3),
            ("nc4", "NC4  nearest-centre disagreement", metrics.nc4), ("cdnv", "CDNV", metrics.cdnv),
        ]
        try output.print(metrics, table: {
            (["neural collapse of \(metrics.samples) samples, \(metrics.classes) classes"] + rows.map { _, name, value in
                "  \(name.padding(toLength: 36, withPad: " ", startingAt: 0)) \(value.map { String(format: "%.6g", $0) } ?? "– (needs --classifier)")"
            }).joined(separator: "\n")
        }, csv: {
            .fields([("samples", String(metrics.samples)), ("classes", String(metrics.classes))] + rows.map { key, _, value in (key, csvNumber(value)) })
        })
    }
}

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Alignment of two representations of the same inputs: kernel alignment, linear and unbiased CKA, mutual k-NN.",
        discussion: "A and B are npy matrices [N, p] and [N, q] with rows in the same order. JSON keys: kernel_alignment, linear_cka, unbiased_cka, mutual_knn, k.")

    @Option(help: "Representation A [N, p] (.npy).") var a: String
    @Option(help: "Representation B [N, q] (.npy).") var b: String
    @Option(help: "Neighbours for mutual k-NN.") var k = 10
    @OptionGroup var output: FormatOptions

    func validate() throws { guard k >= 1 else { throw ValidationError("--k must be at least 1") } }

    func run() throws {
        let scores: AlignmentScores = try {
            let (x, y) = (try readMatrix(a, name: "A"), try readMatrix(b, name: "B"))
            guard k < x.shape[0] else { throw RunError("--k \(k) needs more than \(k) samples; A has \(x.shape[0])") }
            return try Alignment.all(x, y, k: k)
        }()
        try output.print(scores, table: {
            String(format: "kernel alignment  %.6f\nlinear CKA        %.6f\nunbiased CKA      %.6f\nmutual k-NN       %.6f (k = %d)",
                   scores.kernelAlignment, scores.linearCKA, scores.unbiasedCKA, scores.mutualKNN, scores.k)
        }, csv: {
            .fields([("kernel_alignment", csvNumber(scores.kernelAlignment)), ("linear_cka", csvNumber(scores.linearCKA)),
                     ("unbiased_cka", csvNumber(scores.unbiasedCKA)), ("mutual_knn", csvNumber(scores.mutualKNN)), ("k", String(scores.k))])
        })
    }
}

struct Represent: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per-layer representation rank, effective rank and probe accuracy of a trained model, and neural collapse of its last hidden layer.",
        discussion: "RUN is a run directory written by `noether train`. Probes are ridge classifiers fitted on --samples training inputs and scored on as many test inputs.")

    @Argument(help: "A run directory.") var runDirectory: String
    @Option(help: "Data: a data-spec or run-config file, or a data kind (default: the run's own data).") var data: String?
    @Option(help: "Probe samples (default: 4 × the widest layer, at least 1000, at most 10000).") var samples: Int?
    @OptionGroup var output: FormatOptions

    func validate() throws {
        // A centred rank and a probe need at least two samples.
        if let samples, samples < 2 { throw ValidationError("--samples must be at least 2, got \(samples)") }
    }

    func run() throws {
        let report: LayerwiseReport = try {
            let (config, model) = try RunLoader.load(runDirectory)
            let spec = try data.map { try RunLoader.dataSpec($0) } ?? config.data
            let split = try spec.load(using: RandomGenerator(seed: config.seed).derived("data"))
            guard split.train.featureCount == model.spec.inputCount else {
                throw RunError("the data has \(split.train.featureCount) features but the model takes \(model.spec.inputCount)")
            }
            let widest = model.architecture.layout.filter { $0.role == .weight }.map { $0.shape[0] }.max() ?? 100
            let n = min(samples ?? min(max(4 * widest, 1000), 10_000), split.train.count, split.test.count)
            func labels(_ d: Dataset) -> [Int]? {
                if case .classes(let l, _) = d.targets { return l.prefix(n).map { Int($0) } }
                return nil
            }
            let classes: Int? = if case .classes(_, let c) = split.train.targets { c } else { nil }
            let heldOut = labels(split.test).map { (split.test.inputs.slice(alongAxis: 0, 0..<n), $0) }
            return try LayerwiseAnalysis.analyze(model, probe: (split.train.inputs.slice(alongAxis: 0, 0..<n), labels(split.train)),
                                                 heldOut: heldOut, classes: classes)
        }()
        try output.print(report, table: {
            var lines = ["layer                      features   rank τ=1e-3   effective rank   probe accuracy"]
            for layer in report.layers {
                lines.append("\(layer.layer.padding(toLength: 26, withPad: " ", startingAt: 0)) \(String(format: "%8d   %11d   %14.2f   %@", layer.features, layer.rank, layer.effectiveRank, layer.probeAccuracy.map { String(format: "%14.4f", $0) } ?? "             –"))")
            }
            if let nc = report.neuralCollapse, let layer = report.penultimateLayer {
                lines.append(String(format: "neural collapse of %@: NC1 %.4g, NC2 equinorm %.4g, equiangular %.4g, NC3 %.4g, NC4 %.4g",
                                    layer, nc.nc1, nc.nc2Equinorm, nc.nc2Equiangular, nc.nc3 ?? .nan, nc.nc4 ?? .nan))
            }
            lines.append("\(report.samples) probe samples; ranks are of the centred representation.")
            return lines.joined(separator: "\n")
        }, csv: {
            CSVTable(header: ["layer", "features", "rank", "effective_rank", "probe_accuracy"], rows: report.layers.map {
                [$0.layer, String($0.features), String($0.rank), csvNumber($0.effectiveRank), csvNumber($0.probeAccuracy)]
            })
        })
    }
}
