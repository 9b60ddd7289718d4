import Testing
import NoetherAutograd
import NoetherTensor
@testable import NoetherNN

/// Runs optimiser steps on a single parameter with fixed gradients.
func optimize(_ spec: OptimizerSpec, start: [Double], gradients: [[Double]], learningRate: Double? = nil) -> [Double] {
    var parameters = Parameters<Double>(["w": Tensor(start)])
    var optimizer = Optimizer<Double>(spec, noiseSeed: RandomGenerator(seed: 1))
    for g in gradients {
        let gradient = Tensor(g)
        gradient.withUnsafeBufferPointer { buffer in
            optimizer.update(&parameters, learningRate: learningRate ?? spec.learningRate) { _ in buffer.baseAddress }
        }
    }
    return parameters["w"]!.scalars
}

func close(_ a: [Double], _ b: [Double], _ tolerance: Double = 1e-12) -> Bool {
    zip(a, b).allSatisfy { abs($0 - $1) <= tolerance }
}

@Suite("Optimisers follow PyTorch's update rules")
struct OptimizerTests {
    @Test func plainSGDWithWeightDecay() {
        // w ← w − lr (g + γ w)
        let w = optimize(OptimizerSpec(learningRate: 0.1, weightDecay: 0.5), start: [1, -2], gradients: [[1, 1]])
        #expect(close(w, [1 - 0.1 * (1 + 0.5), -2 - 0.1 * (1 - 1)]))
    }

    @Test func momentumAndNesterovOverTwoSteps() {
        let g1 = 1.0, g2 = -2.0, lr = 0.1, mu = 0.9
        // buf1 = g1; w1 = 1 − lr·buf1; buf2 = μ buf1 + g2; w2 = w1 − lr·buf2
        let heavyBall = optimize(OptimizerSpec(learningRate: lr, momentum: mu), start: [1], gradients: [[g1], [g2]])
        #expect(close(heavyBall, [1 - lr * g1 - lr * (mu * g1 + g2)]))
        // Nesterov: step uses g + μ·buf.
        let nesterov = optimize(OptimizerSpec(learningRate: lr, momentum: mu, nesterov: true), start: [1], gradients: [[g1], [g2]])
        let buf1 = g1, buf2 = mu * buf1 + g2
        #expect(close(nesterov, [1 - lr * (g1 + mu * buf1) - lr * (g2 + mu * buf2)]))
    }

    @Test func adamFirstStepMovesByTheLearningRate() {
        // After bias correction m̂/√v̂ = g/|g|, so the first step is lr·sign(g) (up to ε).
        let w = optimize(OptimizerSpec(kind: .adam, learningRate: 0.01), start: [0.5, 0.5], gradients: [[3, -0.2]])
        #expect(close(w, [0.49, 0.51], 1e-8))
    }

    @Test func adamWDecaysDecoupledFromTheGradient() {
        let spec = OptimizerSpec(kind: .adamw, learningRate: 0.1, weightDecay: 0.5)
        // Zero gradient: only the decay acts, w ← w (1 − lr γ).
        let w = optimize(spec, start: [2], gradients: [[0]])
        #expect(close(w, [2 * (1 - 0.05)]))
        // Adam with L2 decay instead feeds γw into the moments: its first step is lr·sign(γw).
        let adam = optimize(OptimizerSpec(kind: .adam, learningRate: 0.1, weightDecay: 0.5), start: [2], gradients: [[0]])
        #expect(close(adam, [1.9], 1e-7))
    }

    @Test func gradientNoiseIsSeededAndHasTheRequestedScale() {
        let spec = OptimizerSpec(learningRate: 1, gradientNoise: 0.5)
        let start = [Double](repeating: 0, count: 20_000)
        let zeros = [[Double]](repeating: [Double](repeating: 0, count: 20_000), count: 1)
        let a = optimize(spec, start: start, gradients: zeros), b = optimize(spec, start: start, gradients: zeros)
        #expect(a == b)
        let std = (a.reduce(0) { $0 + $1 * $1 } / Double(a.count)).squareRoot()
        #expect(abs(std - 0.5) < 0.01)
    }

    @Test func invalidSettingsAreRejected() {
        #expect(throws: ModelSpecError.self) { try OptimizerSpec(learningRate: -1).validate() }
        #expect(throws: ModelSpecError.self) { try OptimizerSpec(momentum: 1).validate() }
        #expect(throws: ModelSpecError.self) { try OptimizerSpec(nesterov: true).validate() }
    }
}

@Suite("Learning-rate schedules")
struct ScheduleTests {
    @Test func warmupThenCosineReachesTheMinimum() {
        let schedule = ScheduleSpec(kind: .cosine, warmupSteps: 10, minimumLearningRate: 0.01)
        #expect(abs(schedule.learningRate(base: 1, step: 0, totalSteps: 110) - 0.1) < 1e-12)
        #expect(schedule.learningRate(base: 1, step: 10, totalSteps: 110) == 1)
        #expect(abs(schedule.learningRate(base: 1, step: 60, totalSteps: 110) - 0.505) < 1e-12)
        #expect(abs(schedule.learningRate(base: 1, step: 110, totalSteps: 110) - 0.01) < 1e-12)
    }

    @Test func stepDecayMultipliesEveryStepSize() {
        let schedule = ScheduleSpec(kind: .step, stepSize: 100, decay: 0.5)
        #expect(schedule.learningRate(base: 0.8, step: 99, totalSteps: 1000) == 0.8)
        #expect(schedule.learningRate(base: 0.8, step: 100, totalSteps: 1000) == 0.4)
        #expect(schedule.learningRate(base: 0.8, step: 250, totalSteps: 1000) == 0.2)
        #expect(ScheduleSpec().learningRate(base: 0.3, step: 500, totalSteps: 10) == 0.3)
    }
}

@Suite("Training steps")
struct TrainingStepTests {
    @Test func stepsReduceTheLossAndAllocateNothingOnceWarm() throws {
        let spec = ModelSpec.mlp(MLPSpec(input: 4, hidden: [16], output: 3))
        var model = try Model<Float>(spec, generator: RandomGenerator(seed: 1))
        var generator = RandomGenerator(seed: 2)
        let x = Tensor<Float>.normal([32, 4], using: &generator)
        let labels: [Int32] = (0..<32).map { Int32($0 % 3) }
        let step = TrainingStep<Float>(architecture: model.architecture, loss: .crossEntropy)
        var optimizer = Optimizer<Float>(OptimizerSpec(learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4), noiseSeed: generator)
        let first = step.step(&model.parameters, optimizer: &optimizer, inputs: x, targets: .classes(labels), learningRate: 0.1)
        let warm = step.tape.freshAllocations
        var last = first
        for _ in 0..<200 { last = step.step(&model.parameters, optimizer: &optimizer, inputs: x, targets: .classes(labels), learningRate: 0.1) }
        #expect(last < first * 0.5)
        #expect(step.tape.freshAllocations == warm)
    }

    @Test func sgdOnALinearModelMatchesTheClosedFormGradient() throws {
        // One step of SGD on mse for y = W x: ∇W = 2/(N·out) (W X − Y) Xᵀ.
        let spec = ModelSpec.deepLinear(DeepLinearSpec(input: 2, hidden: [], output: 1))
        var model = try Model<Double>(spec, parameters: Parameters(["layers.0.weight": Tensor(rows: [[0.5, -1]])]))
        let x = Tensor<Double>(rows: [[1, 2], [3, -1]])
        let y = Tensor<Double>(rows: [[1], [0]])
        let step = TrainingStep<Double>(architecture: model.architecture, loss: .mse)
        var optimizer = Optimizer<Double>(OptimizerSpec(learningRate: 0.1), noiseSeed: RandomGenerator(seed: 0))
        step.step(&model.parameters, optimizer: &optimizer, inputs: x, targets: .values(y), learningRate: 0.1)
        // predictions: [-1.5, 2.5]; residuals [-2.5, 2.5]; gradient = (2/2)·[-2.5·1 + 2.5·3, -2.5·2 + 2.5·(-1)] = [5, -7.5]
        #expect(close(model.parameters["layers.0.weight"]!.scalars, [0.5 - 0.5, -1 + 0.75]))
    }
}
