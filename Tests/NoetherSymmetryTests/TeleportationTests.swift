import Testing
import NoetherAutograd
import NoetherNN
import NoetherTensor
@testable import NoetherSymmetry

/// Teleportation (DESIGN.md §9): a jump keeps the loss, raises the gradient norm, moves along
/// an exact group action, and its ascent direction is the derivative it claims to be.
@Suite("Teleportation")
struct TeleportationTests {
    static let mlp = ModelSpec.mlp(MLPSpec(input: 6, hidden: [12, 10], output: 3))
    static let deepLinear = ModelSpec.deepLinear(DeepLinearSpec(input: 5, hidden: [4, 4], output: 3))
    static let transformer = ModelSpec.transformer(TransformerSpec(sequenceLength: 4, tokenDimension: 3, width: 8, heads: 2, depth: 1,
                                                                   feedForward: 12, output: 3, activation: .relu))

    /// A random model with a batch of inputs and class labels.
    static func setting(_ spec: ModelSpec, seed: UInt64 = 4) throws -> (Model<Float>, Tensor<Float>, [Int32]) {
        var generator = RandomGenerator(seed: seed)
        let model = try Model<Float>(spec, initializer: InitializerSpec(scheme: .normal), generator: generator.derived("init"))
        let inputs = Tensor<Float>.normal([40, model.architecture.spec.inputCount], using: &generator)
        let labels = (0..<40).map { _ in Int32(generator.next() % 3) }
        return (model, inputs, labels)
    }

    static func outputs(_ model: Model<Float>, _ parameters: Parameters<Float>, _ inputs: Tensor<Float>) throws -> Tensor<Double> {
        Tensor<Double>(try Model<Float>(model.architecture.spec, parameters: parameters)(inputs))
    }

    @Test(arguments: [("mlp rescaling", mlp, "rescaling"), ("deep linear GL", deepLinear, "gl"), ("attention QK/VO", transformer, "gl"),
                      ("all groups of a transformer", transformer, "all")])
    func jumpKeepsTheLossAndRaisesTheGradientNorm(_ name: String, _ spec: ModelSpec, _ group: String) throws {
        let (model, inputs, labels) = try Self.setting(spec)
        let groups = TeleportGroups.select(group, from: SymmetryCatalogue.infer(model.architecture, loss: .crossEntropy))
        #expect(!groups.isEmpty)
        if name.hasPrefix("attention") {
            #expect(groups.contains { $0.kind == .doubleRotation }, "attention's query/key and value/output pairs are GL groups")
        }
        let teleportation = Teleportation(groups: groups, steps: 5)
        let jump = teleportation.jump(model.parameters, architecture: model.architecture, loss: .crossEntropy,
                                      inputs: inputs, targets: .classes(labels))
        #expect(!jump.refused)
        #expect(jump.acceptedSteps > 0)
        #expect(jump.relativeLossChange <= 1e-5)
        #expect(jump.gradientNormAfter > 1.05 * jump.gradientNormBefore)
        #expect(!jump.parameters.bitwiseEquals(model.parameters))
        // The same function on other inputs: the move is a symmetry, not a fit to the batch.
        var generator = RandomGenerator(seed: 99)
        let fresh = Tensor<Float>.normal([30, model.architecture.spec.inputCount], using: &generator)
        let before = try Self.outputs(model, model.parameters, fresh), after = try Self.outputs(model, jump.parameters, fresh)
        #expect((after - before).norm() / before.norm() < 1e-5)
        // Deterministic: no randomness in a jump.
        let again = teleportation.jump(model.parameters, architecture: model.architecture, loss: .crossEntropy,
                                       inputs: inputs, targets: .classes(labels))
        #expect(again.parameters.bitwiseEquals(jump.parameters))
    }

    @Test func aJumpThatChangesTheLossIsRefusedAndUndone() throws {
        let (model, inputs, labels) = try Self.setting(Self.mlp)
        let groups = TeleportGroups.select("all", from: SymmetryCatalogue.infer(model.architecture, loss: .crossEntropy))
        // Float rounding alone changes the loss by ~1e-8; a tolerance below it refuses every move.
        let jump = Teleportation(groups: groups, steps: 5, tolerance: 1e-30)
            .jump(model.parameters, architecture: model.architecture, loss: .crossEntropy, inputs: inputs, targets: .classes(labels))
        #expect(jump.parameters.bitwiseEquals(model.parameters))
        #expect(jump.refused || jump.acceptedSteps == 0)
    }

    /// ½‖∇ℓ(θ)‖² along a one-parameter subgroup, in Float64.
    static func halfSquaredGradientNorm(_ function: LossFunction<Double>, _ parameters: Parameters<Double>) -> Double {
        let (_, gradient) = function.valueAndGradient(function.point(parameters))
        return gradient.reduce(0) { $0 + $1.squaredNorm() } / 2
    }

    /// Smooth apart from attention, so the finite-difference Hessian–vector product crosses no ReLU kink.
    static let smoothTransformer = ModelSpec.transformer(TransformerSpec(sequenceLength: 4, tokenDimension: 3, width: 8, heads: 2, depth: 1,
                                                                         feedForward: 12, output: 3, activation: .tanh))

    @Test(arguments: [("rescaling", mlp, SymmetryKind.rescaling), ("GL of a linear block", deepLinear, .rotation),
                      ("attention double rotation", smoothTransformer, .doubleRotation)])
    func ascentDirectionMatchesFiniteDifferences(_ name: String, _ spec: ModelSpec, _ kind: SymmetryKind) throws {
        let (model, inputs, labels) = try Self.setting(spec, seed: 7)
        let group = try #require(SymmetryCatalogue.infer(model.architecture, loss: .crossEntropy).first { $0.kind == kind })
        let function = LossFunction<Double>(architecture: model.architecture, loss: .crossEntropy, inputs: Tensor<Double>(inputs),
                                            targets: .classes(labels))
        let theta = model.parameters.converted(to: Double.self)
        let (_, gradient) = function.valueAndGradient(function.point(theta))
        let hg = hessianVectorProduct(gradient: { function.gradient($0) }, at: function.point(theta), direction: gradient)
        var named = Parameters<Double>()
        for (name, tensor) in zip(function.names, hg) { named[name] = tensor }
        let derivative = OrbitDirection.derivative(of: group, at: theta, hessianTimesGradient: named)
        // A random algebra direction V: d/dε ½‖∇ℓ(e^{εV}·θ)‖² at 0 must be ⟨derivative, V⟩.
        var generator = RandomGenerator(seed: 11)
        let v = Tensor<Double>.normal(derivative.shape, using: &generator)
        let epsilon = 1e-5
        let plus = Self.halfSquaredGradientNorm(function, group.apply(OrbitDirection.element(of: group, direction: v, step: epsilon), to: theta))
        let minus = Self.halfSquaredGradientNorm(function, group.apply(OrbitDirection.element(of: group, direction: v, step: -epsilon), to: theta))
        let numeric = (plus - minus) / (2 * epsilon)
        let analytic = (derivative * v).sum()
        #expect(abs(numeric - analytic) <= 1e-4 * max(abs(numeric), 1e-3), "numeric \(numeric), analytic \(analytic)")
    }

    @Test func matrixExponentialHasAnExactInverse() {
        var generator = RandomGenerator(seed: 5)
        let a = Tensor<Double>.normal([6, 6], using: &generator) * 1.5
        let product = OrbitDirection.exponential(a).matmul(OrbitDirection.exponential(a * -1))
        #expect((product - .identity(6)).norm() < 1e-10)
        // Diagonal: e^{diag d} = diag e^{d}.
        let d = Tensor<Double>(shape: [3, 3], scalars: [0.5, 0, 0, 0, -1, 0, 0, 0, 2])
        let e = OrbitDirection.exponential(d)
        #expect(abs(e[0, 0] - Double.exp(0.5)) < 1e-12 && abs(e[1, 1] - Double.exp(-1)) < 1e-12 && abs(e[2, 2] - Double.exp(2)) < 1e-11)
        #expect(abs(e[0, 1]) < 1e-14)
    }

    @Test func groupSelection() throws {
        let catalogue = SymmetryCatalogue.infer(try Architecture(Self.transformer), loss: .crossEntropy)
        let all = TeleportGroups.select("all", from: catalogue)
        #expect(all.allSatisfy { [.rescaling, .gatedRescaling, .rotation, .doubleRotation, .groupedDoubleRotation].contains($0.kind) })
        #expect(TeleportGroups.select("rescaling", from: catalogue).allSatisfy { $0.kind == .rescaling })
        #expect(TeleportGroups.select("nonexistent-layer", from: catalogue).isEmpty)
        #expect(Set(TeleportGroups.select("rescaling", from: catalogue) + TeleportGroups.select("gl", from: catalogue)) == Set(all))
    }
}
