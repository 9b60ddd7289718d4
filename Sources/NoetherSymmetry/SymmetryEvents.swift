import Foundation

/// A symmetry breaking or restoration: a tracked count (distinct neurons, rank, dead neurons)
/// moved by at least one and stayed moved for `persistence` consecutive measurements.
///
/// Labelled by the count that moved and the parameter symmetry whose state it measures:
/// `distinct` → permutation, `dead` → rescaling or sign flip, `rank` of a linear block →
/// rotation, head ranks → double rotation. The rank of a nonlinear layer's weight measures no
/// parameter symmetry (DESIGN.md §3), so its events carry no symmetry.
///
/// A `teleport` event is a jump along the symmetry group (DESIGN.md §9), not a change of
/// state: `before`/`after` are the ascent steps tried and accepted, and the gradient norms and
/// the loss after the jump are recorded.
public struct SymmetryEvent: Hashable, Sendable, Codable {
    public enum Kind: String, Codable, Sendable { case breaking, restoration, teleport }

    /// The step of the first measurement that showed the change.
    public let step: Int
    /// The step at which the change was confirmed.
    public let detectedAt: Int
    public let layer: String
    /// The symmetry whose state changed; nil when the count is not the state of a parameter
    /// symmetry (the rank of a nonlinear layer's weight).
    public let symmetry: SymmetryKind?
    /// The count that moved: `distinct`, `rank` or `dead`.
    public let quantity: String
    public let kind: Kind
    public let before: Int
    public let after: Int
    /// The training loss at `step`.
    public let loss: Double
    /// Teleport events: the batch gradient norm before and after the jump, and the batch loss after.
    public var gradientNormBefore: Double?
    public var gradientNormAfter: Double?
    public var lossAfter: Double?

    enum CodingKeys: String, CodingKey {
        case step, detectedAt = "detected_at", layer, symmetry, quantity, kind, before, after, loss
        case gradientNormBefore = "gradient_norm_before", gradientNormAfter = "gradient_norm_after", lossAfter = "loss_after"
    }

    public init(step: Int, detectedAt: Int, layer: String, symmetry: SymmetryKind?, quantity: String, kind: Kind, before: Int, after: Int,
                loss: Double, gradientNormBefore: Double? = nil, gradientNormAfter: Double? = nil, lossAfter: Double? = nil) {
        (self.step, self.detectedAt, self.layer, self.symmetry, self.quantity, self.kind) = (step, detectedAt, layer, symmetry, quantity, kind)
        (self.before, self.after, self.loss) = (before, after, loss)
        (self.gradientNormBefore, self.gradientNormAfter, self.lossAfter) = (gradientNormBefore, gradientNormAfter, lossAfter)
    }

    /// Whether this is a change of symmetry state (a breaking or a restoration), not a teleport jump.
    public var isStateChange: Bool { kind != .teleport }

    public var summary: String {
        if kind == .teleport {
            return "step \(step): teleport along \(layer) (gradient norm \(String(format: "%.4g", gradientNormBefore ?? .nan)) → "
                + "\(String(format: "%.4g", gradientNormAfter ?? .nan)), loss \(String(format: "%.6g", loss)), \(after) of \(before) ascent steps)"
        }
        let what = symmetry.map { "\($0.rawValue) \(kind.rawValue)" } ?? "\(quantity) \(before < after ? "rise" : "drop") (no parameter symmetry)"
        return "step \(step): \(layer) \(what) (\(quantity) \(before) → \(after), loss \(String(format: "%.4g", loss)))"
    }
}

/// Turns a sequence of counts per series into events. A change counts once it persists:
/// `persistence` consecutive measurements on the same side of the last stable value.
public struct EventDetector: Sendable, Codable, Equatable {
    /// One tracked count.
    public struct Series: Hashable, Sendable, Codable {
        public let layer: String
        public let quantity: String
        /// nil for a count that measures no parameter symmetry.
        public let symmetry: SymmetryKind?
        /// Whether a rise of the count is a breaking (distinct, rank) or a restoration (dead).
        public let riseBreaks: Bool

        public init(layer: String, quantity: String, symmetry: SymmetryKind?, riseBreaks: Bool) {
            (self.layer, self.quantity, self.symmetry, self.riseBreaks) = (layer, quantity, symmetry, riseBreaks)
        }

        var key: String { "\(layer)/\(quantity)" }
    }

    struct Candidate: Sendable, Codable, Equatable {
        var firstStep: Int
        var loss: Double
        var rising: Bool
        var count: Int
    }

    public let persistence: Int
    private var stable: [String: Int] = [:]
    private var candidates: [String: Candidate] = [:]

    public init(persistence: Int = 5) { self.persistence = max(1, persistence) }

    /// Feeds one measurement of every series; returns the events it confirms.
    public mutating func observe(step: Int, loss: Double, values: [(Series, Int)]) -> [SymmetryEvent] {
        var events: [SymmetryEvent] = []
        for (series, value) in values {
            let key = series.key
            guard let reference = stable[key] else {
                stable[key] = value
                continue
            }
            if value == reference {
                candidates[key] = nil
                continue
            }
            let rising = value > reference
            var candidate = candidates[key].flatMap { $0.rising == rising ? $0 : nil }
                ?? Candidate(firstStep: step, loss: loss, rising: rising, count: 0)
            candidate.count += 1
            if candidate.count >= persistence {
                events.append(SymmetryEvent(
                    step: candidate.firstStep, detectedAt: step, layer: series.layer, symmetry: series.symmetry,
                    quantity: series.quantity, kind: rising == series.riseBreaks ? .breaking : .restoration,
                    before: reference, after: value, loss: candidate.loss))
                stable[key] = value
                candidates[key] = nil
            } else {
                candidates[key] = candidate
            }
        }
        return events
    }
}
