import NoetherAutograd
import NoetherNN
import NoetherTensor

/// Symmetry teleportation (Zhao, Dehmamy, Walters, Yu 2022; DESIGN.md §9): move θ along its
/// symmetry group to a point of the same loss with a larger gradient norm.
///
/// A jump takes `steps` steps of normalised gradient ascent on the group parameters of every
/// selected group at once: each step moves the algebra coordinates by `rate` (Frobenius norm
/// over all groups) along the derivative of ½‖∇ℓ‖² (``OrbitDirection``), a step that does
/// not raise the gradient norm is undone and the rate halved. Computed in Float64 on one batch;
/// the loss of the Float result is checked against the start (relative ≤ `tolerance`) and a
/// jump that fails the check is refused. No randomness: the same inputs give the same jump.
public struct Teleportation: Sendable {
    public let groups: [SymmetrySpec]
    public let steps: Int
    public let rate: Double
    public let tolerance: Double

    public init(groups: [SymmetrySpec], steps: Int, rate: Double = 0.1, tolerance: Double = 1e-5) {
        (self.groups, self.steps, self.rate, self.tolerance) = (groups, steps, rate, tolerance)
    }

    /// What one jump did.
    public struct Jump: Sendable, Equatable {
        /// The parameters after the jump (the input when it was refused or moved nothing).
        public var parameters: Parameters<Float>
        public var lossBefore: Double
        public var lossAfter: Double
        public var gradientNormBefore: Double
        public var gradientNormAfter: Double
        /// Ascent steps that raised the gradient norm.
        public var acceptedSteps: Int
        /// Whether the loss check failed and the jump was undone.
        public var refused: Bool

        /// |ℓ(after) − ℓ(before)| / |ℓ(before)| (absolute when ℓ(before) = 0).
        public var relativeLossChange: Double { abs(lossAfter - lossBefore) / (lossBefore == 0 ? 1 : abs(lossBefore)) }
    }

    /// One jump of `parameters` on the batch (`inputs`, `targets`).
    public func jump(_ parameters: Parameters<Float>, architecture: Architecture, loss: LossKind,
                     inputs: Tensor<Float>, targets: Targets<Float>) -> Jump {
        let doubleTargets: Targets<Double> = switch targets {
        case .classes(let labels): .classes(labels)
        case .values(let values): .values(Tensor<Double>(values))
        }
        let function = LossFunction<Double>(architecture: architecture, loss: loss, inputs: Tensor<Double>(inputs), targets: doubleTargets)
        let start = parameters.converted(to: Double.self)
        let (startLoss, startGradient) = evaluate(function, start)
        var current = start, currentGradient = startGradient
        var currentNorm = norm(startGradient)
        var step = rate, accepted = 0
        for _ in 0..<steps {
            let point = function.point(current)
            let hg = hessianVectorProduct(gradient: { function.gradient($0) }, at: point, direction: currentGradient)
            let hgParameters = Parameters(names: function.names, hg)
            let directions = groups.map { OrbitDirection.derivative(of: $0, at: current, hessianTimesGradient: hgParameters) }
            let size = directions.reduce(0) { $0 + $1.squaredNorm() }.squareRoot()
            guard size > 0, size.isFinite else { break }
            var candidate = current
            for (spec, direction) in zip(groups, directions) {
                candidate = spec.apply(OrbitDirection.element(of: spec, direction: direction, step: step / size), to: candidate)
            }
            let (candidateLoss, candidateGradient) = evaluate(function, candidate)
            let candidateNorm = norm(candidateGradient)
            if candidateNorm > currentNorm, candidateNorm.isFinite, relativeChange(candidateLoss, startLoss) <= tolerance {
                (current, currentGradient, currentNorm) = (candidate, candidateGradient, candidateNorm)
                accepted += 1
            } else {
                step /= 2
            }
        }
        // The check that counts: the loss of the Float parameters training continues from.
        let result = current.converted(to: Float.self)
        let (finalLoss, finalGradient) = evaluate(function, result.converted(to: Double.self))
        let startNorm = norm(startGradient)
        guard relativeChange(finalLoss, startLoss) <= tolerance, finalLoss.isFinite else {
            return Jump(parameters: parameters, lossBefore: startLoss, lossAfter: finalLoss, gradientNormBefore: startNorm,
                        gradientNormAfter: norm(finalGradient), acceptedSteps: accepted, refused: true)
        }
        return Jump(parameters: accepted == 0 ? parameters : result, lossBefore: startLoss, lossAfter: accepted == 0 ? startLoss : finalLoss,
                    gradientNormBefore: startNorm, gradientNormAfter: accepted == 0 ? startNorm : norm(finalGradient),
                    acceptedSteps: accepted, refused: false)
    }

    private func evaluate(_ function: LossFunction<Double>, _ parameters: Parameters<Double>) -> (Double, [Tensor<Double>]) {
        function.valueAndGradient(function.point(parameters))
    }

    private func norm(_ gradient: [Tensor<Double>]) -> Double { gradient.reduce(0) { $0 + $1.squaredNorm() }.squareRoot() }

    private func relativeChange(_ value: Double, _ reference: Double) -> Double {
        abs(value - reference) / (reference == 0 ? 1 : abs(reference))
    }
}

extension Parameters {
    /// Parameters from names and tensors in the same order.
    init(names: [String], _ tensors: [Tensor<Scalar>]) {
        self.init()
        for (name, tensor) in zip(names, tensors) { self[name] = tensor }
    }
}
