import Foundation
import NoetherIO
import NoetherNN
import NoetherSweeps
import NoetherSymmetry
import NoetherTensor
import NoetherTraining

/// E1: plateaus end where a symmetry breaks. From the smallest init the loss has plateaus, each
/// ended by a breaking event — more often than events at shuffled times would end them — and
/// the network generalises better than from the largest init, which has no plateau; both are
/// trained to the same training loss.
struct SaddleToSaddleAnalysis: ExperimentAnalysis {
    func evaluate(_ context: SeedContext) throws(RunError) -> SeedEvaluation {
        let spec = context.spec
        let sorted = context.runs.sorted { $0.config.initializer.scale < $1.config.initializer.scale }
        guard let small = sorted.first, let large = sorted.last, sorted.count >= 2 else { throw RunError("E1 needs at least two init scales") }
        let minimum = Int(spec.parameter("plateau_length", default: 4))
        let ratio = spec.parameter("test_loss_ratio", default: 0.1)
        var evidence: [String: JSONValue] = [:]
        for run in sorted {
            let plateaus = LossCurves.plateaus(run.series("train_loss"), minimumLength: minimum)
            evidence["\(run.label): plateaus"] = .number(Double(plateaus.count))
            evidence["\(run.label): symmetry-breaking events"] = .number(Double(run.result.events.count(where: Self.isSymmetryBreaking)))
            evidence["\(run.label): final train loss"] = .number(run.last("train_loss") ?? .nan)
            evidence["\(run.label): final test loss"] = .number(run.last("test_loss") ?? .nan)
            evidence["\(run.label): steps trained"] = .number(Double(run.result.summary.steps))
        }
        let plateaus = LossCurves.plateaus(small.series("train_loss"), minimumLength: minimum)
        let breaking = small.result.events.filter(Self.isSymmetryBreaking).map { Double($0.step) }
        let interval = Double(small.config.track.every ?? small.config.training.evalEvery)
        let matched = Self.matched(plateaus, events: breaking, interval: interval)
        // Events at shuffled times: the same number of events placed uniformly over the
        // measurement steps; p = how often they end as many plateaus.
        let steps = stride(from: interval, through: Double(small.result.summary.steps), by: interval).map { $0 }
        var generator = RandomGenerator(seed: context.seed).derived("E1 shuffle")
        let shuffles = 2000
        var asGood = 0
        for _ in 0..<shuffles where !steps.isEmpty {
            let placed = breaking.map { _ in steps[generator.index(below: steps.count)] }
            if Self.matched(plateaus, events: placed, interval: interval) >= matched { asGood += 1 }
        }
        let p = Double(asGood + 1) / Double(shuffles + 1)
        let largePlateaus = LossCurves.plateaus(large.series("train_loss"), minimumLength: minimum).count
        let testRatio = (small.last("test_loss") ?? .nan) / (large.last("test_loss") ?? .nan)
        let endedFraction = plateaus.isEmpty ? 0 : Double(matched) / Double(plateaus.count)
        evidence["\(small.label): plateaus ended by a breaking event"] = .number(Double(matched))
        evidence["\(small.label): monomial each plateau ends on"] = .array(try endingMonomials(small, plateaus).map { .string($0) })
        let maximumP = spec.parameter("shuffle_p", default: 0.05)
        let met = !plateaus.isEmpty && matched == plateaus.count && p <= maximumP && largePlateaus == 0 && testRatio <= ratio
        let (verdict, reason) = SeedEvaluation.decide(met, unfit: FitCheck.unfit([small, large], in: context), failing: [
            plateaus.isEmpty ? "no plateau from init \(small.config.initializer.scale)" : nil,
            matched < plateaus.count ? "\(plateaus.count - matched) of \(plateaus.count) plateaus not ended by a breaking event" : nil,
            p > maximumP ? "shuffled event times end as many plateaus (p = \(shortNumber(p)))" : nil,
            largePlateaus > 0 ? "\(largePlateaus) plateau(s) from init \(large.config.initializer.scale)" : nil,
            !(testRatio <= ratio) ? "test loss ratio \(shortNumber(testRatio)) > \(shortNumber(ratio))" : nil,
        ].compactMap { $0 }.joined(separator: "; "))
        return SeedEvaluation(verdict: verdict, reason: reason, evidence: evidence, effects: [
            ("plateaus from the smallest init", Double(plateaus.count)),
            ("share of those plateaus ended by a breaking event", endedFraction),
            ("p of the coincidence under shuffled event times", p),
            ("plateaus from the largest init", Double(largePlateaus)),
            ("test loss smallest / largest init", testRatio),
        ])
    }

    /// A breaking event of a parameter symmetry (a rank rise in a nonlinear layer carries none).
    static func isSymmetryBreaking(_ event: SymmetryEvent) -> Bool { event.kind == .breaking && event.symmetry != nil }

    /// How many plateaus a breaking event ends: one between one interval before the plateau's
    /// last step and the end of the drop that follows.
    static func matched(_ plateaus: [(first: Double, last: Double, loss: Double, dropEnd: Double)], events: [Double], interval: Double) -> Int {
        plateaus.count { p in events.contains { $0 >= p.last - interval && $0 <= p.dropEnd } }
    }

    /// The staircase's monomials x₁, x₁x₂, …: their Walsh coefficients E[f(x)·χ_S(x)] on the
    /// test inputs, at every snapshot.
    static func walshCoefficients(_ run: ExperimentRun) throws(RunError) -> [(label: String, points: [LineChart.Point])] {
        guard run.config.data.kind == .staircase else { return [] }
        let degree = run.config.data.degree ?? 4
        let split = try run.data()
        let x = split.test.inputs
        let n = x.shape[0]
        // χ_S for S = {0}, {0, 1}, … on each test input.
        var characters = [[Float]](repeating: [Float](repeating: 1, count: n), count: degree)
        for i in 0..<n {
            var product: Float = 1
            for k in 0..<degree {
                product *= x[i, k]
                characters[k][i] = product
            }
        }
        var curves = (0..<degree).map { k in (label: (0...k).map { "x\($0 + 1)" }.joined(), points: [LineChart.Point]()) }
        for step in run.snapshotSteps() {
            let model: Model<Float>
            do { model = try Model<Float>(run.config.model, parameters: try run.snapshot(at: step)) } catch { throw RunError("\(error)") }
            let f = model(x).scalars
            for k in 0..<degree {
                let c = zip(f, characters[k]).reduce(0.0) { $0 + Double($1.0 * $1.1) } / Double(n)
                curves[k].points.append(.init(Double(step), c))
            }
        }
        return curves
    }

    /// For each plateau, the monomial whose Walsh coefficient grows most across the drop.
    func endingMonomials(_ run: ExperimentRun, _ plateaus: [(first: Double, last: Double, loss: Double, dropEnd: Double)]) throws(RunError) -> [String] {
        let curves = try Self.walshCoefficients(run)
        guard !curves.isEmpty else { return [] }
        func value(_ points: [LineChart.Point], at x: Double) -> Double { points.last { $0.x <= x }?.y ?? 0 }
        return plateaus.map { p in
            curves.max { value($0.points, at: p.dropEnd) - value($0.points, at: p.last) < value($1.points, at: p.dropEnd) - value($1.points, at: p.last) }?.label ?? "–"
        }
    }

    func figures(_ study: ExperimentStudy) throws(RunError) -> [Figure] {
        guard let first = study.main.first else { return [] }
        let arms = first.runs.sorted { $0.config.initializer.scale < $1.config.initializer.scale }.map(\.name)
        var loss: [LineChart.Series] = [], rank: [LineChart.Series] = [], markers: [LineChart.Marker] = []
        for (color, arm) in arms.enumerated() {
            let runs = study.main.compactMap { $0.run(arm) }
            guard let label = runs.first?.label else { continue }
            loss.append(SeedBands.series("\(label) train", color: color, runs.map { $0.series("train_loss") }))
            loss.append(SeedBands.series("\(label) test", color: color, dashed: true, runs.map { $0.series("test_loss") }))
            rank.append(SeedBands.series(label, color: color, runs.map { $0.series("layers.0/rank") }))
            // Events of the first seed, as markers.
            for event in runs.first?.result.events ?? [] where Self.isSymmetryBreaking(event) {
                markers.append(.init(x: Double(max(event.step, 1)), label: "\(label), seed \(first.seed): \(event.summary)", color: color))
            }
        }
        var figures: [Figure] = [
            .lines(LineChart(title: "Train (solid) and test (dashed) loss for each init scale", xLabel: "training step", yLabel: "mean squared error",
                             xLog: true, yLog: true, series: loss, markers: markers,
                             caption: "Mean over seeds with a 95% band; dotted lines are the breaking events of seed \(first.seed). \(study.main.count) seeds: the smallest init's runs have on average \(shortNumber(SeedBands.mean(study.main.compactMap { $0.run(arms.first ?? "") }.map { Double(LossCurves.plateaus($0.series("train_loss")).count) }))) plateaus.")),
            .lines(LineChart(title: "Rank of the first layer (σ above the absolute threshold)", xLabel: "training step", yLabel: "rank of W₁",
                             xLog: true, series: rank, caption: "Directions of the first layer that have grown away from θ = 0, mean over seeds.")),
        ]
        if let smallest = arms.first {
            var walsh: [LineChart.Series] = []
            let runs = study.main.compactMap { $0.run(smallest) }
            let perSeed = try runs.map { (run: ExperimentRun) throws(RunError) in try Self.walshCoefficients(run) }
            for (k, curve) in (perSeed.first ?? []).enumerated() {
                walsh.append(SeedBands.series(curve.label, color: k, perSeed.compactMap { $0.count > k ? $0[k].points : nil }))
            }
            if !walsh.isEmpty {
                figures.append(.lines(LineChart(title: "Walsh coefficients of the network's output, \(runs.first?.label ?? smallest)", xLabel: "training step",
                                                yLabel: "E[f(x)·χ_S(x)] on test inputs", xLog: true, series: walsh,
                                                caption: "Each monomial of the staircase has target coefficient 1; mean over seeds with 95% bands. The evidence of each seed names the monomial that rises most across each plateau's drop.")))
            }
        }
        return figures
    }
}
