import Foundation
import NoetherIO
import NoetherNN
import NoetherSweeps
import NoetherSymmetry
import NoetherTensor
import NoetherTraining

/// E13: merging works modulo symmetry (Git Re-Basin's width figure). For each width, two
/// networks trained from different seeds (arms `a-<width>` and `b-<width>`, B with a seed
/// offset) are interpolated naively and after B is aligned to A by weight matching; the
/// test-loss barrier of DESIGN.md §9 is measured on both segments.
///
/// A seed holds when, at the widest width, the aligned barrier is ≤ `max_barrier_ratio` × the
/// naive one, and the aligned barrier at the widest width is below the one at the narrowest.
/// The control `random-permutation` replaces weight matching by a seeded random permutation of
/// every permutation group (the same runs otherwise): alignment that ignores the weights.
struct MergingAnalysis: ExperimentAnalysis {
    struct Pair {
        var width: Int
        var naive: InterpolationCurve
        var aligned: InterpolationCurve
        var functionDifference: Double
    }

    /// Each seed's pairs, measured once for its verdict and reused by the figures.
    final class Memo: @unchecked Sendable {
        var pairs: [String: [Pair]] = [:]
    }
    let memo = Memo()

    func pairs(_ context: SeedContext) throws(RunError) -> [Pair] {
        let key = "\(context.control?.name ?? "")/\(context.seed)"
        if let known = memo.pairs[key] { return known }
        let measured = try Self.pairs(context)
        memo.pairs[key] = measured
        return measured
    }

    static func width(_ run: ExperimentRun) -> Int {
        Int(run.name.split(separator: "-").last ?? "") ?? 0
    }

    static func pairs(_ context: SeedContext) throws(RunError) -> [Pair] {
        let cache = DataCache()
        let points = Int(context.spec.parameter("points", default: 25))
        let trainSamples = Int(context.spec.parameter("train_samples", default: 5000))
        let random = context.control?.name == "random-permutation"
        let widths = Set(context.runs.map(Self.width)).sorted()
        var result: [Pair] = []
        for width in widths {
            guard let a = context.run("a-\(width)"), let b = context.run("b-\(width)") else { throw RunError("E13 needs the arms a-\(width) and b-\(width)") }
            var split = try cache.data(of: a)
            split.train = split.train.prefix(trainSamples)
            let loss = try Trainer.resolveLoss(a.config.loss, for: split.train.targets)
            let (modelA, modelB) = (try a.model(), try b.model())
            do {
                let naive = try InterpolationCurve.measure(modelA.spec, modelA.parameters, modelB.parameters, train: split.train, test: split.test,
                                                           loss: loss, points: points)
                let inputs = LoadedRun.inputs(split.train, count: AlignmentCommands.checkSamples)
                let moved: Parameters<Float>
                if random {
                    var generator = RandomGenerator(seed: context.seed).derived("random-permutation")
                    var parameters = modelB.parameters.converted(to: Double.self)
                    for group in SymmetryCatalogue.infer(modelB.architecture, loss: loss) where group.kind == .permutation {
                        parameters = group.apply(group.randomElement(using: &generator), to: parameters)
                    }
                    moved = parameters.converted(to: Float.self)
                } else {
                    moved = try ModelAlignment.align(modelB, to: modelA, inputs: inputs, loss: loss, seed: context.seed).parameters
                }
                let difference = try ModelAlignment.functionDifference(modelB, moved, inputs: inputs)
                let aligned = try InterpolationCurve.measure(modelA.spec, modelA.parameters, moved, train: split.train, test: split.test,
                                                             loss: loss, points: points)
                result.append(Pair(width: width, naive: naive, aligned: aligned, functionDifference: difference))
            } catch {
                throw RunError("E13 width \(width): \(error.description)")
            }
        }
        return result
    }

    func evaluate(_ context: SeedContext) throws(RunError) -> SeedEvaluation {
        let pairs = try pairs(context)
        guard let narrowest = pairs.first, let widest = pairs.last else { throw RunError("E13 needs at least one width") }
        let limit = context.spec.parameter("max_barrier_ratio", default: 0.3)
        var evidence: [String: JSONValue] = ["widths": .array(pairs.map { .number(Double($0.width)) })]
        var effects: [(name: String, value: Double)] = []
        let ratio = widest.aligned.barrier.testLoss / widest.naive.barrier.testLoss
        effects.append(("test-loss barrier after / before alignment, widest", ratio))
        for pair in pairs {
            effects.append(("width \(pair.width): naive test-loss barrier", pair.naive.barrier.testLoss))
            effects.append(("width \(pair.width): aligned test-loss barrier", pair.aligned.barrier.testLoss))
            evidence["width \(pair.width): naive barrier (train loss, test loss, train error, test error)"] = .array(
                [pair.naive.barrier.trainLoss, pair.naive.barrier.testLoss, pair.naive.barrier.trainError, pair.naive.barrier.testError].map { .number($0) })
            evidence["width \(pair.width): aligned barrier (train loss, test loss, train error, test error)"] = .array(
                [pair.aligned.barrier.trainLoss, pair.aligned.barrier.testLoss, pair.aligned.barrier.trainError, pair.aligned.barrier.testError].map { .number($0) })
            evidence["width \(pair.width): test loss along the aligned segment"] = .array(pair.aligned.testLoss.map { .number($0) })
            evidence["width \(pair.width): test loss along the naive segment"] = .array(pair.naive.testLoss.map { .number($0) })
            evidence["width \(pair.width): ‖f(B′) − f(B)‖ / ‖f(B)‖"] = .number(pair.functionDifference)
        }
        var failures: [String] = []
        if !(ratio <= limit) {
            failures.append("at width \(widest.width) the aligned test-loss barrier is \(shortNumber(widest.aligned.barrier.testLoss)), \(shortNumber(ratio)) × the naive \(shortNumber(widest.naive.barrier.testLoss)) (> \(shortNumber(limit)))")
        }
        if pairs.count > 1, !(widest.aligned.barrier.testLoss < narrowest.aligned.barrier.testLoss) {
            failures.append("the aligned barrier does not fall with width (\(shortNumber(narrowest.aligned.barrier.testLoss)) at \(narrowest.width), \(shortNumber(widest.aligned.barrier.testLoss)) at \(widest.width))")
        }
        let (verdict, reason) = SeedEvaluation.decide(failures.isEmpty, unfit: FitCheck.unfit(context.runs, in: context), failing: failures.joined(separator: "; "))
        return SeedEvaluation(verdict: verdict, reason: reason, evidence: evidence, effects: effects)
    }

    func figures(_ study: ExperimentStudy) throws(RunError) -> [Figure] {
        func barriers(_ seeds: [SeedContext], aligned: Bool) -> [[LineChart.Point]] {
            seeds.map { seed in
                ((try? pairs(seed)) ?? []).map { LineChart.Point(Double($0.width), aligned ? $0.aligned.barrier.testLoss : $0.naive.barrier.testLoss) }
            }
        }
        var series = [SeedBands.series("naive", color: 0, barriers(study.main, aligned: false)),
                      SeedBands.series("after weight matching", color: 1, barriers(study.main, aligned: true))]
        for (index, control) in study.controls.enumerated() {
            series.append(SeedBands.series("after \(control.control.name) (control)", color: 3 + index, dashed: true, barriers(control.seeds, aligned: true)))
        }
        var curves: [LineChart.Series] = []
        if let first = study.main.first, let widest = (try? pairs(first))?.last {
            curves = [.init(name: "naive", points: zip(widest.naive.alphas, widest.naive.testLoss).map { .init($0, $1) }, color: 0),
                      .init(name: "after weight matching", points: zip(widest.aligned.alphas, widest.aligned.testLoss).map { .init($0, $1) }, color: 1)]
        }
        return [
            .lines(LineChart(title: "Test-loss barrier against width", xLabel: "width", yLabel: "barrier", xLog: true, series: series,
                             caption: "Mean over \(study.main.count) seeds with 95% bands; dashed: the control.")),
            .lines(LineChart(title: "Test loss along the segment, widest pair (first seed)", xLabel: "α", yLabel: "test loss", series: curves,
                             caption: "θ(α) = (1−α)θ_A + αθ_B, before and after aligning B to A.")),
        ]
    }
}
