import Foundation
import NoetherTensor
import NoetherTraining
import RealModule

/// A sweep (`GRID.yaml`): a base run config and the settings to vary — a grid (every
/// combination) and/or random samples — expanded into an indexed list of trials.
public struct SweepSpec: Codable, Sendable {
    /// One randomly searched setting.
    public struct Distribution: Codable, Sendable {
        public var uniform: [Double]?
        public var logUniform: [Double]?
        public var intUniform: [Int]?
        public var choice: [JSONValue]?

        func draw(_ generator: inout RandomGenerator) throws(RunError) -> JSONValue {
            if let r = uniform, r.count == 2 { return .number(generator.uniform(r[0], r[1])) }
            if let r = logUniform, r.count == 2, r[0] > 0, r[1] > 0 {
                return .number(Double.exp(generator.uniform(Double.log(r[0]), Double.log(r[1]))))
            }
            if let r = intUniform, r.count == 2, r[1] >= r[0], r[0] > -(1 << 52), r[1] < 1 << 52 {
                return .number(Double(r[0] + generator.index(below: r[1] - r[0] + 1)))
            }
            if let c = choice, !c.isEmpty { return c[generator.index(below: c.count)] }
            throw RunError("a random setting needs one of uniform: [low, high], log_uniform: [low, high] (positive), int_uniform: [low, high] (|values| < 2⁵²) or choice: [values]")
        }
    }

    public struct RandomSearch: Codable, Sendable {
        public var samples: Int
        public var seed: UInt64?
        public var space: [String: Distribution]
    }

    public var name: String
    public var base: RunConfig
    /// Every combination of these values (keys are dotted config paths; `seed` too).
    public var grid: [String: [JSONValue]]?
    /// Random samples for every grid combination.
    public var random: RandomSearch?
    /// The metric the sweep report plots against each swept key (default: test_loss).
    public var metric: String?
    /// The sweep directory (default: sweeps/<name>).
    public var output: String?

    /// The sweep directory.
    public var directory: String { output ?? "sweeps/\(name)" }

    /// The trials in a deterministic order: grid keys sorted, the last key varying fastest;
    /// for each grid point `random.samples` draws seeded by the sweep's seed and trial index.
    public func expand() throws(RunError) -> [Trial] {
        let keys = (grid ?? [:]).keys.sorted()
        var points: [[String: JSONValue]] = [[:]]
        for key in keys {
            guard let values = grid?[key], !values.isEmpty else { throw RunError("grid key '\(key)' has no values") }
            points = points.flatMap { point in values.map { value in point.merging([key: value]) { $1 } } }
        }
        var settings: [[String: JSONValue]] = []
        for point in points {
            guard let random else { settings.append(point); continue }
            guard random.samples > 0 else { throw RunError("random.samples must be positive") }
            for sample in 0..<random.samples {
                var generator = RandomGenerator(seed: random.seed ?? 0).derived("trial \(settings.count) sample \(sample)")
                var drawn = point
                for key in random.space.keys.sorted() { drawn[key] = try random.space[key]?.draw(&generator) }
                settings.append(drawn)
            }
        }
        return try settings.enumerated().map { (index, overrides) throws(RunError) in
            var config = try ConfigOverrides.apply(overrides.mapValues(\.foundation), to: base, source: "\(name) trial \(index)")
            // The hash covers what the trial computes, not where it sits in the list.
            config.name = name
            config.output = nil
            let hash = config.contentHash
            // Named by content too, so a trial whose index moves (grid values inserted before
            // it) keeps the config its run directory records, and resumes.
            config.name = "\(name)-\(hash.prefix(8))"
            return Trial(index: index, hash: hash, overrides: overrides, config: config)
        }
    }
}

extension SweepSpec {
    /// The keys the sweep varies (grid and random), sorted; `seed` among them if it is swept.
    public var sweptKeys: [String] {
        Array(Set((grid ?? [:]).keys).union((random?.space ?? [:]).keys)).sorted()
    }
}
