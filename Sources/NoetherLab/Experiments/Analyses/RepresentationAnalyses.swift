import Foundation
import NoetherData
import NoetherNN
import NoetherRepresent
import NoetherSymmetry
import NoetherTensor

extension ExperimentRun {
    /// The run's data, exactly as it was trained on.
    func data() throws(RunError) -> DataSplit {
        do { return try config.data.load(using: RandomGenerator(seed: config.seed).derived("data")) } catch { throw RunError(error.description) }
    }

    /// The trained model.
    func model() throws(RunError) -> Model<Float> {
        do { return try Model<Float>(config.model, parameters: result.parameters) } catch { throw RunError(error.description) }
    }
}

/// Class labels of a dataset as integers.
func labels(_ dataset: Dataset) -> [Int] {
    if case .classes(let l, _) = dataset.targets { return l.map { Int($0) } }
    return []
}

/// E6: neural collapse needs the permutation symmetry; syre, which removes it, prevents it.
struct NeuralCollapseAnalysis: ExperimentAnalysis {
    func analyze(_ spec: ExperimentSpec, _ runs: [ExperimentRun], quick: Bool) throws(RunError) -> ExperimentOutcome {
        guard let vanilla = runs.first(where: { $0.name.hasPrefix("vanilla") }), let syre = runs.first(where: { $0.name.hasPrefix("syre") }) else {
            throw RunError("E6 needs a vanilla and a syre run")
        }
        var evidence: [String: JSONValue] = [:]
        for run in runs {
            for metric in ["nc1", "nc2_equinorm", "nc2_equiangular", "nc3", "nc4"] {
                evidence["\(run.label): final \(metric)"] = .number(run.last("nc/\(metric)") ?? .nan)
            }
            evidence["\(run.label): final train accuracy"] = .number(run.last("train_accuracy") ?? .nan)
            evidence["\(run.label): final test accuracy"] = .number(run.last("test_accuracy") ?? .nan)
        }
        let v = vanilla.series("nc/nc1"), s = syre.series("nc/nc1")
        let factor = spec.parameter("factor", default: 2)
        let collapsed = (v.last?.y ?? .infinity) < 0.5 * (v.first?.y ?? 0)
        let ratio = (s.last?.y ?? 0) / max(v.last?.y ?? .infinity, 1e-12)
        evidence["NC1 syre / vanilla at the end"] = .number(ratio)
        evidence["vanilla NC1 first → last"] = .array([.number(v.first?.y ?? .nan), .number(v.last?.y ?? .nan)])
        // Less collapse only counts if syre fits the training set about as well: a model that
        // has not fitted is trivially less collapsed.
        let accuracyGap = (vanilla.last("train_accuracy") ?? .nan) - (syre.last("train_accuracy") ?? .nan)
        let fits = accuracyGap <= spec.parameter("accuracy_margin", default: 0.03)
        evidence["train accuracy vanilla − syre"] = .number(accuracyGap)
        var figures: [Figure] = []
        for (metric, title) in [("nc1", "NC1: within-class variability"), ("nc2_equiangular", "NC2: equiangularity of class means"),
                                ("nc3", "NC3: classifier–mean duality"), ("nc4", "NC4: nearest-centre disagreement")] {
            figures.append(.lines(LineChart(title: title, xLabel: "training step", yLabel: metric, yLog: metric != "nc4",
                                            series: runs.enumerated().map { .init(name: $1.label, points: $1.series("nc/\(metric)"), color: $0) },
                                            caption: "Measured on the training probe during training (lower is more collapsed).")))
        }
        var maps: [Heatmap] = []
        for run in runs { maps.append(try correlationMatrix(run, perClass: Int(spec.parameter("per_class", default: 10)))) }
        figures.append(.heatmaps(maps))
        return ExperimentOutcome(holds: collapsed && ratio >= factor && fits, evidence: evidence, figures: figures)
    }

    /// Pearson correlations between the last hidden representations of `perClass` training
    /// samples of each class, ordered by class (the paper's Figure 5).
    func correlationMatrix(_ run: ExperimentRun, perClass: Int) throws(RunError) -> Heatmap {
        let split = try run.data()
        let all = labels(split.train)
        let classes = (all.max() ?? 0) + 1
        var chosen: [Int] = []
        for c in 0..<classes { chosen += all.indices.filter { all[$0] == c }.prefix(perClass) }
        let captured = CapturedRepresentations.capture(try run.model(), inputs: split.train.inputs.gatherRows(chosen))
        let features = captured.layers[max(captured.layers.count - 2, 0)]
        let centred = features - features.mean(alongAxis: 1, keepingDimension: true)
        let norms = (centred * centred).sum(alongAxis: 1, keepingDimension: true).map(.sqrt) + 1e-12
        let unit = centred / norms
        let correlation = unit.gramMatrix(ofRows: true)
        let n = chosen.count
        let values = (0..<n).map { i in (0..<n).map { j in correlation[i, j] } }
        let tick = (0..<n).map { $0 % perClass == 0 ? "class \(all[chosen[$0]])" : "" }
        return Heatmap(title: "\(run.label): sample correlations", rowLabels: tick, columnLabels: tick, values: values, low: -1, high: 1,
                       caption: "Correlation between the last hidden representations of \(perClass) training samples per class, grouped by class. Collapse shows as a block-diagonal pattern.")
    }
}

/// E7: early layers break symmetry, late layers restore it: representation rank falls again
/// in the later layers (the tunnel).
struct TunnelAnalysis: ExperimentAnalysis {
    func analyze(_ spec: ExperimentSpec, _ runs: [ExperimentRun], quick: Bool) throws(RunError) -> ExperimentOutcome {
        var evidence: [String: JSONValue] = [:]
        var rankSeries: [LineChart.Series] = [], breakingSeries: [LineChart.Series] = [], probeSeries: [LineChart.Series] = []
        var holds = !runs.isEmpty
        let samples = Int(spec.parameter("probe_samples", default: 1000))
        let tau = spec.parameter("rank_threshold", default: 1e-2)
        for (index, run) in runs.enumerated() {
            let split = try run.data()
            let n = min(samples, split.train.count, split.test.count)
            let report: LayerwiseReport
            do {
                report = try LayerwiseAnalysis.analyze(
                    try run.model(), probe: (split.train.inputs.slice(alongAxis: 0, 0..<n), Array(labels(split.train).prefix(n))),
                    heldOut: (split.test.inputs.slice(alongAxis: 0, 0..<n), Array(labels(split.test).prefix(n))))
            } catch { throw RunError("\(error)") }
            let hidden = Array(report.layers.dropFirst().dropLast())          // without input and logits
            let ranks = hidden.map { Double($0.ranks["\(tau)"] ?? $0.rank) }
            let catalogue: [SymmetrySpec]
            do { catalogue = try SymmetryCatalogue.infer(run.config.model, loss: run.config.loss ?? .crossEntropy) } catch { throw RunError(error.description) }
            // Coarser thresholds than the defaults: weight decay merges neurons and lowers ranks only
            // approximately within the run's length.
            let thresholds = SymmetryThresholds(deadRelative: spec.parameter("dead_relative", default: 0.05),
                                                distinctTolerance: spec.parameter("distinct_tolerance", default: 0.2),
                                                rankRelative: spec.parameter("weight_rank_relative", default: 0.05))
            let symmetry = SymmetryAnalysis.analyze(run.result.parameters, catalogue: catalogue, thresholds: thresholds)
            let breaking = symmetry.layers.map(\.degreeOfSymmetryBreaking)
            rankSeries.append(.init(name: run.label, points: ranks.enumerated().map { .init(Double($0 + 1), $1) }, color: index))
            breakingSeries.append(.init(name: run.label, points: breaking.enumerated().map { .init(Double($0 + 1), $1) }, color: index))
            probeSeries.append(.init(name: run.label, points: report.layers.dropFirst().enumerated().map { .init(Double($0 + 1), $1.probeAccuracy ?? .nan) }, color: index))
            evidence["\(run.label): representation rank per hidden layer (τ = \(tau))"] = .array(ranks.map { .number($0) })
            evidence["\(run.label): degree of symmetry breaking per hidden layer"] = .array(breaking.map { .number($0) })
            evidence["\(run.label): probe accuracy per layer"] = .array(report.layers.map { .number($0.probeAccuracy ?? .nan) })
            let peak = ranks.prefix(max(ranks.count / 2, 1)).max() ?? 0
            let tunnel = (ranks.last ?? 0) <= spec.parameter("tunnel_ratio", default: 0.5) * peak
            let layered = (breaking.first ?? 0) > (breaking.last ?? 0)
            evidence["\(run.label): last hidden rank / peak rank of the first half"] = .number((ranks.last ?? 0) / max(peak, 1))
            holds = holds && tunnel && layered
        }
        return ExperimentOutcome(holds: holds, evidence: evidence, figures: [
            .lines(LineChart(title: "Representation rank per layer", xLabel: "hidden layer", yLabel: "rank of the centred representation", series: rankSeries,
                             caption: "Like the paper's Figure 4: the rank grows in the first layers (expansion), then falls (the tunnel) in the later ones.")),
            .lines(LineChart(title: "Degree of symmetry breaking per layer", xLabel: "hidden layer", yLabel: "1 − degree of symmetry", series: breakingSeries,
                             caption: "Early layers break their permutation and rescaling symmetries; late layers restore them.")),
            .lines(LineChart(title: "Linear-probe accuracy per layer", xLabel: "layer (last = output)", yLabel: "held-out accuracy", series: probeSeries,
                             caption: "Ridge probes fitted on training inputs, scored on test inputs.")),
        ])
    }
}

/// E8: independently trained networks — different seeds, widths, and inputs in rotated
/// coordinates — learn aligned representations, above the input-kernel baseline.
struct UniversalAlignmentAnalysis: ExperimentAnalysis {
    var needsSnapshots: Bool { true }

    func analyze(_ spec: ExperimentSpec, _ runs: [ExperimentRun], quick: Bool) throws(RunError) -> ExperimentOutcome {
        guard runs.count >= 2 else { throw RunError("E8 needs two runs") }
        let (a, b) = (runs[0], runs[1])
        let n = Int(spec.parameter("probe_samples", default: 1000))
        let (dataA, dataB) = (try a.data(), try b.data())
        let count = min(n, dataA.test.count)
        let (xA, xB) = (dataA.test.inputs.slice(alongAxis: 0, 0..<count), dataB.test.inputs.slice(alongAxis: 0, 0..<count))
        let inputA = Tensor<Double>(xA)
        var sameLayer: [LineChart.Point] = [], baseline: [LineChart.Point] = []
        var final: AlignmentMatrix?
        for step in a.snapshots.keys.sorted() where b.snapshots[step] != nil {
            guard let pa = a.snapshots[step], let pb = b.snapshots[step],
                  let ma = try? Model<Float>(a.config.model, parameters: pa), let mb = try? Model<Float>(b.config.model, parameters: pb) else { continue }
            let (ca, cb) = (CapturedRepresentations.capture(ma, inputs: xA), CapturedRepresentations.capture(mb, inputs: xB))
            let (la, lb) = (ca.layers[ca.layers.count - 2], cb.layers[cb.layers.count - 2])
            do {
                sameLayer.append(.init(Double(step), try Alignment.linearCKA(la, lb)))
                baseline.append(.init(Double(step), max(try Alignment.linearCKA(la, inputA), try Alignment.linearCKA(lb, inputA))))
                if step == a.snapshots.keys.max() { final = try AlignmentMatrix(ca, cb, k: 10) }
            } catch { throw RunError(error.description) }
        }
        guard let last = sameLayer.last, let lastBaseline = baseline.last, let first = sameLayer.first, let matrix = final else {
            throw RunError("E8 found no common snapshots")
        }
        let evidence: [String: JSONValue] = [
            "final CKA of the last hidden layers": .number(last.y),
            "final input baseline (max CKA of those layers with the inputs)": .number(lastBaseline.y),
            "CKA at initialisation": .number(first.y),
            "cross-layer CKA matrix (A rows × B columns)": .array(matrix.linearCKA.map { .array($0.map { .number($0) }) }),
            "final test accuracy": .array(runs.map { .number($0.last("test_accuracy") ?? .nan) }),
        ]
        let holds = last.y > lastBaseline.y && last.y > first.y
        return ExperimentOutcome(holds: holds, evidence: evidence, figures: [
            .lines(LineChart(title: "Alignment of the two networks' last hidden layers", xLabel: "training step", yLabel: "linear CKA",
                             series: [.init(name: "A vs B (same layer)", points: sameLayer, color: 0),
                                      .init(name: "input baseline", points: baseline, dashed: true, color: 8)],
                             caption: "Network B sees the inputs rotated by a fixed orthogonal matrix and has another seed and width; its representation still aligns with A's, above how well either aligns with the raw inputs.")),
            .heatmaps([Heatmap(title: "Linear CKA, layers of A × layers of B", rowLabels: matrix.layersA, columnLabels: matrix.layersB,
                               values: matrix.linearCKA, low: 0, high: 1, caption: "After training; the diagonal-like band shows layers at the same depth aligning."),
                       Heatmap(title: "Mutual 10-NN", rowLabels: matrix.layersA, columnLabels: matrix.layersB,
                               values: matrix.mutualKNN, low: 0, high: 1, caption: "")]),
        ])
    }
}
