import Testing
import NoetherAutograd
import NoetherNN
import NoetherTensor
@testable import NoetherSymmetry

/// A teacher–student regression batch: x ~ N(0, I₅), y = tanh(x·v).
func regressionBatch(samples: Int = 64, inputs: Int = 5, seed: UInt64 = 3) -> (Tensor<Double>, Tensor<Double>) {
    var generator = RandomGenerator(seed: seed)
    let x = Tensor<Double>.normal([samples, inputs], using: &generator)
    let v = Tensor<Double>.normal([inputs, 1], using: &generator)
    return (x, x.matmul(v).map(.tanh))
}

/// Full-batch gradient descent on a Float64 model, returning the parameters after each step.
func descend(_ model: Model<Double>, inputs: Tensor<Double>, targets: Tensor<Double>, steps: Int, learningRate: Double,
             weightDecay: Double = 0) -> [Parameters<Double>] {
    var parameters = model.parameters
    let step = TrainingStep<Double>(architecture: model.architecture, loss: .mse)
    var optimizer = Optimizer<Double>(OptimizerSpec(learningRate: learningRate, weightDecay: weightDecay), noiseSeed: RandomGenerator(seed: 0))
    var trajectory: [Parameters<Double>] = []
    for _ in 0..<steps {
        step.step(&parameters, optimizer: &optimizer, inputs: inputs, targets: .values(targets), learningRate: learningRate)
        trajectory.append(parameters)
    }
    return trajectory
}

@Suite("Symmetry dynamics: conserved quantities, reduced models, mirror stability")
struct DynamicsTests {
    let spec = ModelSpec.mlp(MLPSpec(input: 5, hidden: [8], output: 1, activation: .relu))

    @Test func rescalingBalanceIsConservedWithoutWeightDecay() throws {
        let model = try Model<Double>(spec, generator: RandomGenerator(seed: 1))
        let rescaling = try #require(try SymmetryCatalogue.infer(spec).first { $0.kind == .rescaling })
        let (x, y) = regressionBatch()
        let start = ConservedQuantities.rescalingBalance(rescaling, model.parameters)
        let end = try #require(descend(model, inputs: x, targets: y, steps: 1000, learningRate: 1e-3).last)
        let drift = ConservedQuantities.drift(from: start, to: ConservedQuantities.rescalingBalance(rescaling, end))
        #expect(drift < 1e-3)
        // The weights themselves did move.
        #expect((end["layers.0.weight"]! - model.parameters["layers.0.weight"]!).norm() > 1e-2)
    }

    @Test func weightDecayShrinksTheBalanceAsExpMinusTwoGammaT() throws {
        let model = try Model<Double>(spec, generator: RandomGenerator(seed: 1))
        let rescaling = try #require(try SymmetryCatalogue.infer(spec).first { $0.kind == .rescaling })
        let (x, y) = regressionBatch()
        let (gamma, rate, steps) = (0.2, 1e-3, 1000)
        let start = ConservedQuantities.rescalingBalance(rescaling, model.parameters)
        let end = try #require(descend(model, inputs: x, targets: y, steps: steps, learningRate: rate, weightDecay: gamma).last)
        let predicted = start.map { $0 * Double.exp(-2 * gamma * rate * Double(steps)) }
        let error = ConservedQuantities.drift(from: predicted, to: ConservedQuantities.rescalingBalance(rescaling, end))
        #expect(error < 0.05)
    }

    @Test func rotationMatrixIsConservedInALinearBlock() throws {
        let linear = ModelSpec.deepLinear(DeepLinearSpec(input: 5, hidden: [4], output: 1))
        let model = try Model<Double>(linear, generator: RandomGenerator(seed: 2))
        let rotation = try #require(try SymmetryCatalogue.infer(linear).first { $0.kind == .rotation })
        let (x, y) = regressionBatch()
        let start = ConservedQuantities.rotationMatrix(rotation, model.parameters).scalars
        let end = try #require(descend(model, inputs: x, targets: y, steps: 500, learningRate: 1e-3).last)
        #expect(ConservedQuantities.drift(from: start, to: ConservedQuantities.rotationMatrix(rotation, end).scalars) < 1e-3)
    }

    @Test func reducedModelFollowsTheFullModelFromASymmetricStart() throws {
        let wide = ModelSpec.mlp(MLPSpec(input: 5, hidden: [8], output: 1, activation: .tanh))
        let model = try Model<Double>(wide, generator: RandomGenerator(seed: 5))
        let permutation = try #require(try SymmetryCatalogue.infer(wide).first { $0.kind == .permutation })
        let (x, y) = regressionBatch()
        let function = LossFunction(architecture: model.architecture, loss: .mse, inputs: x, targets: .values(y))
        // Θ_G: neurons 0 = 1 and 2 = 3 (two transpositions), neuron 5 at zero (a sign mirror).
        let subspace = SymmetricSubspace(spec: permutation, tiedPairs: [(0, 1), (2, 3)], zeroedUnits: [5],
                                         names: function.names, shapes: model.architecture.layout.map(\.shape))
        let perNeuron = 5 + 1 + 1
        #expect(subspace.fullDimension == model.parameters.scalarCount)
        #expect(subspace.dimension == subspace.fullDimension - 2 * perNeuron - perNeuron)
        let start = subspace.project(function.point(model.parameters))
        var full = model
        full.parameters = Parameters(.init(uniqueKeysWithValues: zip(function.names, start)))
        let trajectory = descend(full, inputs: x, targets: y, steps: 500, learningRate: 0.05, weightDecay: 1e-3)
        var reduced = ReducedModel(subspace: subspace, function: function, start: start)
        var worst = 0.0
        for parameters in trajectory {
            reduced.step(learningRate: 0.05, weightDecay: 1e-3)
            let a = function.point(parameters), b = reduced.point
            let difference = zip(a, b).reduce(0) { $0 + ($1.0 - $1.1).squaredNorm() }.squareRoot()
            let size = a.reduce(0) { $0 + $1.squaredNorm() }.squareRoot()
            worst = max(worst, difference / size)
        }
        #expect(worst < 1e-5)
        // And the full trajectory never left Θ_G.
        let last = try #require(trajectory.last)
        let point = function.point(last)
        let offSubspace = zip(point, subspace.project(point)).reduce(0) { $0 + ($1.0 - $1.1).squaredNorm() }.squareRoot()
        #expect(offSubspace < 1e-10)
    }

    @Test func mirrorStabilityFindsTheCriticalWeightDecayOfATwoParameterModel() throws {
        // f(x) = u·w·x with loss mean((uwx − y)²): at u = w = 0 the Hessian is [[0, −2c], [−2c, 0]]
        // with c = mean(xy), so λ_O(γ) = γ − 2|c| and γ_c = 2|c|.
        let tiny = ModelSpec.deepLinear(DeepLinearSpec(input: 1, hidden: [1], output: 1))
        let architecture = try Architecture(tiny)
        var generator = RandomGenerator(seed: 9)
        let x = Tensor<Double>.normal([200, 1], using: &generator)
        let y = x * 0.8 + Tensor<Double>.normal([200, 1], standardDeviation: 0.1, using: &generator)
        let c = (x * y).mean()
        let function = LossFunction(architecture: architecture, loss: .mse, inputs: x, targets: .values(y))
        let origin = [Tensor<Double>.zeros([1, 1]), Tensor<Double>.zeros([1, 1])]
        let mirror = try #require(try SymmetryCatalogue.infer(tiny).first { $0.kind == .signFlip })
        let directions = MirrorStability.neuronDirections(mirror, unit: 0, names: function.names, template: origin)
        #expect(directions.count == 2)
        let lambda = { (gamma: Double) in
            MirrorStability.curvature(of: function, at: origin, directions: directions, weightDecay: gamma).lowest
        }
        #expect(lambda(0) < 0)
        let critical = try #require(MirrorStability.criticalWeightDecay(low: 0, high: 10, lambda: lambda))
        #expect(abs(critical - 2 * abs(c)) / (2 * abs(c)) < 0.05)
        #expect(lambda(1.2 * critical) > 0 && lambda(0.8 * critical) < 0)
    }
}
import RealModule
