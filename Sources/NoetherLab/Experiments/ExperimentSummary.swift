import Foundation
import NoetherSweeps
import NoetherTraining

/// `summary.json` of an experiment: the contract reports, tests and users rely on.
public struct ExperimentSummary: Codable, Sendable {
    /// One seed's verdict and the numbers behind it.
    public struct SeedRecord: Codable, Sendable, Equatable {
        public var seed: UInt64
        public var verdict: Verdict
        public var reason: String?
        public var evidence: [String: JSONValue]
    }

    /// A negative control: the criterion evaluated with the cause removed.
    public struct ControlRecord: Codable, Sendable, Equatable {
        public var name: String
        public var causeRemoved: String
        public var verdict: Verdict
        /// Each effect of the criterion as "mean [95% interval]", and each seed's verdict.
        public var evidence: [String: JSONValue]
        public var seeds: [SeedRecord]
        public var effects: [Effect]

        enum CodingKeys: String, CodingKey { case name, causeRemoved = "cause_removed", verdict, evidence, seeds, effects }
    }

    public var experiment: String
    public var title: String
    public var claim: String
    public var source: String?
    public var cause: String
    public var criterion: String
    public var fit: String?
    public var verdict: Verdict
    /// True exactly when `verdict` is `holds`.
    public var holds: Bool
    /// Seeds that must hold, out of those run.
    public var requiredSeeds: Int
    public var seeds: [SeedRecord]
    public var controls: [ControlRecord]
    public var effects: [Effect]
    public var predictions: [Prediction]
    public var settings: [String: JSONValue]
    public var ours: [String]
    public var notes: [String]
    public var quick: Bool
    /// The run directories, relative to the experiment directory.
    public var runs: [String]
    public var wallTimeSeconds: Double

    enum CodingKeys: String, CodingKey {
        case experiment, title, claim, source, cause, criterion, fit, verdict, holds, seeds, controls, effects, predictions
        case settings, ours, notes, quick, runs
        case requiredSeeds = "required_seeds", wallTimeSeconds = "wall_time_seconds"
    }

    /// One sentence stating the verdict and its count, generated from the numbers.
    public var verdictSentence: String {
        let holding = seeds.count { $0.verdict == .holds }
        let count = "\(holding) of \(seeds.count) seeds hold (\(requiredSeeds) required)"
        let failedControls = controls.filter { $0.verdict != .doesNotHold }.map(\.name)
        switch verdict {
        case .holds: return "The claim holds: \(count), and every negative control fails the criterion."
        case .doesNotHold: return "The claim does not hold: \(count)."
        case .inconclusive:
            if !failedControls.isEmpty && seeds.count { $0.verdict == .holds } >= requiredSeeds {
                return "Inconclusive: \(count), but the negative control\(failedControls.count > 1 ? "s" : "") \(failedControls.joined(separator: ", ")) did not fail the criterion."
            }
            return "Inconclusive: \(count); \(seeds.count { $0.verdict == .inconclusive }) seed(s) could not be decided."
        }
    }
}
