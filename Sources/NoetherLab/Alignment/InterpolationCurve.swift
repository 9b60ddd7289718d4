import NoetherData
import NoetherNN
import NoetherSymmetry
import NoetherTensor
import NoetherTraining

/// Loss and error along the segment θ(α) = (1−α)θ_A + αθ_B, and its barrier (DESIGN.md §9):
/// B = max_α [L(θ(α)) − ((1−α)L(θ_A) + αL(θ_B))], for train and test loss and error.
public struct InterpolationCurve: Codable, Sendable, Equatable {
    public var alphas: [Double]
    public var trainLoss: [Double]
    public var testLoss: [Double]
    public var trainError: [Double]
    public var testError: [Double]
    public var barrier: Barrier

    public struct Barrier: Codable, Sendable, Equatable {
        public var trainLoss: Double
        public var testLoss: Double
        public var trainError: Double
        public var testError: Double

        enum CodingKeys: String, CodingKey { case trainLoss = "train_loss", testLoss = "test_loss", trainError = "train_error", testError = "test_error" }
    }

    enum CodingKeys: String, CodingKey {
        case alphas, trainLoss = "train_loss", testLoss = "test_loss", trainError = "train_error", testError = "test_error", barrier
    }

    /// The barrier of one curve sampled at `alphas`: the largest excess over the chord.
    public static func barrier(_ values: [Double], alphas: [Double]) -> Double {
        guard let first = values.first, let last = values.last else { return 0 }
        return zip(alphas, values).map { alpha, value in value - ((1 - alpha) * first + alpha * last) }.max() ?? 0
    }

    /// Evaluates `points` evenly spaced α in [0, 1] (≥ 2). Error is 1 − accuracy (for
    /// regression targets, the loss stands in for it).
    public static func measure(_ spec: ModelSpec, _ a: Parameters<Float>, _ b: Parameters<Float>, train: Dataset, test: Dataset,
                               loss: LossKind, points: Int = 25) throws(AlignmentError) -> InterpolationCurve {
        guard points >= 2 else { throw AlignmentError("--points must be at least 2, got \(points)") }
        let architecture: Architecture
        do { architecture = try Architecture(spec) } catch { throw AlignmentError("model: \(error.description)") }
        let alphas = (0..<points).map { Double($0) / Double(points - 1) }
        var curve = InterpolationCurve(alphas: alphas, trainLoss: [], testLoss: [], trainError: [], testError: [],
                                       barrier: Barrier(trainLoss: 0, testLoss: 0, trainError: 0, testError: 0))
        let predict: (Parameters<Float>, Tensor<Float>) -> Tensor<Float> = { parameters, inputs in
            (try? Model(spec, parameters: parameters)).map { $0(inputs) } ?? Tensor.zeros([inputs.shape[0], architecture.outputCount])
        }
        for alpha in alphas {
            let point = interpolate(a, b, alpha)
            for (dataset, isTrain) in [(train, true), (test, false)] {
                let (value, accuracy) = Evaluation.evaluate(point, on: dataset, loss: loss, predict: predict)
                let error = accuracy.map { 1 - $0 } ?? value
                if isTrain { curve.trainLoss.append(value); curve.trainError.append(error) } else { curve.testLoss.append(value); curve.testError.append(error) }
            }
        }
        curve.barrier = Barrier(trainLoss: barrier(curve.trainLoss, alphas: alphas), testLoss: barrier(curve.testLoss, alphas: alphas),
                                trainError: barrier(curve.trainError, alphas: alphas), testError: barrier(curve.testError, alphas: alphas))
        return curve
    }

    /// (1−α)·a + α·b, tensor by tensor (both in one layout).
    public static func interpolate(_ a: Parameters<Float>, _ b: Parameters<Float>, _ alpha: Double) -> Parameters<Float> {
        a.mapTensors { name, x in
            guard let y = b[name] else { return x }
            return x * Float(1 - alpha) + y * Float(alpha)
        }
    }
}
