import Foundation
import NoetherNN
import NoetherSymmetry

/// E1: plateaus end where a symmetry breaks; small init learns step by step and generalises,
/// large init has no plateaus and a higher test loss.
struct SaddleToSaddleAnalysis: ExperimentAnalysis {
    func analyze(_ spec: ExperimentSpec, _ runs: [ExperimentRun], quick: Bool) throws(RunError) -> ExperimentOutcome {
        guard let small = runs.first, let large = runs.last, runs.count >= 2 else { throw RunError("E1 needs at least two init scales") }
        let minimum = Int(spec.parameter("plateau_length", default: 4))
        let ratio = spec.parameter("test_loss_ratio", default: 0.1)
        var evidence: [String: JSONValue] = [:]
        var allMatched = true
        for run in runs {
            let plateaus = LossCurves.plateaus(run.series("train_loss"), minimumLength: minimum)
            let breaking = run.result.events.filter { $0.kind == .breaking }
            let interval = Double(run.config.track.every ?? run.config.training.evalEvery)
            // An event ends a plateau when it falls between one interval before its last step
            // and the end of the drop that follows.
            let matched = plateaus.filter { p in breaking.contains { Double($0.step) >= p.last - interval && Double($0.step) <= p.dropEnd } }.count
            if run.name == small.name { allMatched = !plateaus.isEmpty && matched == plateaus.count }
            evidence["\(run.label): plateaus"] = .number(Double(plateaus.count))
            evidence["\(run.label): plateaus ended by a breaking event"] = .number(Double(matched))
            evidence["\(run.label): breaking events"] = .number(Double(breaking.count))
            evidence["\(run.label): final train loss"] = .number(run.last("train_loss") ?? .nan)
            evidence["\(run.label): final test loss"] = .number(run.last("test_loss") ?? .nan)
            evidence["\(run.label): plateau levels"] = .array(plateaus.map { .number($0.loss) })
        }
        let largePlateaus = LossCurves.plateaus(large.series("train_loss"), minimumLength: minimum)
        let smallTest = small.last("test_loss") ?? .infinity, largeTest = large.last("test_loss") ?? .infinity
        evidence["test loss ratio small/large init"] = .number(smallTest / largeTest)
        let holds = allMatched && largePlateaus.isEmpty && smallTest <= ratio * largeTest
        let rank = LineChart(
            title: "Rank of the first layer (σ above the absolute threshold)", xLabel: "training step", yLabel: "rank of W₁",
            series: runs.enumerated().map { .init(name: $1.label, points: $1.series("layers.0/rank"), color: $0) },
            caption: "Directions of the first layer that have grown away from θ = 0. From small init they appear one at a time, each at the end of a plateau.")
        return ExperimentOutcome(holds: holds, evidence: evidence, figures: [
            .lines(LossCurves.chart(runs, title: "Train (solid) and test (dashed) loss for each init scale",
                                    caption: "Like the paper's Figure 2: from small init the loss sits on plateaus that end in drops; dotted vertical lines are the symmetry-breaking events Noether detected (in the colour of their run).")),
            .lines(rank),
        ])
    }
}

/// E2: the end-to-end map of a deep linear network gains one direction at a time, the larger
/// singular values first.
struct DeepLinearStepsAnalysis: ExperimentAnalysis {
    func analyze(_ spec: ExperimentSpec, _ runs: [ExperimentRun], quick: Bool) throws(RunError) -> ExperimentOutcome {
        var evidence: [String: JSONValue] = [:]
        var holds = !runs.isEmpty
        var series: [LineChart.Series] = []
        for (index, run) in runs.enumerated() {
            let targets = run.config.data.singularValues ?? [10, 3, 1]
            var times: [Double] = []
            for (k, target) in targets.enumerated() {
                let points = run.series("model/product_sv.\(k)")
                series.append(.init(name: "\(run.label): σ\(k + 1)", points: points, dashed: index % 2 == 1, color: k + 3 * index))
                if let hit = points.first(where: { $0.y >= target / 2 }) { times.append(hit.x) }
            }
            let interval = Double(run.config.track.every ?? run.config.training.evalEvery)
            let ordered = times.count == targets.count && zip(times, times.dropFirst()).allSatisfy { $1 - $0 >= interval }
            holds = holds && ordered
            evidence["\(run.label): step each σ reaches half its target"] = .array(times.map { .number($0) })
            evidence["\(run.label): step × target σ"] = .array(zip(times, targets).map { .number($0 * $1) })
            evidence["\(run.label): learned σ"] = .array((0..<targets.count).map { .number(run.last("model/product_sv.\($0)") ?? .nan) })
        }
        return ExperimentOutcome(holds: holds, evidence: evidence, figures: [
            .lines(LineChart(title: "Singular values of the end-to-end map W_L ⋯ W₁", xLabel: "training step", yLabel: "singular value",
                             series: series, caption: "Targets 10, 3, 1: the rotation symmetry breaks one direction at a time, the largest first.")),
            .lines(LossCurves.chart(runs, title: "Loss", caption: "Each drop coincides with a new direction (rank-breaking events as dotted lines).")),
        ])
    }
}

/// E3 and E5: a control (weight decay, noise) restores symmetry in vanilla models; syre keeps
/// it broken. Runs are named `<variant>-<anything>` and ordered by the swept value.
struct SweepRestorationAnalysis: ExperimentAnalysis {
    let parameterName: String
    let logScale: Bool
    let value: @Sendable (RunConfig) -> Double

    func analyze(_ spec: ExperimentSpec, _ runs: [ExperimentRun], quick: Bool) throws(RunError) -> ExperimentOutcome {
        let layer = spec.parameters?["layer"]?.string ?? "layers.0"
        let variants = runs.map { String($0.name.split(separator: "-").first ?? "") }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        /// The first hidden layer's metric, whatever the layer is called (a residual stream is `layers.0-1`).
        func metricValue(_ run: ExperimentRun, _ metric: String) -> Double {
            if metric == "model_degree_of_symmetry" { return run.last("model/degree_of_symmetry") ?? .nan }
            let name = run.result.metrics.first { $0.name.hasPrefix(layer) && $0.name.hasSuffix("/\(metric)") && $0.name.split(separator: "/").count == 2 }?.name
            return name.flatMap { run.last($0) } ?? .nan
        }
        func points(_ variant: String, _ metric: String) -> [LineChart.Point] {
            runs.filter { $0.name.hasPrefix(variant + "-") }
                .map { LineChart.Point(max(value($0.config), 1e-12), metricValue($0, metric)) }
                .sorted { $0.x < $1.x }
        }
        var evidence: [String: JSONValue] = [:]
        for variant in variants {
            for metric in ["model_degree_of_symmetry", "dead", "distinct", "rank"] {
                evidence["\(variant): \(metric) from lowest to highest \(parameterName)"] = .array(points(variant, metric).map { .number($0.y) })
            }
        }
        // The criterion's measure: the model's degree of symmetry rising by `restoration`, or
        // (with `metric: distinct`) the distinct neurons falling by that fraction.
        let measure = spec.parameters?["metric"]?.string ?? "model_degree_of_symmetry"
        let amount = spec.parameter("restoration", default: 0.25)
        let vanilla = points("vanilla", measure)
        let syre = points("syre", measure)
        var holds = false
        if let first = vanilla.first, let last = vanilla.last {
            if measure == "model_degree_of_symmetry" {
                holds = last.y - first.y >= amount
                evidence["vanilla: rise of the degree of symmetry"] = .number(last.y - first.y)
                if let syreLast = syre.last {
                    holds = holds && syreLast.y <= 0.5 * last.y
                    evidence["syre / vanilla degree of symmetry at the strongest setting"] = .number(syreLast.y / max(last.y, 1e-12))
                }
            } else {
                holds = last.y <= (1 - amount) * first.y
                evidence["vanilla: \(measure) at the strongest / weakest setting"] = .number(last.y / max(first.y, 1e-12))
            }
        }
        let vanillaDegree = points("vanilla", "model_degree_of_symmetry")
        var notes: [String] = []
        if let vanillaLast = vanillaDegree.last, measure == "model_degree_of_symmetry" {
            for variant in variants where variant != "vanilla" && variant != "syre" {
                guard let last = points(variant, "model_degree_of_symmetry").last else { continue }
                notes.append(last.y <= 0.5 * vanillaLast.y
                    ? "\(variant): keeps its symmetry broken at the strongest setting (degree of symmetry \(String(format: "%.3g", last.y)) vs vanilla \(String(format: "%.3g", vanillaLast.y)))."
                    : "\(variant): does not prevent the restoration with our settings (degree of symmetry \(String(format: "%.3g", last.y)) vs vanilla \(String(format: "%.3g", vanillaLast.y))); the criterion does not include it.")
            }
        }
        let figures: [Figure] = ["model_degree_of_symmetry", "distinct", "dead", "rank"].map { metric in
            .lines(LineChart(title: "\(metric.replacingOccurrences(of: "_", with: " ")) of \(layer) against \(parameterName)",
                             xLabel: parameterName, yLabel: metric.replacingOccurrences(of: "_", with: " "), xLog: logScale,
                             series: variants.enumerated().map { .init(name: $1, points: points($1, metric), color: $0) },
                             caption: "At the end of training, for each model variant."))
        }
        return ExperimentOutcome(holds: holds, evidence: evidence, figures: figures, notes: notes)
    }
}

/// E4: the number of distinct neurons does not grow with width.
struct WidthCapacityAnalysis: ExperimentAnalysis {
    func analyze(_ spec: ExperimentSpec, _ runs: [ExperimentRun], quick: Bool) throws(RunError) -> ExperimentOutcome {
        func width(_ run: ExperimentRun) -> Double {
            if case .mlp(let m) = run.config.model { return Double(m.hidden.first ?? 0) }
            return 0
        }
        let sorted = runs.sorted { width($0) < width($1) }
        let distinct = sorted.map { LineChart.Point(width($0), $0.last("layers.0/distinct") ?? .nan) }
        let rank = sorted.map { LineChart.Point(width($0), $0.last("layers.0/rank") ?? .nan) }
        let alive = sorted.map { LineChart.Point(width($0), width($0) - ($0.last("layers.0/dead") ?? 0)) }
        guard let first = distinct.first, let last = distinct.last else { throw RunError("E4 needs runs") }
        let tolerance = spec.parameter("tolerance", default: 0.2)
        let holds = last.y <= (1 + tolerance) * first.y
        let evidence: [String: JSONValue] = [
            "widths": .array(distinct.map { .number($0.x) }),
            "distinct neurons": .array(distinct.map { .number($0.y) }),
            "rank of W₁": .array(rank.map { .number($0.y) }),
            "alive neurons": .array(alive.map { .number($0.y) }),
            "distinct at largest / smallest width": .number(last.y / max(first.y, 1e-12)),
            "final test loss": .array(sorted.map { .number($0.last("test_loss") ?? .nan) }),
        ]
        return ExperimentOutcome(holds: holds, evidence: evidence, figures: [
            .lines(LineChart(title: "Capacity against width", xLabel: "width", yLabel: "count", xLog: true, yLog: true,
                             series: [.init(name: "distinct neurons", points: distinct, color: 0), .init(name: "rank of W₁", points: rank, color: 1),
                                      .init(name: "alive neurons", points: alive, color: 2),
                                      .init(name: "width", points: distinct.map { .init($0.x, $0.x) }, dashed: true, color: 8)],
                             caption: "Like the paper's Figure 3: the distinct neurons and the rank stay flat while the width grows 64-fold.")),
        ])
    }
}

/// E9: DCS gates prune layers the task does not need.
struct GateAnalysis: ExperimentAnalysis {
    func analyze(_ spec: ExperimentSpec, _ runs: [ExperimentRun], quick: Bool) throws(RunError) -> ExperimentOutcome {
        guard let run = runs.first else { throw RunError("E9 needs a run") }
        let names = Set(run.result.metrics.map(\.name).filter { $0.hasSuffix(".gate/mean_abs") }).sorted(by: naturalOrder)
        let finals = names.map { run.last($0) ?? .nan }
        let hidden = Array(finals.dropLast())
        let largest = hidden.max() ?? 0
        let pruned = hidden.filter { $0 < spec.parameter("pruned_fraction", default: 0.1) * largest }.count
        var evidence: [String: JSONValue] = ["final gates (mean |v|) per layer": .array(finals.map { .number($0) }),
                                             "pruned hidden layers": .number(Double(pruned)),
                                             "final test loss": .number(run.last("test_loss") ?? .nan)]
        if let reference = runs.dropFirst().first { evidence["test loss without gates"] = .number(reference.last("test_loss") ?? .nan) }
        let series = names.enumerated().map { LineChart.Series(name: String($1.dropLast("/mean_abs".count)), points: run.series($1), color: $0) }
        return ExperimentOutcome(holds: pruned >= 1 && largest > 0, evidence: evidence, figures: [
            .lines(LineChart(title: "DCS gate values", xLabel: "training step", yLabel: "mean |gate|", yLog: true, series: series,
                             caption: "Gated residual layers under weight decay: the layers the task does not need go to v = 0.")),
            .lines(LossCurves.chart(runs, title: "Loss", caption: "Gated and ungated models.")),
        ])
    }
}

/// E10: double rotation gives attention a low-rank bias; weight decay lowers the rank of W_Q W_Kᵀ.
struct AttentionRankAnalysis: ExperimentAnalysis {
    func analyze(_ spec: ExperimentSpec, _ runs: [ExperimentRun], quick: Bool) throws(RunError) -> ExperimentOutcome {
        let metric = spec.parameters?["metric"]?.string ?? "blocks.0.attn/head.0/qk_rank"
        let sorted = runs.sorted { $0.config.optimizer.weightDecay < $1.config.optimizer.weightDecay }
        let finals = sorted.map { LineChart.Point(max($0.config.optimizer.weightDecay, 1e-6), $0.last(metric) ?? .nan) }
        let teacherRank = Double(sorted.first?.config.data.rank ?? 2)
        guard let first = sorted.first, !finals.isEmpty else { throw RunError("E10 needs runs") }
        // Low-rank bias: every final rank at most `rank_factor` × the teacher's (of the head width
        // possible); step-by-step growth: after the first evaluation the rank sits below its final value.
        let bounded = finals.allSatisfy { $0.y <= spec.parameter("rank_factor", default: 2) * teacherRank }
        let trajectory = first.series(metric).dropFirst()
        let stepwise = trajectory.contains { $0.y < (trajectory.last?.y ?? 0) }
        let holds = bounded && stepwise
        let evidence: [String: JSONValue] = ["weight decays": .array(finals.map { .number($0.x) }),
                                             "rank of W_Q W_Kᵀ during training (smallest γ)": .array(first.series(metric).map { .number($0.y) }),
                                             "head width (largest possible rank)": .number(Double(first.config.model.headWidth ?? 0)),
                                             "final rank of W_Q W_Kᵀ": .array(finals.map { .number($0.y) }),
                                             "teacher rank": .number(teacherRank),
                                             "final test loss": .array(sorted.map { .number($0.last("test_loss") ?? .nan) })]
        return ExperimentOutcome(holds: holds, evidence: evidence, figures: [
            .lines(LineChart(title: "Rank of W_Q W_Kᵀ during training", xLabel: "training step", yLabel: "rank (σ > τ·σ_max)",
                             series: sorted.enumerated().map { .init(name: "γ = \($1.config.optimizer.weightDecay)", points: $1.series(metric), color: $0) },
                             caption: "From small init the query–key form grows direction by direction; weight decay keeps it near the teacher's rank.")),
            .lines(LineChart(title: "Final rank against weight decay", xLabel: "weight decay γ", yLabel: "rank of W_Q W_Kᵀ", xLog: true,
                             series: [.init(name: "final rank", points: finals, color: 0),
                                      .init(name: "teacher rank", points: finals.map { .init($0.x, teacherRank) }, dashed: true, color: 8)],
                             caption: "The double-rotation symmetry is restored in all but the needed directions as γ grows.")),
        ])
    }
}
