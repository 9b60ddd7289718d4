/// How the learning rate changes over training: an optional linear warm-up, then constant,
/// step decay (× `decay` every `stepSize` steps) or cosine annealing to `minimumLearningRate`.
public struct ScheduleSpec: Hashable, Sendable, Codable {
    public enum Kind: String, Codable, Sendable { case constant, step, cosine }
    public var kind: Kind
    public var warmupSteps: Int
    public var stepSize: Int
    public var decay: Double
    public var minimumLearningRate: Double

    public init(kind: Kind = .constant, warmupSteps: Int = 0, stepSize: Int = 1000, decay: Double = 0.1, minimumLearningRate: Double = 0) {
        (self.kind, self.warmupSteps, self.stepSize, self.decay, self.minimumLearningRate) = (kind, warmupSteps, stepSize, decay, minimumLearningRate)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            kind: try c.decodeIfPresent(Kind.self, forKey: .kind) ?? .constant,
            warmupSteps: try c.decodeIfPresent(Int.self, forKey: .warmupSteps) ?? 0,
            stepSize: try c.decodeIfPresent(Int.self, forKey: .stepSize) ?? 1000,
            decay: try c.decodeIfPresent(Double.self, forKey: .decay) ?? 0.1,
            minimumLearningRate: try c.decodeIfPresent(Double.self, forKey: .minimumLearningRate) ?? 0)
    }

    public func validate() throws(ModelSpecError) {
        guard warmupSteps >= 0 else { throw ModelSpecError("schedule.warmup_steps must be ≥ 0") }
        guard stepSize > 0 else { throw ModelSpecError("schedule.step_size must be positive") }
        guard decay > 0 else { throw ModelSpecError("schedule.decay must be positive") }
        guard minimumLearningRate >= 0 else { throw ModelSpecError("schedule.minimum_learning_rate must be ≥ 0") }
    }

    /// The learning rate of step `step` (0-based) out of `totalSteps`.
    public func learningRate(base: Double, step: Int, totalSteps: Int) -> Double {
        if step < warmupSteps { return base * Double(step + 1) / Double(warmupSteps) }
        let t = step - warmupSteps
        switch kind {
        case .constant:
            return base
        case .step:
            return base * Double.pow(decay, Double(t / stepSize))
        case .cosine:
            let span = max(totalSteps - warmupSteps, 1)
            let progress = min(Double(t) / Double(span), 1)
            return minimumLearningRate + (base - minimumLearningRate) * (1 + Double.cos(Double.pi * progress)) / 2
        }
    }
}
import RealModule
