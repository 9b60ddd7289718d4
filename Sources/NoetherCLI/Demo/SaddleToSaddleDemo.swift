import Foundation
import Noether

/// `noether demo`: saddle-to-saddle learning on the staircase task (the paper's Figure 2), on
/// built-in data in a few seconds.
///
/// A two-layer ReLU network learns x₁ + x₁x₂ + x₁x₂x₃ + x₁x₂x₃x₄ on x ∈ {±1}³⁰ from two
/// initialisations. Started near the symmetric state θ = 0 (init scale 0.01) it sits on loss
/// plateaus that end in sudden drops, and its first layer stays low-rank: the rotation symmetry
/// of the 26 irrelevant input directions is never broken, and it generalises. Started at the
/// standard scale the symmetry is broken from the start: no plateaus, a full-rank first layer
/// and a far higher test loss.
public enum SaddleToSaddleDemo {
    /// One evaluation point.
    public struct Point: Sendable {
        public let step: Int
        public let trainLoss: Double
        public let testLoss: Double
        /// Singular values of the first layer's weight matrix, descending.
        public let singularValues: [Double]

        /// rank_τ(W₁) = #{k : σ_k > τ·σ_max}.
        public func rank(threshold: Double = 0.1) -> Int {
            let largest = singularValues.first ?? 0
            return singularValues.filter { $0 > threshold * largest }.count
        }
    }

    /// A stretch of evaluations over which the training loss stays within 20%, followed by a
    /// drop to below half of it.
    public struct Plateau: Sendable, Equatable {
        public let firstStep: Int
        public let lastStep: Int
        public let loss: Double
    }

    /// The init scales the demo compares.
    public static let initScales = [0.01, 1.0]

    /// The config the demo trains at one init scale.
    public static func config(initScale: Double, seed: UInt64 = 0) -> RunConfig {
        var data = DataSpec(kind: .staircase)
        (data.dimension, data.degree, data.train, data.test) = (30, 4, 2000, 1000)
        return RunConfig(
            name: "demo-staircase-init-\(initScale)", seed: seed,
            model: .mlp(MLPSpec(input: 30, hidden: [64], output: 1, activation: .relu)),
            initializer: InitializerSpec(scheme: .pytorch, scale: initScale),
            data: data, loss: .mse,
            optimizer: OptimizerSpec(kind: .sgd, learningRate: 0.02),
            training: TrainingSpec(steps: 8000, batchSize: 200, evalEvery: 50))
    }

    /// Records the first layer's spectrum at every evaluation.
    final class SpectrumRecorder: TrainingCallback {
        var points: [Point] = []
        func evaluationDidFinish(_ state: TrainingState, metrics: [String: Double]) {
            let weight = state.parameters["layers.0.weight"].map { Tensor<Double>($0) }
            let values = weight.flatMap { try? $0.singularValues() } ?? []
            points.append(Point(step: state.step, trainLoss: metrics["train_loss"] ?? .nan,
                                testLoss: metrics["test_loss"] ?? .nan, singularValues: values))
        }
    }

    /// Trains the demo model at one init scale and returns its trajectory.
    public static func run(initScale: Double, seed: UInt64 = 0, showsProgress: Bool = false) throws(RunError) -> [Point] {
        let recorder = SpectrumRecorder()
        let trainer = ConfigTrainer(config: config(initScale: initScale, seed: seed),
                              options: TrainingOptions(showsProgress: showsProgress), callbacks: [recorder])
        _ = try trainer.run()
        return recorder.points
    }

    /// The plateaus of a trajectory: at least `minimumLength` evaluations within a factor 1.2,
    /// above `floor`, ended by a drop below half their lowest loss within 10 evaluations.
    public static func plateaus(_ points: [Point], minimumLength: Int = 6, floor: Double = 1e-4) -> [Plateau] {
        LossCurves.plateauRanges(points.map(\.trainLoss), minimumLength: minimumLength, floor: floor).map { plateau in
            Plateau(firstStep: points[plateau.evaluations.lowerBound].step, lastStep: points[plateau.evaluations.upperBound - 1].step,
                    loss: plateau.loss)
        }
    }
}
