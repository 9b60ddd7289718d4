import Foundation
import NoetherIO
import NoetherNN
import NoetherSweeps
import NoetherTraining

/// Reading the end-of-training symmetry state of the arms of a sweep over a control (γ, batch size).
enum RestorationReading {
    /// The arms whose name starts with `variant-`, sorted by `value`.
    static func arms(_ runs: [ExperimentRun], _ variant: String, by value: (RunConfig) -> Double) -> [ExperimentRun] {
        runs.filter { $0.name.hasPrefix(variant + "-") }.sorted { value($0.config) < value($1.config) }
    }

    /// The width of the last hidden layer.
    static func width(_ run: ExperimentRun) -> Double {
        switch run.config.model {
        case .mlp(let s): Double(s.hidden.last ?? 0)
        case .deepLinear(let s): Double(s.hidden.last ?? 0)
        default: .nan
        }
    }

    /// The last value of a metric of the last hidden layer (`<layer>/<name>`), whatever the layer is called.
    static func last(_ run: ExperimentRun, _ name: String) -> Double {
        let depth = name.split(separator: "/").count + 1
        guard let metric = run.result.metrics.last(where: { $0.name.hasSuffix("/\(name)") && $0.name.split(separator: "/").count == depth }) else { return .nan }
        return run.last(metric.name) ?? .nan
    }

    /// 1 − (distinct alive units)/m at function level: each restored mirror counted once.
    static func functionalDegree(_ run: ExperimentRun) -> Double { 1 - last(run, "functional_distinct") / width(run) }
}

/// E3: weight decay restores symmetry — as γ grows, units of the vanilla two-layer net die or
/// merge at function level — while syre keeps them apart at the same γ, fitting the data.
struct WeightDecayRestorationAnalysis: ExperimentAnalysis {
    static let gamma: @Sendable (RunConfig) -> Double = { $0.optimizer.weightDecay }

    func evaluate(_ context: SeedContext) throws(RunError) -> SeedEvaluation {
        let spec = context.spec
        let vanilla = RestorationReading.arms(context.runs, "vanilla", by: Self.gamma)
        let syre = RestorationReading.arms(context.runs, "syre", by: Self.gamma)
        guard let weakest = vanilla.first, let strongest = vanilla.last else { throw RunError("E3 needs vanilla arms") }
        var evidence: [String: JSONValue] = [:]
        for variant in ["vanilla", "syre", "factorization", "residual"] {
            let arms = RestorationReading.arms(context.runs, variant, by: Self.gamma)
            guard !arms.isEmpty else { continue }
            evidence["\(variant): γ"] = .array(arms.map { .number(Self.gamma($0.config)) })
            evidence["\(variant): functional degree of symmetry"] = .array(arms.map { .number(RestorationReading.functionalDegree($0)) })
            evidence["\(variant): functional dead units"] = .array(arms.map { .number(RestorationReading.last($0, "functional_dead")) })
            evidence["\(variant): weight-level degree of symmetry of θ"] = .array(arms.map { .number($0.last("model/degree_of_symmetry") ?? .nan) })
            evidence["\(variant): rank"] = .array(arms.map { .number(RestorationReading.last($0, "rank")) })
            evidence["\(variant): final train loss"] = .array(arms.map { .number($0.last("train_loss") ?? .nan) })
        }
        let rise = RestorationReading.functionalDegree(strongest) - RestorationReading.functionalDegree(weakest)
        let comparisonGamma = spec.parameter("syre_gamma", default: 0.1)
        let vanillaAt = vanilla.first { Self.gamma($0.config) == comparisonGamma }
        let syreAt = syre.first { Self.gamma($0.config) == comparisonGamma }
        let ratio = syreAt.map(RestorationReading.functionalDegree) ?? .nan
        let syreRatio = ratio / (vanillaAt.map(RestorationReading.functionalDegree) ?? .nan)
        let amount = spec.parameter("restoration", default: 0.25)
        var failures: [String] = []
        if !(rise >= amount) { failures.append("vanilla's functional degree of symmetry rises by \(shortNumber(rise)) < \(shortNumber(amount))") }
        if !(syreRatio <= 0.5) { failures.append("at γ = \(shortNumber(comparisonGamma)) syre's degree is \(shortNumber(syreRatio)) × vanilla's (> 0.5)") }
        var effects: [(name: String, value: Double)] = [("vanilla: rise of the functional degree of symmetry from smallest to largest γ", rise),
                                                        ("syre / vanilla functional degree of symmetry at γ = \(shortNumber(comparisonGamma))", syreRatio)]
        for variant in ["factorization", "residual"] {
            let arms = RestorationReading.arms(context.runs, variant, by: Self.gamma)
            if let low = arms.first, let high = arms.last {
                effects.append(("\(variant): rank at the largest γ minus at the smallest", RestorationReading.last(high, "rank") - RestorationReading.last(low, "rank")))
            }
        }
        // Theory's number on the factorisation (reported, not part of the criterion).
        var predictions: [(name: String, predicted: Double, observed: Double)] = []
        let factorization = RestorationReading.arms(context.runs, "factorization", by: Self.gamma)
        if context.control == nil, factorization.count >= 2, let first = factorization.first, let largest = factorization.last.map({ Self.gamma($0.config) }) {
            let fraction = spec.parameter("learned_fraction", default: 0.1)
            let observed = FactorizationOnset.observed(factorization, gamma: Self.gamma, fraction: fraction) ?? .nan
            let (gammaC, lambdaAtZero) = try FactorizationOnset.predicted(first.config, largest: largest, convergeSteps: Int(spec.parameter("converge_steps", default: 3000)))
            evidence["factorization: second singular value of the end-to-end map / the teacher's"] = .array(factorization.map { .number(FactorizationOnset.secondDirection($0)) })
            evidence["factorization: λ_O of the rank-1 state at γ = 0"] = .number(lambdaAtZero)
            predictions.append(("factorization: γ_c of the rank-1 state", gammaC ?? .nan, observed))
            effects.append(("factorization: observed / predicted γ_c", observed / (gammaC ?? .nan)))
        }
        let (verdict, reason) = SeedEvaluation.decide(failures.isEmpty, unfit: FitCheck.unfit([weakest] + [syreAt].compactMap { $0 }, in: context),
                                                      failing: failures.joined(separator: "; "))
        return SeedEvaluation(verdict: verdict, reason: reason, evidence: evidence, effects: effects, predictions: predictions)
    }

    func figures(_ study: ExperimentStudy) throws(RunError) -> [Figure] {
        RestorationFigures.figures(study, variants: ["vanilla", "syre", "factorization", "residual"], parameter: "weight decay γ", value: Self.gamma)
    }
}

/// E5: SGD noise restores symmetry: at a fixed learning rate and equal gradient-flow time,
/// smaller batches (a higher temperature lr/B) leave fewer distinct units than full-batch GD.
struct NoiseRestorationAnalysis: ExperimentAnalysis {
    static let batch: @Sendable (RunConfig) -> Double = { Double($0.training.batchSize) }

    func evaluate(_ context: SeedContext) throws(RunError) -> SeedEvaluation {
        let spec = context.spec
        let sgd = RestorationReading.arms(context.runs, "sgd", by: Self.batch)
        guard let noisiest = sgd.first, let fullBatch = sgd.last else { throw RunError("E5 needs sgd-<batch> arms") }
        var evidence: [String: JSONValue] = [:]
        for variant in ["sgd", "injected"] {
            let arms = RestorationReading.arms(context.runs, variant, by: Self.batch)
            guard !arms.isEmpty else { continue }
            evidence["\(variant): batch size"] = .array(arms.map { .number(Double($0.config.training.batchSize)) })
            evidence["\(variant): functional distinct units"] = .array(arms.map { .number(RestorationReading.last($0, "functional_distinct")) })
            evidence["\(variant): functional dead units"] = .array(arms.map { .number(RestorationReading.last($0, "functional_dead")) })
            evidence["\(variant): rank"] = .array(arms.map { .number(RestorationReading.last($0, "rank")) })
            evidence["\(variant): drift of the rescaling charges Q_i"] = .array(arms.map { .number(RestorationReading.last($0, "rescaling/conserved_drift")) })
            evidence["\(variant): final train loss"] = .array(arms.map { .number($0.last("train_loss") ?? .nan) })
        }
        let ratio = RestorationReading.last(noisiest, "functional_distinct") / RestorationReading.last(fullBatch, "functional_distinct")
        let limit = 1 - spec.parameter("restoration", default: 0.4)
        let drift = (RestorationReading.last(noisiest, "rescaling/conserved_drift"), RestorationReading.last(fullBatch, "rescaling/conserved_drift"))
        let (verdict, reason) = SeedEvaluation.decide(ratio <= limit, unfit: FitCheck.unfit([fullBatch], in: context),
                                                      failing: "distinct units at batch \(noisiest.config.training.batchSize) are \(shortNumber(ratio)) × full batch's (> \(shortNumber(limit)))")
        return SeedEvaluation(verdict: verdict, reason: reason, evidence: evidence, effects: [
            ("functional distinct units, smallest batch / full batch", ratio),
            ("drift of the rescaling charges, smallest batch", drift.0),
            ("drift of the rescaling charges, full batch", drift.1),
        ])
    }

    func figures(_ study: ExperimentStudy) throws(RunError) -> [Figure] {
        RestorationFigures.figures(study, variants: ["sgd", "injected"], parameter: "batch size B (learning rate fixed)", value: Self.batch)
    }
}

/// The symmetry state at the end of training against the swept control, one curve per variant.
enum RestorationFigures {
    static func figures(_ study: ExperimentStudy, variants: [String], parameter: String, value: @escaping (RunConfig) -> Double) -> [Figure] {
        let metrics: [(String, String, (ExperimentRun) -> Double)] = [
            ("functional degree of symmetry", "1 − distinct alive units / m", RestorationReading.functionalDegree),
            ("functional distinct units", "units", { RestorationReading.last($0, "functional_distinct") }),
            ("functional dead units", "units", { RestorationReading.last($0, "functional_dead") }),
            ("rank of the first layer's weight", "rank", { RestorationReading.last($0, "rank") }),
        ]
        return metrics.map { title, axis, measure in
            var series: [LineChart.Series] = []
            for (color, variant) in variants.enumerated() {
                let perSeed = study.main.map { seed in
                    RestorationReading.arms(seed.runs, variant, by: value).map { LineChart.Point(max(value($0.config), 1e-6), measure($0)) }
                }
                if perSeed.contains(where: { !$0.isEmpty }) { series.append(SeedBands.series(variant, color: color, perSeed)) }
            }
            for (index, control) in study.controls.enumerated() {
                let perSeed = control.seeds.map { seed in
                    RestorationReading.arms(seed.runs, variants[0], by: value).map { LineChart.Point(max(value($0.config), 1e-6), measure($0)) }
                }
                series.append(SeedBands.series("\(variants[0]), control \(control.control.name)", color: 8 - index, dashed: true, perSeed))
            }
            return .lines(LineChart(title: "\(title.prefix(1).uppercased() + title.dropFirst()) against \(parameter)", xLabel: parameter, yLabel: axis,
                                    xLog: true, series: series, caption: "At the end of training; mean over \(study.main.count) seeds with 95% bands."))
        }
    }
}
