import Foundation
import NoetherIO
import NoetherSweeps
import NoetherTraining

/// E10: the double rotation of each head gives attention a low-rank bias that grows with the
/// weight decay: the rank of W_Q W_Kᵀ never rises with γ and ends lower at the largest γ than at
/// γ = 0.
struct AttentionRankAnalysis: ExperimentAnalysis {
    /// The mean over heads of a per-head metric's last value (`<layer>/head.<h>/<name>`).
    static func headMean(_ run: ExperimentRun, _ name: String) -> Double {
        let names = Set(run.result.metrics.map(\.name).filter { $0.hasSuffix("/\(name)") && $0.contains("/head.") })
        return SeedBands.mean(names.map { run.last($0) ?? .nan })
    }

    static func gamma(_ run: ExperimentRun) -> Double { run.config.optimizer.weightDecay }

    func evaluate(_ context: SeedContext) throws(RunError) -> SeedEvaluation {
        let sorted = context.runs.sorted { Self.gamma($0) < Self.gamma($1) }
        guard let first = sorted.first, let last = sorted.last, sorted.count >= 2 else { throw RunError("E10 needs at least two weight decays") }
        let ranks = sorted.map { Self.headMean($0, "qk_rank") }
        let nonIncreasing = zip(ranks, ranks.dropFirst()).allSatisfy { $1 <= $0 }
        let drop = (ranks.first ?? .nan) - (ranks.last ?? .nan)
        let spectra = sorted.map(TeacherSpectrum.init)
        var predictions: [(name: String, predicted: Double, observed: Double)] = []
        for (run, spectrum) in zip(sorted, spectra) {
            guard let spectrum else { continue }
            for (index, i) in [3, 4].enumerated() {
                let observed = spectrum.observedRatios[index]
                predictions.append(("σ\(i)/σ1 at γ = \(shortNumber(Self.gamma(run))), soft-thresholded teacher", spectrum.softThresholdRatios[index], observed))
                predictions.append(("σ\(i)/σ1 at γ = \(shortNumber(Self.gamma(run))), scaled teacher", spectrum.scaledRatios[index], observed))
            }
        }
        let evidence: [String: JSONValue] = [
            "learned singular values of the dominant head's query–key form (teacher units)": .array(spectra.map { .array(($0?.learned ?? []).map { .number($0) }) }),
            "soft threshold τ fitted to σ1/σ2": .array(spectra.map { .number($0?.threshold ?? .nan) }),
            "weight decays": .array(sorted.map { .number(Self.gamma($0)) }),
            "final rank of W_Q W_Kᵀ (mean over heads)": .array(ranks.map { .number($0) }),
            "final rank of W_V W_O (mean over heads)": .array(sorted.map { .number(Self.headMean($0, "vo_rank")) }),
            "head width": .number(Double(first.config.model.headWidth ?? 0)),
            "final train loss": .array(sorted.map { .number($0.last("train_loss") ?? .nan) }),
            "final test loss": .array(sorted.map { .number($0.last("test_loss") ?? .nan) }),
        ]
        let (verdict, reason) = SeedEvaluation.decide(nonIncreasing && drop > 0, unfit: FitCheck.unfit(sorted, in: context),
                                                      failing: "ranks \(ranks.map(shortNumber).joined(separator: ", ")) from γ = \(shortNumber(Self.gamma(first))) to \(shortNumber(Self.gamma(last))) do not fall")
        return SeedEvaluation(verdict: verdict, reason: reason, evidence: evidence, effects: [
            ("rank of W_Q W_Kᵀ at the smallest γ minus at the largest", drop),
            ("rank of W_Q W_Kᵀ at the smallest γ", ranks.first ?? .nan),
            ("rank of W_Q W_Kᵀ at the largest γ", ranks.last ?? .nan),
        ], predictions: predictions)
    }

    func figures(_ study: ExperimentStudy) throws(RunError) -> [Figure] {
        guard let first = study.main.first else { return [] }
        let arms = first.runs.sorted { Self.gamma($0) < Self.gamma($1) }
        let trajectories = arms.enumerated().map { index, arm in
            SeedBands.series(arm.label, color: index, study.main.compactMap { seed in
                seed.run(arm.name).map { run in
                    let names = Set(run.result.metrics.map(\.name).filter { $0.hasSuffix("/qk_rank") })
                    var byStep: [Double: [Double]] = [:]
                    for name in names { for point in run.series(name) { byStep[point.x, default: []].append(point.y) } }
                    return byStep.keys.sorted().map { LineChart.Point($0, SeedBands.mean(byStep[$0] ?? [])) }
                }
            })
        }
        func finals(_ seeds: [SeedContext]) -> [[LineChart.Point]] {
            seeds.map { seed in seed.runs.map { LineChart.Point(max(Self.gamma($0), 1e-4), Self.headMean($0, "qk_rank")) }.sorted { $0.x < $1.x } }
        }
        var final = [SeedBands.series("final rank", color: 0, finals(study.main))]
        for (index, control) in study.controls.enumerated() { final.append(SeedBands.series("control \(control.control.name)", color: 1 + index, dashed: true, finals(control.seeds))) }
        return [
            .lines(LineChart(title: "Rank of W_Q W_Kᵀ during training (mean over heads)", xLabel: "training step", yLabel: "rank (σ > τ·σ_max)", series: trajectories,
                             caption: "Mean over \(study.main.count) seeds with 95% bands.")),
            .lines(LineChart(title: "Final rank against weight decay", xLabel: "weight decay γ (γ = 0 drawn at 1e-4)", yLabel: "rank of W_Q W_Kᵀ", xLog: true, series: final,
                             caption: "Mean over seeds with 95% bands; the control dashed.")),
        ]
    }
}
