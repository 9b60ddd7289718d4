import Foundation
import NoetherIO
import NoetherNN
import NoetherSweeps
import NoetherSymmetry
import NoetherTensor
import NoetherTraining

/// E9: DCS gates prune layers the task does not need. Each layer's scale is |v_ℓ|·‖W_ℓ‖_F (for a
/// model without gates, ‖W_ℓ‖_F), so the gated model and its ungated control are measured alike:
/// a hidden layer is pruned when its scale falls below a fraction of the largest. The arms
/// `graded-<depth>` differ in the teacher's depth (the needed depth); the pruned depth should follow it.
struct GateAnalysis: ExperimentAnalysis {
    /// The scale of every layer at the end of training, in order.
    static func scales(_ parameters: Parameters<Float>) -> [Double] {
        var result: [Double] = []
        var layer = 0
        while let weight = parameters["layers.\(layer).weight"] {
            let norm = Double((weight * weight).sum().squareRoot())
            let gate = parameters["layers.\(layer).gate"].map { Double($0.map(.abs).mean()) } ?? 1
            result.append(norm * gate)
            layer += 1
        }
        return result
    }

    /// The teacher's number of hidden layers: the depth the task needs.
    static func neededDepth(_ run: ExperimentRun) -> Int { run.config.data.teacherDepth ?? 1 }

    /// The hidden layers' scales and how many are pruned (below `fraction` × the largest).
    static func pruning(_ run: ExperimentRun, fraction: Double) -> (hidden: [Double], pruned: Int) {
        let hidden = Array(scales(run.result.parameters).dropLast())
        let largest = hidden.max() ?? 0
        return (hidden, largest > 0 ? hidden.count { $0 < fraction * largest } : 0)
    }

    func evaluate(_ context: SeedContext) throws(RunError) -> SeedEvaluation {
        guard let main = context.run("gated") ?? context.runs.first else { throw RunError("E9 needs a run") }
        let graded = context.runs.filter { $0.name.hasPrefix("graded-") }.sorted { Self.neededDepth($0) < Self.neededDepth($1) }
        let fraction = context.spec.parameter("pruned_fraction", default: 0.1)
        var evidence: [String: JSONValue] = [:]
        var effects: [(name: String, value: Double)] = []
        for run in [main] + graded {
            let scales = Self.scales(run.result.parameters)
            evidence["\(run.label): final layer scales |v|·‖W‖ (hidden layers, then the readout)"] = .array(scales.map { .number($0) })
            evidence["\(run.label): final gates (mean |v|) per layer"] = .array((0..<scales.count).map { .number(run.last("layers.\($0).gate/mean_abs") ?? .nan) })
            evidence["\(run.label): final train loss"] = .number(run.last("train_loss") ?? .nan)
            evidence["\(run.label): final test loss"] = .number(run.last("test_loss") ?? .nan)
        }
        var failures: [String] = []
        let (hidden, pruned) = Self.pruning(main, fraction: fraction)
        let largest = hidden.max() ?? .nan
        effects.append(("pruned hidden layers", Double(pruned)))
        effects.append(("smallest / largest hidden-layer scale", (hidden.min() ?? .nan) / largest))
        for (layer, scale) in hidden.enumerated() { effects.append(("hidden layer \(layer + 1): scale / largest", scale / largest)) }
        if pruned < 1 {
            failures.append("no hidden layer's scale is below \(shortNumber(fraction)) × the largest (smallest ratio \(shortNumber((hidden.min() ?? .nan) / largest)))")
        }
        let kept = graded.map { run in
            let (hidden, pruned) = Self.pruning(run, fraction: fraction)
            return hidden.count - pruned
        }
        for (run, count) in zip(graded, kept) { effects.append(("\(run.label): unpruned hidden layers", Double(count))) }
        if let first = kept.first, let last = kept.last, kept.count > 1 {
            effects.append(("unpruned hidden layers, deepest minus shallowest teacher", Double(last - first)))
            if !(zip(kept, kept.dropFirst()).allSatisfy { $0 <= $1 } && last > first) {
                failures.append("unpruned hidden layers for teacher depths \(graded.map { String(Self.neededDepth($0)) }.joined(separator: ", ")): \(kept.map(String.init).joined(separator: ", ")) (should rise with the depth)")
            }
        }
        let (verdict, reason) = SeedEvaluation.decide(failures.isEmpty, unfit: FitCheck.unfit([main] + graded, in: context), failing: failures.joined(separator: "; "))
        return SeedEvaluation(verdict: verdict, reason: reason, evidence: evidence, effects: effects)
    }

    func figures(_ study: ExperimentStudy) throws(RunError) -> [Figure] {
        guard let first = study.main.first else { return [] }
        func profile(_ seeds: [SeedContext], _ arm: String) -> [[LineChart.Point]] {
            seeds.compactMap { $0.run(arm) }.map { run in Self.scales(run.result.parameters).enumerated().map { .init(Double($0 + 1), $1) } }
        }
        var series: [LineChart.Series] = []
        for (index, run) in first.runs.enumerated() {
            series.append(SeedBands.series(run.label, color: index, profile(study.main, run.name)))
            for control in study.controls {
                series.append(SeedBands.series("\(run.label), control \(control.control.name)", color: index, dashed: true, profile(control.seeds, run.name)))
            }
        }
        var gates: [LineChart.Series] = []
        if let run = first.runs.first {
            let names = Set(run.result.metrics.map(\.name).filter { $0.hasSuffix(".gate/mean_abs") }).sorted { naturalOrder($0, $1) }
            gates = names.enumerated().map { index, name in
                SeedBands.series(String(name.dropLast("/mean_abs".count)), color: index, study.main.compactMap { $0.run(run.name)?.series(name) })
            }
        }
        return [
            .lines(LineChart(title: "Layer scale |v|·‖W‖ at the end of training", xLabel: "layer (last = readout)", yLabel: "scale", yLog: true, series: series,
                             caption: "Mean over \(study.main.count) seeds with 95% bands, one colour per arm; dashed: the control without gates (scale ‖W‖).")),
            .lines(LineChart(title: "DCS gate values during training (\(first.runs.first?.label ?? ""))", xLabel: "training step", yLabel: "mean |gate|", yLog: true, series: gates,
                             caption: "Mean over seeds with 95% bands.")),
        ]
    }
}
