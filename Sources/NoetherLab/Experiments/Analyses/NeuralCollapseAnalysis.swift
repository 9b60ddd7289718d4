import Foundation
import NoetherIO
import NoetherNN
import NoetherRepresent
import NoetherSweeps
import NoetherTensor
import NoetherTraining

/// E6: neural collapse needs the permutation symmetry: the vanilla classifier's last hidden layer
/// collapses, while syre (init-matched) collapses less at the same fit — for the MLP and, where the
/// form runs it, for the CNN pair (`cnn-vanilla`, `cnn-syre`).
struct NeuralCollapseAnalysis: ExperimentAnalysis {
    let cache = DataCache()

    func evaluate(_ context: SeedContext) throws(RunError) -> SeedEvaluation {
        let spec = context.spec
        guard let vanilla = context.run("vanilla"), let syre = context.run("syre") else { throw RunError("E6 needs a vanilla and a syre arm") }
        let perClass = Int(spec.parameter("per_class", default: 10))
        var evidence: [String: JSONValue] = [:]
        var effects: [(name: String, value: Double)] = []
        var contrasts: [(name: String, value: Double)] = []
        for run in context.runs {
            for metric in ["nc1", "nc2_equinorm", "nc2_equiangular", "nc3", "nc4"] {
                evidence["\(run.label): final \(metric)"] = .number(run.last("nc/\(metric)") ?? .nan)
            }
            evidence["\(run.label): final train accuracy"] = .number(run.last("train_accuracy") ?? .nan)
            evidence["\(run.label): final test accuracy"] = .number(run.last("test_accuracy") ?? .nan)
            let (correlation, classes) = try correlations(run, perClass: perClass)
            let contrast = Self.blockContrast(correlation, classes: classes)
            evidence["\(run.label): penultimate representation rank (τ = 1e-2)"] = .number(try penultimateRank(run))
            evidence["\(run.label): block contrast (within − between class correlation)"] = .number(contrast)
            contrasts.append(("\(run.label): block contrast", contrast))
        }
        let factor = spec.parameter("factor", default: 2)
        var failures: [String] = []
        var unfit: [ExperimentRun] = [vanilla, syre]
        var pairs = [(prefix: "", vanilla: vanilla, syre: syre)]
        if let cnnVanilla = context.run("cnn-vanilla"), let cnnSyre = context.run("cnn-syre") {
            pairs.append(("CNN: ", cnnVanilla, cnnSyre))
            unfit += [cnnVanilla, cnnSyre]
        }
        for (prefix, vanilla, syre) in pairs {
            let v = vanilla.series("nc/nc1")
            let collapsed = (v.last?.y ?? .infinity) < 0.5 * (v.first?.y ?? 0)
            let ratio = (syre.last("nc/nc1") ?? .nan) / (vanilla.last("nc/nc1") ?? .nan)
            effects.append(("\(prefix)vanilla NC1 last / first", (v.last?.y ?? .nan) / (v.first?.y ?? .nan)))
            effects.append(("\(prefix)NC1 syre / vanilla at the end", ratio))
            if prefix.isEmpty, let penultimate = context.run("syre-penultimate") {
                effects.append(("NC1 syre on the penultimate layer / vanilla at the end", (penultimate.last("nc/nc1") ?? .nan) / (vanilla.last("nc/nc1") ?? .nan)))
            }
            if !collapsed { failures.append("\(prefix)vanilla NC1 does not fall below half its first value") }
            if !(ratio >= factor) { failures.append("\(prefix)syre's NC1 is \(shortNumber(ratio)) × vanilla's (< \(shortNumber(factor)))") }
        }
        effects += contrasts
        let (verdict, reason) = SeedEvaluation.decide(failures.isEmpty, unfit: FitCheck.unfit(unfit, in: context), failing: failures.joined(separator: "; "))
        return SeedEvaluation(verdict: verdict, reason: reason, evidence: evidence, effects: effects)
    }

    /// Mean correlation of samples of one class minus that of samples of different classes.
    static func blockContrast(_ correlation: [[Double]], classes: [Int]) -> Double {
        var within = 0.0, between = 0.0, withinCount = 0.0, betweenCount = 0.0
        for i in correlation.indices {
            for j in correlation.indices where j != i {
                if classes[i] == classes[j] { within += correlation[i][j]; withinCount += 1 } else { between += correlation[i][j]; betweenCount += 1 }
            }
        }
        return within / max(withinCount, 1) - between / max(betweenCount, 1)
    }

    /// The last hidden representation of the training probe samples.
    func penultimate(_ run: ExperimentRun, inputs: Tensor<Float>) throws(RunError) -> Tensor<Double> {
        let captured = CapturedRepresentations.capture(try run.model(), inputs: inputs)
        return captured.layers[max(captured.layers.count - 2, 0)]
    }

    func penultimateRank(_ run: ExperimentRun) throws(RunError) -> Double {
        let split = try cache.data(of: run)
        let n = min(run.config.track.neuralCollapse > 0 ? run.config.track.neuralCollapse : 1000, split.train.count)
        let features = try penultimate(run, inputs: split.train.inputs.slice(alongAxis: 0, 0..<n))
        do { return Double(try RepresentationRank(features).rank(threshold: 1e-2)) } catch { throw RunError("\(error)") }
    }

    /// Pearson correlations between the last hidden representations of `perClass` training
    /// samples of each class, ordered by class (the paper's Figure 5), and their classes.
    func correlations(_ run: ExperimentRun, perClass: Int) throws(RunError) -> ([[Double]], [Int]) {
        let split = try cache.data(of: run)
        let all = labels(split.train)
        let classes = (all.max() ?? 0) + 1
        var chosen: [Int] = []
        for c in 0..<classes { chosen += all.indices.filter { all[$0] == c }.prefix(perClass) }
        let features = try penultimate(run, inputs: split.train.inputs.gatherRows(chosen))
        let centred = features - features.mean(alongAxis: 1, keepingDimension: true)
        let norms = (centred * centred).sum(alongAxis: 1, keepingDimension: true).map(.sqrt) + 1e-12
        let correlation = (centred / norms).gramMatrix(ofRows: true)
        let n = chosen.count
        return ((0..<n).map { i in (0..<n).map { j in correlation[i, j] } }, chosen.map { all[$0] })
    }

    func figures(_ study: ExperimentStudy) throws(RunError) -> [Figure] {
        guard let first = study.main.first else { return [] }
        var figures: [Figure] = []
        for (metric, title) in [("nc1", "NC1: within-class variability"), ("nc2_equiangular", "NC2: equiangularity of class means"),
                                ("nc3", "NC3: classifier–mean duality"), ("nc4", "NC4: nearest-centre disagreement")] {
            var series = first.runs.enumerated().map { index, run in
                SeedBands.series(run.label, color: index, study.main.compactMap { $0.run(run.name)?.series("nc/\(metric)") })
            }
            for control in study.controls {
                series.append(SeedBands.series("syre, control \(control.control.name)", color: 8, dashed: true,
                                               control.seeds.compactMap { $0.run("syre")?.series("nc/\(metric)") }))
            }
            figures.append(.lines(LineChart(title: title, xLabel: "training step", yLabel: metric, yLog: metric != "nc4", series: series,
                                            caption: "On the training probe during training, mean over \(study.main.count) seeds with 95% bands (lower is more collapsed).")))
        }
        let perClass = Int(study.spec.parameter("per_class", default: 10))
        let matrices = try first.runs.map { (run: ExperimentRun) throws(RunError) in try correlations(run, perClass: perClass) }
        let contrasts = zip(first.runs, matrices).map { "\($0.label) \(shortNumber(Self.blockContrast($1.0, classes: $1.1)))" }.joined(separator: ", ")
        var maps: [Heatmap] = []
        for (run, (values, classes)) in zip(first.runs, matrices) {
            let tick = classes.indices.map { $0 % perClass == 0 ? "class \(classes[$0])" : "" }
            maps.append(Heatmap(title: "\(run.label): sample correlations (seed \(first.seed))", rowLabels: tick, columnLabels: tick, values: values, low: -1, high: 1,
                                caption: "Correlations between the last hidden representations of \(perClass) training samples per class, grouped by class; block contrasts (within − between): \(contrasts)."))
        }
        figures.append(.heatmaps(maps))
        return figures
    }
}
