import Foundation
import NoetherIO
import NoetherNN
import NoetherSweeps
import NoetherSymmetry
import NoetherTensor
import NoetherTraining

/// E9: DCS gates prune layers the task does not need. Each layer's scale is |v_ℓ|·‖W_ℓ‖_F (for a
/// model without gates, ‖W_ℓ‖_F), so the gated model and its ungated control are measured alike:
/// a hidden layer is pruned when its scale falls below a fraction of the largest.
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

    func evaluate(_ context: SeedContext) throws(RunError) -> SeedEvaluation {
        guard let run = context.runs.first else { throw RunError("E9 needs a run") }
        let scales = Self.scales(run.result.parameters)
        let hidden = Array(scales.dropLast())
        let largest = hidden.max() ?? 0
        let fraction = context.spec.parameter("pruned_fraction", default: 0.1)
        let pruned = hidden.count { $0 < fraction * largest }
        let evidence: [String: JSONValue] = [
            "final layer scales |v|·‖W‖ (hidden layers, then the readout)": .array(scales.map { .number($0) }),
            "final gates (mean |v|) per layer": .array((0..<scales.count).map { .number(run.last("layers.\($0).gate/mean_abs") ?? .nan) }),
            "final train loss": .number(run.last("train_loss") ?? .nan),
            "final test loss": .number(run.last("test_loss") ?? .nan),
        ]
        let (verdict, reason) = SeedEvaluation.decide(pruned >= 1 && largest > 0, unfit: FitCheck.unfit([run], in: context),
                                                      failing: "no hidden layer's scale is below \(shortNumber(fraction)) × the largest (smallest ratio \(shortNumber((hidden.min() ?? .nan) / largest)))")
        return SeedEvaluation(verdict: verdict, reason: reason, evidence: evidence, effects: [
            ("pruned hidden layers", Double(pruned)),
            ("smallest / largest hidden-layer scale", (hidden.min() ?? .nan) / largest),
        ])
    }

    func figures(_ study: ExperimentStudy) throws(RunError) -> [Figure] {
        func profile(_ seeds: [SeedContext]) -> [[LineChart.Point]] {
            seeds.compactMap { $0.runs.first }.map { run in Self.scales(run.result.parameters).enumerated().map { .init(Double($0), $1) } }
        }
        var series = [SeedBands.series("gated", color: 0, profile(study.main))]
        for (index, control) in study.controls.enumerated() { series.append(SeedBands.series("control \(control.control.name)", color: 1 + index, dashed: true, profile(control.seeds))) }
        var gates: [LineChart.Series] = []
        if let run = study.main.first?.runs.first {
            let names = Set(run.result.metrics.map(\.name).filter { $0.hasSuffix(".gate/mean_abs") }).sorted { naturalOrder($0, $1) }
            gates = names.enumerated().map { index, name in
                SeedBands.series(String(name.dropLast("/mean_abs".count)), color: index, study.main.compactMap { $0.runs.first?.series(name) })
            }
        }
        return [
            .lines(LineChart(title: "Layer scale |v|·‖W‖ at the end of training", xLabel: "layer", yLabel: "scale", yLog: true, series: series,
                             caption: "Mean over \(study.main.count) seeds with 95% bands; the control has no gates (scale ‖W‖).")),
            .lines(LineChart(title: "DCS gate values during training", xLabel: "training step", yLabel: "mean |gate|", yLog: true, series: gates,
                             caption: "Mean over seeds with 95% bands.")),
        ]
    }
}
