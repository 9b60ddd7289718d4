import Foundation
import NoetherIO
import NoetherNN
import NoetherSweeps
import NoetherTensor
import NoetherTraining

/// E2: the end-to-end map of a deep linear network gains one direction at a time, the larger
/// singular values first; for depth 2 the time of each direction follows the logistic law of
/// gradient flow from its initial strength.
struct DeepLinearStepsAnalysis: ExperimentAnalysis {
    func evaluate(_ context: SeedContext) throws(RunError) -> SeedEvaluation {
        var evidence: [String: JSONValue] = [:]
        var effects: [(name: String, value: Double)] = []
        var predictions: [(name: String, predicted: Double, observed: Double)] = []
        var failures: [String] = []
        let factor = context.spec.parameter("timing_factor", default: 2)
        for run in context.runs {
            let targets = run.config.data.singularValues ?? [10, 3, 1]
            var times: [Double] = []
            for (k, target) in targets.enumerated() {
                if let hit = run.series("model/product_sv.\(k)").first(where: { $0.y >= target / 2 }) { times.append(hit.x) }
            }
            let interval = Double(run.config.track.every ?? run.config.training.evalEvery)
            let ordered = times.count == targets.count && zip(times, times.dropFirst()).allSatisfy { $1 - $0 >= interval }
            if !ordered { failures.append("\(run.label): half-target steps \(times.map(shortNumber)) not in order one interval apart") }
            evidence["\(run.label): step each σ reaches half its target"] = .array(times.map { .number($0) })
            evidence["\(run.label): step × target σ"] = .array(zip(times, targets).map { .number($0 * $1) })
            // Reported also when a direction is not learned (NaN), so every seed carries every number.
            let complete = times.count == targets.count
            effects.append(("\(run.label): steps from the first to the last direction", complete ? (times.last ?? .nan) - (times.first ?? .nan) : .nan))
            // The timing law, for depth 2: σ(t) = s / (1 + (s/σ₀ − 1)·e^{−4st/m}) under the mean
            // squared error over m outputs with x ~ N(0, I), t = learning rate × steps.
            guard run.config.model.depth == 2 else { continue }
            let predicted = try predictedHalfTimes(run, targets: targets)
            for (k, p) in predicted.enumerated() {
                let observed = k < times.count ? times[k] : .nan
                predictions.append(("depth 2: step σ\(k + 1) reaches half its target", p, observed))
                let ratio = observed / p
                effects.append(("depth 2: observed / predicted step of σ\(k + 1)", ratio))
                if complete, !(ratio >= 1 / factor && ratio <= factor) { failures.append("σ\(k + 1) at step \(shortNumber(observed)), the timing law predicts \(shortNumber(p))") }
            }
        }
        let (verdict, reason) = SeedEvaluation.decide(failures.isEmpty, unfit: FitCheck.unfit(context.runs, in: context),
                                                      failing: failures.joined(separator: "; "))
        return SeedEvaluation(verdict: verdict, reason: reason, evidence: evidence, effects: effects, predictions: predictions)
    }

    /// The steps at which the logistic law puts each direction at half its target, from the
    /// strength u_iᵀ W₂W₁ v_i of the direction at step 0 (u_i, v_i: singular vectors of the
    /// target map, estimated as YᵀX/N from the training data).
    func predictedHalfTimes(_ run: ExperimentRun, targets: [Double]) throws(RunError) -> [Double] {
        let split = try run.data()
        guard case .values(let y) = split.train.targets, let first = run.snapshotSteps().first else {
            throw RunError("E2 needs regression targets and a snapshot at step 0 (training.snapshot_every)")
        }
        let (x, yd) = (Tensor<Double>(split.train.inputs), Tensor<Double>(y))
        let target = yd.matmul(x, transposeSelf: true) * (1 / Double(x.shape[0]))              // ≈ A, [m, d]
        let start = try run.snapshot(at: first)
        guard let w1 = start["layers.0.weight"], let w2 = start["layers.1.weight"] else { throw RunError("E2: a depth-2 run has layers.0 and layers.1") }
        let product = Tensor<Double>(w2).matmul(Tensor<Double>(w1))
        let svd: SingularValueDecomposition<Double>
        do { svd = try target.svd() } catch { throw RunError("E2: \(error)") }
        let m = Double(yd.shape[1])
        let rate = run.config.optimizer.learningRate
        return targets.enumerated().map { k, s in
            let u = svd.u.slice(alongAxis: 1, k..<(k + 1)), v = svd.vTransposed.slice(alongAxis: 0, k..<(k + 1))
            let strength = abs(u.matmul(product, transposeSelf: true).matmul(v, transposeOther: true).scalar)
            return log(max(s / max(strength, 1e-300) - 1, 1)) / (4 * s / m) / rate
        }
    }

    func figures(_ study: ExperimentStudy) throws(RunError) -> [Figure] {
        guard let first = study.main.first else { return [] }
        var series: [LineChart.Series] = []
        for (index, arm) in first.runs.map(\.name).enumerated() {
            let runs = study.main.compactMap { $0.run(arm) }
            guard let run = runs.first else { continue }
            for k in 0..<(run.config.data.singularValues ?? [10, 3, 1]).count {
                series.append(SeedBands.series("\(run.label): σ\(k + 1)", color: k + 3 * index, dashed: index % 2 == 1,
                                               runs.map { $0.series("model/product_sv.\(k)") }))
            }
        }
        let control = study.controls.first.map { control in
            control.seeds.compactMap { $0.runs.first }.map { $0.series("model/product_sv.0") }
        }
        if let control, !control.isEmpty { series.append(SeedBands.series("control \(study.controls[0].control.name): σ1", color: 8, dashed: true, control)) }
        return [.lines(LineChart(title: "Singular values of the end-to-end map W_L ⋯ W₁", xLabel: "training step", yLabel: "singular value",
                                 series: series, caption: "Mean over \(study.main.count) seeds with 95% bands."))]
    }
}

extension ModelSpec {
    /// The number of weight layers of a deep linear network or MLP (0 for other kinds).
    var depth: Int {
        switch self {
        case .deepLinear(let s): s.hidden.count + 1
        case .mlp(let s): s.hidden.count + 1
        default: 0
        }
    }
}
