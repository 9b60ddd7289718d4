import Foundation
import NoetherSweeps
import NoetherTraining

/// The outcome of a criterion: on one seed, on a control, or for the whole experiment.
public enum Verdict: String, Codable, Sendable {
    case holds
    case doesNotHold = "does not hold"
    /// The criterion could not be decided: a run did not fit or did not finish, too few seeds,
    /// or a negative control passed the criterion too.
    case inconclusive

    /// Combines per-seed verdicts by a pre-registered count: `required` seeds must hold.
    /// Inconclusive seeds that could have made the count leave the result inconclusive; fewer
    /// seeds than `minimum` cannot give a verdict.
    public static func combining(_ seeds: [Verdict], required: Int, minimum: Int) -> Verdict {
        let holding = seeds.count { $0 == .holds }
        let undecided = seeds.count { $0 == .inconclusive }
        if seeds.count < minimum { return .inconclusive }
        if holding >= required { return .holds }
        return holding + undecided >= required ? .inconclusive : .doesNotHold
    }

    /// The experiment's verdict: the main arms' verdict, unless it holds while a control does
    /// not fail — then the criterion does not separate the cause from its absence.
    public static func experiment(main: Verdict, controls: [Verdict]) -> Verdict {
        guard main == .holds else { return main }
        return controls.allSatisfy { $0 == .doesNotHold } ? .holds : .inconclusive
    }
}

/// What an analysis concludes on one seed's runs.
public struct SeedEvaluation: Sendable {
    public var verdict: Verdict
    /// Why the seed is not `holds`, in words (generated from the numbers).
    public var reason: String?
    public var evidence: [String: JSONValue]
    /// The numbers the criterion compares, by name, in the order they are reported.
    public var effects: [(name: String, value: Double)]
    /// Theory's numbers against the observed ones.
    public var predictions: [(name: String, predicted: Double, observed: Double)]

    public init(verdict: Verdict, reason: String? = nil, evidence: [String: JSONValue] = [:],
                effects: [(name: String, value: Double)] = [], predictions: [(name: String, predicted: Double, observed: Double)] = []) {
        (self.verdict, self.reason, self.evidence, self.effects, self.predictions) = (verdict, reason, evidence, effects, predictions)
    }

    /// The verdict of a criterion that is `met`, unless the runs did not fit (`unfit` names
    /// those that did not): such a seed is inconclusive, never a pass.
    public static func decide(_ met: Bool, unfit: [String], failing reason: @autoclosure () -> String) -> (Verdict, String?) {
        if !unfit.isEmpty { return (.inconclusive, "did not reach the required fit: \(unfit.joined(separator: ", "))") }
        return met ? (.holds, nil) : (.doesNotHold, reason())
    }
}

/// A quantity of a criterion over seeds: mean and 95% t-interval.
public struct Effect: Codable, Sendable, Equatable {
    public var name: String
    public var mean: Double
    public var ci95: [Double]
    public var n: Int

    public init(name: String, values: [Double]) {
        let finite = values.filter(\.isFinite)
        self.name = name
        n = finite.count
        mean = finite.isEmpty ? .nan : finite.reduce(0, +) / Double(finite.count)
        let half = Self.halfWidth(finite)
        ci95 = [mean - half, mean + half]
    }

    /// t_{0.975, n−1} · s/√n (infinite for fewer than two values).
    public static func halfWidth(_ values: [Double]) -> Double {
        guard values.count >= 2 else { return .infinity }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        return tQuantile975(degreesOfFreedom: values.count - 1) * (variance / Double(values.count)).squareRoot()
    }

    /// The 0.975 quantile of Student's t distribution.
    public static func tQuantile975(degreesOfFreedom k: Int) -> Double {
        let table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                     2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                     2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]
        if k >= 1 && k <= table.count { return table[k - 1] }
        if k > table.count { return 1.96 + 2.4 / Double(k) }   // within 0.002 of the exact value beyond 30
        return .infinity
    }

    /// "mean [lo, hi]" with 3 significant digits.
    public var text: String {
        let f = { (v: Double) in v.isFinite ? String(format: "%.3g", v) : (v.isNaN ? "–" : (v > 0 ? "∞" : "−∞")) }
        return n >= 2 ? "\(f(mean)) [\(f(ci95[0])), \(f(ci95[1]))]" : f(mean)
    }

    /// The effects named in `evaluations`, in their first order, over the evaluations.
    public static func collect(_ evaluations: [SeedEvaluation]) -> [Effect] {
        var order: [String] = []
        var values: [String: [Double]] = [:]
        for evaluation in evaluations {
            for (name, value) in evaluation.effects {
                if values[name] == nil { order.append(name) }
                values[name, default: []].append(value)
            }
        }
        return order.map { Effect(name: $0, values: values[$0] ?? []) }
    }
}

/// Theory's number against the observed one, averaged over seeds.
public struct Prediction: Codable, Sendable, Equatable {
    public var name: String
    public var predicted: Double
    public var observed: Double
    public var predictedCI95: [Double]
    public var observedCI95: [Double]
    public var n: Int

    enum CodingKeys: String, CodingKey {
        case name, predicted, observed, n
        case predictedCI95 = "predicted_ci95", observedCI95 = "observed_ci95"
    }

    public static func collect(_ evaluations: [SeedEvaluation]) -> [Prediction] {
        var order: [String] = []
        var values: [String: [(Double, Double)]] = [:]
        for evaluation in evaluations {
            for p in evaluation.predictions {
                if values[p.name] == nil { order.append(p.name) }
                values[p.name, default: []].append((p.predicted, p.observed))
            }
        }
        return order.map { name in
            let pairs = values[name] ?? []
            let (predicted, observed) = (Effect(name: name, values: pairs.map(\.0)), Effect(name: name, values: pairs.map(\.1)))
            return Prediction(name: name, predicted: predicted.mean, observed: observed.mean,
                              predictedCI95: predicted.ci95, observedCI95: observed.ci95, n: observed.n)
        }
    }
}
