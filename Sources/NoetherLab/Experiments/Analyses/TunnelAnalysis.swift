import Foundation
import NoetherIO
import NoetherNN
import NoetherRepresent
import NoetherSweeps
import NoetherSymmetry
import NoetherTraining

/// E7: early layers break symmetry, late layers restore it: the representation rank falls again
/// in the later layers (the tunnel), and the degree of symmetry breaking falls with depth.
struct TunnelAnalysis: ExperimentAnalysis {
    /// Per hidden layer: representation rank, degree of symmetry breaking; per layer: probe accuracy.
    struct Profile {
        var ranks: [Double]
        var breaking: [Double]
        var probes: [Double]
    }

    /// Profiles computed for the verdicts, reused by the figures (keyed by run directory).
    final class Memo {
        var profiles: [String: Profile] = [:]
        let data = DataCache()
    }
    let memo = Memo()

    func profile(_ run: ExperimentRun, spec: ExperimentSpec) throws(RunError) -> Profile {
        if let known = memo.profiles[run.directory] { return known }
        let computed = try computeProfile(run, spec: spec)
        memo.profiles[run.directory] = computed
        return computed
    }

    func computeProfile(_ run: ExperimentRun, spec: ExperimentSpec) throws(RunError) -> Profile {
        let split = try memo.data.data(of: run)
        let n = min(Int(spec.parameter("probe_samples", default: 1000)), split.train.count, split.test.count)
        let tau = spec.parameter("rank_threshold", default: 1e-2)
        let report: LayerwiseReport
        do {
            report = try LayerwiseAnalysis.analyze(
                try run.model(), probe: (split.train.inputs.slice(alongAxis: 0, 0..<n), Array(labels(split.train).prefix(n))),
                heldOut: (split.test.inputs.slice(alongAxis: 0, 0..<n), Array(labels(split.test).prefix(n))))
        } catch { throw RunError("\(error)") }
        let hidden = Array(report.layers.dropFirst().dropLast())          // without input and logits
        let catalogue: [SymmetrySpec]
        do { catalogue = try SymmetryCatalogue.infer(run.config.model, loss: run.config.loss ?? .crossEntropy) } catch { throw RunError(error) }
        // Coarser thresholds than the defaults: weight decay merges neurons and lowers ranks only
        // approximately within the run's length.
        let thresholds = SymmetryThresholds(deadRelative: spec.parameter("dead_relative", default: 0.05),
                                            distinctTolerance: spec.parameter("distinct_tolerance", default: 0.2),
                                            rankRelative: spec.parameter("weight_rank_relative", default: 0.05))
        // Weight-level symmetry of the learned θ (a syre run's saved θ + θ₀ minus θ₀, rule 8).
        let symmetry = SymmetryAnalysis.analyze(try run.learnedParameters(), catalogue: catalogue, thresholds: thresholds)
        return Profile(ranks: hidden.map { Double($0.ranks["\(tau)"] ?? $0.rank) }, breaking: symmetry.layers.map(\.degreeOfSymmetryBreaking),
                       probes: report.layers.dropFirst().map { $0.probeAccuracy ?? .nan })
    }

    func evaluate(_ context: SeedContext) throws(RunError) -> SeedEvaluation {
        let spec = context.spec
        var evidence: [String: JSONValue] = [:]
        var effects: [(name: String, value: Double)] = []
        var failures: [String] = []
        let ratio = spec.parameter("tunnel_ratio", default: 0.5)
        for run in context.runs {
            let p = try profile(run, spec: spec)
            evidence["\(run.label): representation rank per hidden layer"] = .array(p.ranks.map { .number($0) })
            evidence["\(run.label): degree of symmetry breaking per hidden layer"] = .array(p.breaking.map { .number($0) })
            evidence["\(run.label): probe accuracy per layer"] = .array(p.probes.map { .number($0) })
            let peak = p.ranks.prefix(max(p.ranks.count / 2, 1)).max() ?? 0
            // Margins: positive when the criterion is met, by how much.
            let tunnelMargin = (ratio * peak - (p.ranks.last ?? .nan)) / max(peak, 1)
            let breakingMargin = (p.breaking.first ?? .nan) - (p.breaking.last ?? .nan)
            effects.append(("\(run.label): tunnel margin (\(shortNumber(ratio)) × peak rank − last rank) / peak", tunnelMargin))
            effects.append(("\(run.label): breaking margin (first − last hidden layer)", breakingMargin))
            if !(tunnelMargin >= 0) { failures.append("\(run.label): last hidden rank \(shortNumber(p.ranks.last ?? .nan)) > \(shortNumber(ratio)) × early peak \(shortNumber(peak))") }
            if !(breakingMargin > 0) { failures.append("\(run.label): symmetry breaking does not decrease from the first to the last hidden layer") }
        }
        let (verdict, reason) = SeedEvaluation.decide(failures.isEmpty, unfit: FitCheck.unfit(context.runs, in: context), failing: failures.joined(separator: "; "))
        return SeedEvaluation(verdict: verdict, reason: reason, evidence: evidence, effects: effects)
    }

    func figures(_ study: ExperimentStudy) throws(RunError) -> [Figure] {
        guard let first = study.main.first else { return [] }
        var ranks: [LineChart.Series] = [], breaking: [LineChart.Series] = [], probes: [LineChart.Series] = []
        var variants: [(String, [SeedContext], Bool)] = [("", study.main, false)]
        variants += study.controls.map { ("control \($0.control.name): ", $0.seeds, true) }
        var color = 0
        for (prefix, seeds, dashed) in variants {
            for arm in first.runs.map(\.name) {
                let profiles = try seeds.compactMap { $0.run(arm) }.map { (run: ExperimentRun) throws(RunError) in try profile(run, spec: study.spec) }
                let label = prefix + (first.run(arm)?.label ?? arm)
                func curve(_ values: [Double]) -> [LineChart.Point] { values.enumerated().map { .init(Double($0 + 1), $1) } }
                ranks.append(SeedBands.series(label, color: color, dashed: dashed, profiles.map { curve($0.ranks) }))
                breaking.append(SeedBands.series(label, color: color, dashed: dashed, profiles.map { curve($0.breaking) }))
                probes.append(SeedBands.series(label, color: color, dashed: dashed, profiles.map { curve($0.probes) }))
                color += 1
            }
        }
        let note = "Mean over \(study.main.count) seeds with 95% bands; controls dashed."
        return [
            .lines(LineChart(title: "Representation rank per layer", xLabel: "hidden layer", yLabel: "rank of the centred representation", series: ranks, caption: note)),
            .lines(LineChart(title: "Degree of symmetry breaking per layer", xLabel: "hidden layer", yLabel: "1 − degree of symmetry", series: breaking, caption: note)),
            .lines(LineChart(title: "Linear-probe accuracy per layer", xLabel: "layer (last = output)", yLabel: "held-out accuracy", series: probes,
                             caption: "Ridge probes fitted on training inputs, scored on test inputs. " + note)),
        ]
    }
}
