import Foundation
import NoetherIO
import NoetherSweeps
import NoetherSymmetry
import NoetherTensor
import NoetherTraining

/// The analyses experiments name in their `analysis:` field.
enum ExperimentAnalyses {
    static func named(_ name: String) -> (any ExperimentAnalysis)? {
        switch name {
        case "saddle_to_saddle": SaddleToSaddleAnalysis()
        case "deep_linear_steps": DeepLinearStepsAnalysis()
        case "weight_decay_restoration": WeightDecayRestorationAnalysis()
        case "noise_restoration": NoiseRestorationAnalysis()
        case "width_capacity": WidthCapacityAnalysis()
        case "neural_collapse": NeuralCollapseAnalysis()
        case "tunnel": TunnelAnalysis()
        case "universal_alignment": UniversalAlignmentAnalysis()
        case "dcs_gates": GateAnalysis()
        case "attention_low_rank": AttentionRankAnalysis()
        case "symmetric_init": SymmetricInitAnalysis()
        case "critical_weight_decay": CriticalWeightDecayAnalysis()
        case "merging_barrier": MergingAnalysis()
        case "compression_capacity": CompressionAnalysis()
        case "teleport_speedup": TeleportAnalysis()
        default: nil
        }
    }
}

/// Curves and numbers across seeds.
enum SeedBands {
    /// The mean curve of `perSeed` with a band of one 95% t-interval either side (points where
    /// fewer than two seeds have a value carry no band).
    static func series(_ name: String, color: Int, dashed: Bool = false, _ perSeed: [[LineChart.Point]]) -> LineChart.Series {
        var values: [Double: [Double]] = [:]
        for curve in perSeed { for point in curve where point.y.isFinite { values[point.x, default: []].append(point.y) } }
        var points: [LineChart.Point] = [], band: [LineChart.Band] = []
        for x in values.keys.sorted() {
            let ys = values[x] ?? []
            let mean = ys.reduce(0, +) / Double(ys.count)
            points.append(.init(x, mean))
            let half = Effect.halfWidth(ys)
            if half.isFinite { band.append(.init(x, mean - half, mean + half)) }
        }
        return .init(name: perSeed.count > 1 ? "\(name) (\(perSeed.count) seeds)" : name, points: points, dashed: dashed, color: color,
                     band: band.isEmpty ? nil : band)
    }

    /// The mean of the finite values (NaN when there are none).
    static func mean(_ values: [Double]) -> Double {
        let finite = values.filter(\.isFinite)
        return finite.isEmpty ? .nan : finite.reduce(0, +) / Double(finite.count)
    }
}

/// The fit a run must reach before it counts (the experiment's `fit`, as parameters).
enum FitCheck {
    /// The arms (of `runs`) whose final training loss is above `parameters.fit_train_loss` (or
    /// above `parameters.fit_relative_train_loss` × the variance of the training targets), or
    /// whose training accuracy is below `parameters.fit_train_accuracy`.
    ///
    /// Only the experiment's own runs are held to it: a control may remove the very thing that
    /// lets a run fit (an untrained network), and a control that fails to fit fails the criterion.
    static func unfit(_ runs: [ExperimentRun], in context: SeedContext) -> [String] {
        guard context.control == nil else { return [] }
        let spec = context.spec
        let relative = spec.parameters?["fit_relative_train_loss"]?.number
        let accuracy = spec.parameters?["fit_train_accuracy"]?.number
        return runs.compactMap { run in
            var loss = spec.parameters?["fit_train_loss"]?.number
            if let relative, let split = try? run.data(), case .values(let y) = split.train.targets {
                let centred = Tensor<Double>(y) - Tensor<Double>(y).mean(alongAxis: 0, keepingDimension: true)
                loss = relative * (centred * centred).mean()
            }
            if let loss, !((run.last("train_loss") ?? .infinity) <= loss) {
                return "\(run.label) (train loss \(shortNumber(run.last("train_loss") ?? .nan)) > \(shortNumber(loss)))"
            }
            if let accuracy, !((run.last("train_accuracy") ?? 0) >= accuracy) {
                return "\(run.label) (train accuracy \(shortNumber(run.last("train_accuracy") ?? .nan)) < \(shortNumber(accuracy)))"
            }
            return nil
        }
    }
}

/// Numbers in generated sentences.
func shortNumber(_ value: Double) -> String {
    guard value.isFinite else { return value.isNaN ? "–" : (value > 0 ? "∞" : "−∞") }
    return String(format: "%.3g", value)
}

/// Shared reading of loss curves (by the experiments and `noether demo`).
public enum LossCurves {
    /// Stretches of at least `minimumLength` evaluations within a factor 1.2, above `floor`,
    /// ended by a drop below half their lowest loss within 10 evaluations (`dropEnd`: the first
    /// evaluation below that half).
    static func plateaus(_ points: [LineChart.Point], minimumLength: Int = 4, floor: Double = 1e-4)
        -> [(first: Double, last: Double, loss: Double, dropEnd: Double)] {
        plateauRanges(points.map(\.y), minimumLength: minimumLength, floor: floor).map { plateau in
            (points[plateau.evaluations.lowerBound].x, points[plateau.evaluations.upperBound - 1].x, plateau.loss, points[plateau.drop].x)
        }
    }

    /// The plateaus of a loss sequence as evaluation ranges, with their mean loss and the first
    /// evaluation below half their lowest loss (the drop that ends them).
    public static func plateauRanges(_ losses: [Double], minimumLength: Int, floor: Double)
        -> [(evaluations: Range<Int>, loss: Double, drop: Int)] {
        var result: [(Range<Int>, Double, Int)] = []
        var i = 0
        while i + minimumLength < losses.count {
            let window = losses[i..<(i + minimumLength)]
            guard let low = window.min(), let high = window.max(), high < 1.2 * low, low > floor else {
                i += 1
                continue
            }
            var end = i + minimumLength
            while end < losses.count, let high = losses[i...end].max(), let low = losses[i...end].min(), high < 1.2 * low { end += 1 }
            let level = losses[i..<end]
            if let lowest = level.min(), let drop = (end..<min(end + 10, losses.count)).first(where: { losses[$0] < lowest / 2 }) {
                result.append((i..<end, level.reduce(0, +) / Double(level.count), drop))
            }
            i = end
        }
        return result
    }
}
