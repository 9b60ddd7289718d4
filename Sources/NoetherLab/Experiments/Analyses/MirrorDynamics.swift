import Foundation
import NoetherData
import NoetherIO
import NoetherNN
import NoetherSweeps
import NoetherSymmetry
import NoetherTensor
import NoetherTraining

/// Full-batch gradient descent in Float64 on a run config's model and training data, with the
/// mirror symmetries of its first hidden layer: what E11 and E12 compute without training runs.
struct MirrorProblem {
    let function: LossFunction<Double>
    let permutation: SymmetrySpec
    /// The sign-flip or rescaling mirror of a single neuron.
    let neuron: SymmetrySpec
    let shapes: [Shape]
    let learningRate: Double
    let start: [Tensor<Double>]

    init(_ config: RunConfig) throws(RunError) {
        let generator = RandomGenerator(seed: config.seed)
        let split: DataSplit
        do { split = try config.data.load(using: generator.derived("data")) } catch { throw RunError(error) }
        guard case .values(let y) = split.train.targets else { throw RunError("the mirror experiments need a regression task") }
        do {
            let model = try Model<Double>(config.model, initializer: config.initializer, generator: generator.derived("init"))
            let catalogue = try SymmetryCatalogue.infer(config.model, loss: .mse)
            guard let permutation = catalogue.first(where: { $0.kind == .permutation && $0.layer == "layers.0" }),
                  let neuron = catalogue.first(where: { ($0.kind == .signFlip || $0.kind == .rescaling) && $0.layer == "layers.0" }) else {
                throw RunError("the model's first hidden layer has no permutation and neuron mirror")
            }
            function = LossFunction(architecture: model.architecture, loss: .mse, inputs: Tensor<Double>(split.train.inputs), targets: .values(Tensor<Double>(y)))
            (self.permutation, self.neuron) = (permutation, neuron)
            shapes = model.architecture.layout.map(\.shape)
            start = function.point(model.parameters)
        } catch let error as RunError { throw error } catch { throw RunError("\(error)") }
        learningRate = config.optimizer.learningRate
    }

    var names: [String] { function.names }

    /// Θ_G of units tied in pairs and units at zero.
    func subspace(tied: [(Int, Int)] = [], zeroed: [Int] = []) -> SymmetricSubspace {
        SymmetricSubspace(spec: permutation, tiedPairs: tied, zeroedUnits: zeroed, names: names, shapes: shapes)
    }

    /// One step of θ ← θ − η(∇ℓ + γθ).
    func step(_ point: inout [Tensor<Double>], weightDecay: Double) {
        let gradient = function.gradient(point, weightDecay: weightDecay)
        for i in point.indices { point[i] = point[i] - gradient[i] * learningRate }
    }

    /// A stationary point of L_γ inside Θ_G: gradient descent on the reduced model from the
    /// projection of the initialisation.
    func symmetricMinimum(_ subspace: SymmetricSubspace, weightDecay: Double, steps: Int) -> [Tensor<Double>] {
        var reduced = ReducedModel(subspace: subspace, function: function, start: subspace.project(start))
        for _ in 0..<steps { reduced.step(learningRate: learningRate, weightDecay: weightDecay) }
        return reduced.point
    }

    /// λ_O and its eigenvector (as a combination of `directions`) at `point`.
    func lowestCurvature(at point: [Tensor<Double>], directions: [[Tensor<Double>]], weightDecay: Double) -> (lambda: Double, vector: [Tensor<Double>]) {
        let (_, matrix) = MirrorStability.curvature(of: function, at: point, directions: directions, weightDecay: weightDecay)
        guard let eigen = try? matrix.symmetricEigendecomposition(computeVectors: true), let lowest = eigen.eigenvalues.scalars.first else {
            return (.nan, directions.first ?? [])
        }
        var vector = point.map { Tensor<Double>.zeros($0.shape) }
        for (k, direction) in directions.enumerated() {
            let weight = eigen.eigenvectors[k, 0]
            for i in vector.indices { vector[i] = vector[i] + direction[i] * weight }
        }
        return (lowest, vector)
    }

    static func norm(_ v: [Tensor<Double>]) -> Double { v.reduce(0) { $0 + $1.squaredNorm() }.squareRoot() }

    static func distance(_ a: [Tensor<Double>], _ b: [Tensor<Double>]) -> Double {
        zip(a, b).reduce(0) { $0 + ($1.0 - $1.1).squaredNorm() }.squareRoot()
    }

    /// A random unit vector in the span of `directions`.
    static func randomDirection(_ directions: [[Tensor<Double>]], using generator: inout RandomGenerator) -> [Tensor<Double>] {
        guard let first = directions.first else { return [] }
        var vector = first.map { Tensor<Double>.zeros($0.shape) }
        for direction in directions {
            let weight = generator.normal()
            for i in vector.indices { vector[i] = vector[i] + direction[i] * weight }
        }
        let size = max(norm(vector), 1e-300)
        return vector.map { $0 * (1 / size) }
    }
}

/// E11 (the paper's Theorem 1): from a state with tied units, gradient descent stays in Θ_G to
/// machine precision and follows the reduced model; from an ε-perturbed symmetric stationary
/// point it escapes in a time ≈ ln(1/ε)/|λ_O|, λ_O the lowest curvature along the mirror.
struct SymmetricInitAnalysis: ExperimentAnalysis {
    /// Evaluations computed for the verdicts, reused by the figure (keyed by variant and seed).
    final class Memo { var evaluations: [String: SeedEvaluation] = [:] }
    let memo = Memo()

    func evaluate(_ context: SeedContext) throws(RunError) -> SeedEvaluation {
        let key = "\(context.control?.name ?? "")/\(context.seed)"
        if let known = memo.evaluations[key] { return known }
        let evaluation = try compute(context)
        memo.evaluations[key] = evaluation
        return evaluation
    }

    func compute(_ context: SeedContext) throws(RunError) -> SeedEvaluation {
        let spec = context.spec
        let problem = try MirrorProblem(try context.baseConfiguration())
        let pairs = [(0, 1), (2, 3)].filter { $0.1 < problem.permutation.units }
        let subspace = problem.subspace(tied: pairs)
        let gamma = try context.baseConfiguration().optimizer.weightDecay
        // Theorem 1: the full trajectory from a symmetric start against the reduced model.
        let checkSteps = Int(spec.parameter("check_steps", default: 500))
        var full = subspace.project(problem.start)
        var reduced = ReducedModel(subspace: subspace, function: problem.function, start: full)
        var offSubspace = 0.0, fromReduced = 0.0
        for _ in 0..<checkSteps {
            problem.step(&full, weightDecay: gamma)
            reduced.step(learningRate: problem.learningRate, weightDecay: gamma)
            let size = max(MirrorProblem.norm(full), 1e-300)
            offSubspace = max(offSubspace, MirrorProblem.distance(full, subspace.project(full)) / size)
            fromReduced = max(fromReduced, MirrorProblem.distance(full, reduced.point) / size)
        }
        // Escape from the symmetric stationary point.
        let minimum = problem.symmetricMinimum(subspace, weightDecay: gamma, steps: Int(spec.parameter("converge_steps", default: 4000)))
        let directions = pairs.flatMap { MirrorStability.permutationDirections(problem.permutation, units: $0.0, $0.1, names: problem.names, template: minimum) }
        let (lambda, _) = problem.lowestCurvature(at: minimum, directions: directions, weightDecay: gamma)
        var generator = RandomGenerator(seed: context.seed).derived("E11 perturbation")
        let direction = MirrorProblem.randomDirection(directions, using: &generator)
        let threshold = spec.parameter("escape_distance", default: 0.1)
        let maximumSteps = Int(spec.parameter("max_steps", default: 20000))
        let exponents = (spec.parameters?["epsilon_exponents"]?.array ?? [-8, -7, -6, -5, -4, -3, -2].map { .number($0) }).compactMap(\.number)
        var escapes: [(logInverse: Double, time: Double)] = []
        for exponent in exponents {
            let epsilon = pow(10, exponent)
            var point = zip(minimum, direction).map { $0 + $1 * epsilon }
            var steps = 0
            while steps < maximumSteps, MirrorProblem.distance(point, subspace.project(point)) < threshold {
                problem.step(&point, weightDecay: gamma)
                steps += 1
            }
            if steps < maximumSteps { escapes.append((log(1 / epsilon), Double(steps) * problem.learningRate)) }
        }
        let slope = Self.slope(escapes)
        let predictedSlope = lambda < 0 ? 1 / -lambda : .infinity
        var evidence: [String: JSONValue] = [
            "largest relative distance to Θ_G from a symmetric start": .number(offSubspace),
            "largest relative distance to the reduced model's trajectory": .number(fromReduced),
            "λ_O at the symmetric stationary point": .number(lambda),
            "ε": .array(exponents.map { .number(pow(10, $0)) }),
            "escape time (learning rate × steps) of each ε that escaped": .array(escapes.map { .number($0.time) }),
        ]
        evidence["reduced model parameters / full"] = .string("\(subspace.dimension) / \(subspace.fullDimension)")
        let tolerance = spec.parameter("slope_tolerance", default: 0.25)
        var failures: [String] = []
        if !(offSubspace <= 1e-10) { failures.append("a symmetric start leaves Θ_G by \(shortNumber(offSubspace))") }
        if !(fromReduced <= 1e-8) { failures.append("the full trajectory differs from the reduced model's by \(shortNumber(fromReduced))") }
        if !(lambda < 0) { failures.append("λ_O = \(shortNumber(lambda)) ≥ 0: the symmetric point is stable, nothing escapes") }
        if escapes.count < exponents.count { failures.append("\(exponents.count - escapes.count) of \(exponents.count) perturbations did not escape within \(maximumSteps) steps") }
        if !(abs(slope / predictedSlope - 1) <= tolerance) { failures.append("escape-time slope \(shortNumber(slope)) against the predicted 1/|λ_O| = \(shortNumber(predictedSlope))") }
        let (verdict, reason) = SeedEvaluation.decide(failures.isEmpty, unfit: [], failing: failures.joined(separator: "; "))
        return SeedEvaluation(verdict: verdict, reason: reason, evidence: evidence, effects: [
            ("largest relative distance to Θ_G from a symmetric start", offSubspace),
            ("observed / predicted escape-time slope", slope / predictedSlope),
        ], predictions: [("escape time per unit of ln(1/ε) (1/|λ_O|)", predictedSlope, slope)])
    }

    /// The least-squares slope of y against x.
    static func slope(_ points: [(logInverse: Double, time: Double)]) -> Double {
        guard points.count >= 2 else { return .nan }
        let mx = points.reduce(0) { $0 + $1.logInverse } / Double(points.count)
        let my = points.reduce(0) { $0 + $1.time } / Double(points.count)
        let sxy = points.reduce(0) { $0 + ($1.logInverse - mx) * ($1.time - my) }
        let sxx = points.reduce(0) { $0 + ($1.logInverse - mx) * ($1.logInverse - mx) }
        return sxx > 0 ? sxy / sxx : .nan
    }

    func figures(_ study: ExperimentStudy) throws(RunError) -> [Figure] {
        func points(_ seeds: [SeedContext]) -> [[LineChart.Point]] {
            seeds.compactMap { seed in
                guard let evaluation = try? evaluate(seed), let times = evidenceArray(evaluation, "escape time (learning rate × steps) of each ε that escaped"),
                      let epsilons = evidenceArray(evaluation, "ε") else { return nil }
                return zip(epsilons, times).map { LineChart.Point(log(1 / $0), $1) }
            }
        }
        let observed = points(study.main)
        var series = [SeedBands.series("observed escape time", color: 0, observed)]
        for (index, control) in study.controls.enumerated() { series.append(SeedBands.series("control \(control.control.name)", color: 1 + index, dashed: true, points(control.seeds))) }
        return [.lines(LineChart(title: "Escape from a symmetric stationary point", xLabel: "ln(1/ε)", yLabel: "learning rate × steps to distance \(shortNumber(study.spec.parameter("escape_distance", default: 0.1))) from Θ_G",
                                 series: series, caption: "Mean over \(study.main.count) seeds with 95% bands. Theory: a line of slope 1/|λ_O|; the summary's predictions table gives predicted and observed slopes."))]
    }

    func evidenceArray(_ evaluation: SeedEvaluation, _ key: String) -> [Double]? { evaluation.evidence[key]?.array?.compactMap(\.number) }
}

/// E12: weight decay restores a mirror symmetry above γ_c = −λ_min(OᵀHO): the predicted γ_c
/// (from Hessian–vector products at the symmetric stationary point of each γ) against the γ at
/// which a small perturbation off the mirror is observed to decay rather than grow.
struct CriticalWeightDecayAnalysis: ExperimentAnalysis {
    enum Mirror: CaseIterable {
        case deadNeuron, tiedPair

        var label: String { self == .deadNeuron ? "dead neuron" : "tied pair" }
    }

    /// What one mirror gives: the predicted and the observed onset of restoration.
    struct Onsets {
        var lambdaAtZero: Double
        var predicted: Double?
        var observed: Double?
    }

    func onsets(_ problem: MirrorProblem, _ mirror: Mirror, spec: ExperimentSpec, decayScale: Double, seed: UInt64) -> Onsets {
        let subspace = mirror == .deadNeuron ? problem.subspace(zeroed: [0]) : problem.subspace(tied: [(0, 1)])
        let converge = Int(spec.parameter("converge_steps", default: 3000))
        func directions(_ point: [Tensor<Double>]) -> [[Tensor<Double>]] {
            mirror == .deadNeuron
                ? MirrorStability.neuronDirections(problem.neuron, unit: 0, names: problem.names, template: point)
                : MirrorStability.permutationDirections(problem.permutation, units: 0, 1, names: problem.names, template: point)
        }
        func lambda(_ gamma: Double) -> Double {
            let point = problem.symmetricMinimum(subspace, weightDecay: gamma, steps: converge)
            return problem.lowestCurvature(at: point, directions: directions(point), weightDecay: gamma).lambda
        }
        let (low, high) = (spec.parameter("gamma_low", default: 0), spec.parameter("gamma_high", default: 1))
        let predicted = MirrorStability.criticalWeightDecay(low: low, high: high, relativeTolerance: 1e-3, lambda: lambda)
        // Observed: does a perturbation of size ε off Θ_G shrink (restored) or grow (broken)?
        var generator = RandomGenerator(seed: seed).derived("E12 \(mirror.label)")
        let epsilon = spec.parameter("epsilon", default: 1e-3)
        let steps = Int(spec.parameter("observe_steps", default: 3000))
        let template = problem.symmetricMinimum(subspace, weightDecay: 0, steps: 1)
        let direction = MirrorProblem.randomDirection(directions(template), using: &generator)
        func restores(_ gamma: Double) -> Bool {
            let effective = gamma * decayScale
            let minimum = problem.symmetricMinimum(subspace, weightDecay: effective, steps: converge)
            var point = zip(minimum, direction).map { $0 + $1 * epsilon }
            for _ in 0..<steps { problem.step(&point, weightDecay: effective) }
            return MirrorProblem.distance(point, subspace.project(point)) < epsilon
        }
        var observed: Double?
        if !restores(low), restores(high) {
            var (a, b) = (low, high)
            for _ in 0..<Int(spec.parameter("bisection_steps", default: 10)) {
                let middle = (a + b) / 2
                if restores(middle) { b = middle } else { a = middle }
            }
            observed = (a + b) / 2
        }
        return Onsets(lambdaAtZero: lambda(0), predicted: predicted, observed: observed)
    }

    func evaluate(_ context: SeedContext) throws(RunError) -> SeedEvaluation {
        let config = try context.baseConfiguration()
        let problem = try MirrorProblem(config)
        // optimizer.weight_decay scales every γ the observation uses: 1 in the experiment, 0 in
        // the control that removes weight decay.
        let scale = config.optimizer.weightDecay
        let tolerance = context.spec.parameter("onset_tolerance", default: 0.25)
        var evidence: [String: JSONValue] = [:], effects: [(name: String, value: Double)] = []
        var predictions: [(name: String, predicted: Double, observed: Double)] = []
        var failures: [String] = []
        for mirror in Mirror.allCases {
            let result = onsets(problem, mirror, spec: context.spec, decayScale: scale, seed: context.seed)
            evidence["\(mirror.label): λ_O at γ = 0"] = .number(result.lambdaAtZero)
            let (predicted, observed) = (result.predicted ?? .nan, result.observed ?? .nan)
            predictions.append(("γ_c of the \(mirror.label) mirror", predicted, observed))
            effects.append(("\(mirror.label): observed / predicted γ_c", observed / predicted))
            if result.predicted == nil { failures.append("\(mirror.label): λ_O does not change sign in the γ range") }
            if result.observed == nil { failures.append("\(mirror.label): no restoration onset observed in the γ range") }
            if !(abs(observed / predicted - 1) <= tolerance) { failures.append("\(mirror.label): observed onset \(shortNumber(observed)) against predicted γ_c \(shortNumber(predicted))") }
        }
        let (verdict, reason) = SeedEvaluation.decide(failures.isEmpty, unfit: [], failing: failures.joined(separator: "; "))
        return SeedEvaluation(verdict: verdict, reason: reason, evidence: evidence, effects: effects, predictions: predictions)
    }

    func figures(_ study: ExperimentStudy) throws(RunError) -> [Figure] {
        // The summary's predictions table carries the numbers; one chart of λ_O(γ) for the first seed.
        guard let first = study.main.first else { return [] }
        let problem = try MirrorProblem(try first.baseConfiguration())
        let (low, high) = (study.spec.parameter("gamma_low", default: 0), study.spec.parameter("gamma_high", default: 1))
        let converge = Int(study.spec.parameter("converge_steps", default: 3000))
        var series: [LineChart.Series] = []
        for (index, mirror) in Mirror.allCases.enumerated() {
            let subspace = mirror == .deadNeuron ? problem.subspace(zeroed: [0]) : problem.subspace(tied: [(0, 1)])
            let points = (0...8).map { k -> LineChart.Point in
                let gamma = low + (high - low) * Double(k) / 8
                let point = problem.symmetricMinimum(subspace, weightDecay: gamma, steps: converge)
                let directions = mirror == .deadNeuron
                    ? MirrorStability.neuronDirections(problem.neuron, unit: 0, names: problem.names, template: point)
                    : MirrorStability.permutationDirections(problem.permutation, units: 0, 1, names: problem.names, template: point)
                return .init(gamma, problem.lowestCurvature(at: point, directions: directions, weightDecay: gamma).lambda)
            }
            series.append(.init(name: "λ_O, \(mirror.label)", points: points, color: index))
        }
        return [.lines(LineChart(title: "Mirror stability against weight decay (seed \(first.seed))", xLabel: "weight decay γ", yLabel: "λ_O = min eig(Oᵀ∇²L_γ O)",
                                 series: series, caption: "The symmetric state is restored where λ_O > 0; the crossing is the predicted γ_c."))]
    }
}
