import Foundation
import NoetherIO
import NoetherNN
import NoetherSweeps
import NoetherSymmetry
import NoetherTensor
import NoetherTraining

/// E14: restored symmetry is removable capacity. Each arm (`gamma-<γ>`) is one weight decay;
/// `noether compress` (tolerance `tolerance` on the outputs, measured on `samples` train and
/// `samples` test inputs) is applied to every trained model.
///
/// A seed holds when the fraction of hidden units removed is larger at the largest γ than at
/// the smallest, never falls by more than `fall_allowance` from one γ to the next, reaches
/// `min_removed` at the largest γ, and every compressed model's test accuracy is within
/// `accuracy_tolerance` of its uncompressed model's. The control sets γ = 0 in every arm.
struct CompressionAnalysis: ExperimentAnalysis {
    struct Measured {
        /// The arm's γ (its name's; a control's runs keep it while training with their own).
        var gamma: Double
        var trainedWith: Double
        var unitsFraction: Double
        var parametersFraction: Double
        var accuracy: Double
        var compressedAccuracy: Double
        var difference: Double
    }

    final class Memo: @unchecked Sendable {
        var measured: [String: [Measured]] = [:]
    }
    let memo = Memo()

    /// The γ of an arm, from its name (`gamma-0.03`); the control keeps the arm's name.
    static func gamma(_ run: ExperimentRun) -> Double {
        Double(run.name.split(separator: "-").last ?? "") ?? .nan
    }

    func measure(_ context: SeedContext) throws(RunError) -> [Measured] {
        let key = "\(context.control?.name ?? "")/\(context.seed)"
        if let known = memo.measured[key] { return known }
        let tolerance = context.spec.parameter("tolerance", default: 1e-3)
        let samples = Int(context.spec.parameter("samples", default: 5000))
        let cache = DataCache()
        var result: [Measured] = []
        for run in context.runs.sorted(by: { Self.gamma($0) < Self.gamma($1) }) {
            let split = try cache.data(of: run)
            let model = try run.model()
            let inputs = Tensor.concatenate([LoadedRun.inputs(split.train, count: samples), LoadedRun.inputs(split.test, count: samples)], alongAxis: 0)
            let loss = try Trainer.resolveLoss(run.config.loss, for: split.train.targets)
            let hiddenUnits: Int
            if case .mlp(let mlp) = model.spec { hiddenUnits = mlp.hidden.reduce(0, +) } else { throw RunError("E14 compresses MLPs") }
            var compressed = model, report: CompressionReport?
            do {
                let (smaller, made) = try ModelCompression.compress(model, inputs: inputs, tolerance: tolerance)
                (compressed, report) = (smaller, made)
            } catch let refused as CompressionRefused {
                throw RunError("E14 \(run.label): compression refused: \(refused.description)")
            } catch {
                throw RunError("E14 \(run.label): \(error)")
            }
            let accuracy = { (m: Model<Float>) in
                Evaluation.evaluate(m.parameters, on: split.test, loss: loss, predict: { p, x in (try? Model(m.spec, parameters: p)).map { $0(x) } ?? x }).accuracy ?? .nan
            }
            result.append(Measured(
                gamma: Self.gamma(run), trainedWith: run.config.optimizer.weightDecay, unitsFraction: Double(report?.unitsRemoved ?? 0) / Double(max(hiddenUnits, 1)),
                parametersFraction: 1 - Double(report?.parametersAfter ?? 0) / Double(max(report?.parametersBefore ?? 1, 1)),
                accuracy: accuracy(model), compressedAccuracy: accuracy(compressed), difference: report?.maxOutputDifference ?? .nan))
        }
        memo.measured[key] = result
        return result
    }

    func evaluate(_ context: SeedContext) throws(RunError) -> SeedEvaluation {
        let measured = try measure(context)
        guard let weakest = measured.first, let strongest = measured.last, measured.count >= 2 else { throw RunError("E14 needs at least two weight decays") }
        let minimum = context.spec.parameter("min_removed", default: 0.1)
        let fall = context.spec.parameter("fall_allowance", default: 0.02)
        let accuracyTolerance = context.spec.parameter("accuracy_tolerance", default: 0.01)
        var evidence: [String: JSONValue] = [
            "weight decays (arms)": .array(measured.map { .number($0.gamma) }),
            "weight decays trained with": .array(measured.map { .number($0.trainedWith) }),
            "fraction of hidden units removed": .array(measured.map { .number($0.unitsFraction) }),
            "fraction of parameters removed": .array(measured.map { .number($0.parametersFraction) }),
            "test accuracy": .array(measured.map { .number($0.accuracy) }),
            "test accuracy, compressed": .array(measured.map { .number($0.compressedAccuracy) }),
            "largest output difference": .array(measured.map { .number($0.difference) }),
        ]
        evidence["final train loss"] = .array(context.runs.sorted { Self.gamma($0) < Self.gamma($1) }.map { .number($0.last("train_loss") ?? .nan) })
        var effects: [(name: String, value: Double)] = [
            ("units removed at the largest γ minus at the smallest", strongest.unitsFraction - weakest.unitsFraction),
            ("fraction of hidden units removed, largest γ", strongest.unitsFraction),
            ("largest accuracy change by compression", measured.map { abs($0.compressedAccuracy - $0.accuracy) }.max() ?? .nan),
        ]
        for m in measured { effects.append(("γ = \(shortNumber(m.gamma)): fraction of hidden units removed", m.unitsFraction)) }
        for m in measured { effects.append(("γ = \(shortNumber(m.gamma)): test accuracy", m.accuracy)) }
        var failures: [String] = []
        if !(strongest.unitsFraction > weakest.unitsFraction) {
            failures.append("no more units removed at γ = \(shortNumber(strongest.gamma)) (\(shortNumber(strongest.unitsFraction))) than at γ = \(shortNumber(weakest.gamma)) (\(shortNumber(weakest.unitsFraction)))")
        }
        for (a, b) in zip(measured, measured.dropFirst()) where b.unitsFraction < a.unitsFraction - fall {
            failures.append("the removed fraction falls from \(shortNumber(a.unitsFraction)) at γ = \(shortNumber(a.gamma)) to \(shortNumber(b.unitsFraction)) at γ = \(shortNumber(b.gamma))")
        }
        if !(strongest.unitsFraction >= minimum) {
            failures.append("only \(shortNumber(strongest.unitsFraction)) of the hidden units removed at γ = \(shortNumber(strongest.gamma)) (< \(shortNumber(minimum)))")
        }
        for m in measured where !(abs(m.compressedAccuracy - m.accuracy) <= accuracyTolerance) {
            failures.append("compression changed the test accuracy at γ = \(shortNumber(m.gamma)) from \(shortNumber(m.accuracy)) to \(shortNumber(m.compressedAccuracy))")
        }
        let (verdict, reason) = SeedEvaluation.decide(failures.isEmpty, unfit: FitCheck.unfit(context.runs, in: context), failing: failures.joined(separator: "; "))
        return SeedEvaluation(verdict: verdict, reason: reason, evidence: evidence, effects: effects)
    }

    func figures(_ study: ExperimentStudy) throws(RunError) -> [Figure] {
        func curve(_ seeds: [SeedContext], _ value: (Measured) -> Double) -> [[LineChart.Point]] {
            seeds.map { seed in ((try? measure(seed)) ?? []).map { LineChart.Point($0.gamma, value($0)) } }
        }
        var series = [SeedBands.series("hidden units removed", color: 0, curve(study.main) { $0.unitsFraction }),
                      SeedBands.series("parameters removed", color: 1, curve(study.main) { $0.parametersFraction })]
        for (index, control) in study.controls.enumerated() {
            // The control trains every arm with its own γ (0): plotted at the arm's nominal γ.
            series.append(SeedBands.series("units removed, control \(control.control.name) (at the arm's nominal γ)", color: 3 + index, dashed: true,
                                           curve(control.seeds) { $0.unitsFraction }))
        }
        return [
            .lines(LineChart(title: "What compress removes against weight decay", xLabel: "weight decay γ", yLabel: "fraction removed", xLog: true,
                             series: series, caption: "Mean over \(study.main.count) seeds with 95% bands; dashed: the γ = 0 control.")),
            .lines(LineChart(title: "Test accuracy against weight decay", xLabel: "weight decay γ", yLabel: "test accuracy", xLog: true,
                             series: [SeedBands.series("trained", color: 0, curve(study.main) { $0.accuracy }),
                                      SeedBands.series("compressed", color: 1, dashed: true, curve(study.main) { $0.compressedAccuracy })],
                             caption: "Mean over seeds with 95% bands.")),
        ]
    }
}
