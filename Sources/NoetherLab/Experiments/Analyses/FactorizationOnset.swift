import Foundation
import NoetherNN
import NoetherSymmetry
import NoetherTensor
import NoetherTraining

/// E3's prediction on the matrix factorisation, where theory makes one: weight decay restores the
/// rank-1 state (hidden units 1…m−1 at zero, by the rotation symmetry any rank-1 state) above
/// γ_c = the γ at which λ_O — the lowest curvature of L_γ along unit 1's weights at the rank-1
/// stationary point — turns positive. Observed: the γ of the sweep at which the end-to-end map
/// loses its second direction.
enum FactorizationOnset {
    /// The end-to-end map W_L ⋯ W_1 of a deep linear network's final parameters.
    static func product(_ parameters: Parameters<Float>) -> Tensor<Double>? {
        var result: Tensor<Double>?
        var layer = 0
        while let weight = parameters["layers.\(layer).weight"] {
            let w = Tensor<Double>(weight)
            result = result.map { w.matmul($0) } ?? w
            layer += 1
        }
        return result
    }

    /// The second singular value of the end-to-end map over the teacher's second singular value.
    static func secondDirection(_ run: ExperimentRun) -> Double {
        guard let map = product(run.result.parameters), let values = try? map.singularValues(), values.count >= 2,
              let teacher = run.config.data.singularValues, teacher.count >= 2, teacher[1] > 0 else { return .nan }
        return values[1] / teacher[1]
    }

    /// The observed onset: the geometric mean of the grid values of γ between which the second
    /// direction falls below `fraction` of the teacher's (nil when it never falls, or is already
    /// lost at the smallest γ).
    static func observed(_ arms: [ExperimentRun], gamma: (RunConfig) -> Double, fraction: Double) -> Double? {
        let learned = arms.map { secondDirection($0) >= fraction }
        guard learned.first == true, let lost = learned.firstIndex(of: false) else { return nil }
        let (below, above) = (gamma(arms[lost - 1].config), gamma(arms[lost].config))
        return (below * above).squareRoot()
    }

    /// The predicted γ_c, by bisection of λ_O(γ) on [0, largest γ] (nil when λ_O keeps its sign).
    static func predicted(_ config: RunConfig, largest: Double, convergeSteps: Int) throws(RunError) -> (gammaC: Double?, lambdaAtZero: Double) {
        let problem = try MirrorProblem(config)
        let units = problem.neuron.units
        guard units >= 2 else { throw RunError("the factorisation needs at least two hidden units for a rank-1 mirror") }
        let subspace = problem.subspace(zeroed: Array(1..<units))
        func lambda(_ gamma: Double) -> Double {
            let point = problem.symmetricMinimum(subspace, weightDecay: gamma, steps: convergeSteps)
            return problem.lowestCurvature(at: point, directions: rankRaising(problem, at: point), weightDecay: gamma).lambda
        }
        return (MirrorStability.criticalWeightDecay(low: 0, high: largest, relativeTolerance: 1e-3, lambda: lambda), lambda(0))
    }

    /// The mirror directions O of the rank-1 state: unit 1's incoming weights orthogonal to unit
    /// 0's and its outgoing weights orthogonal to unit 0's. Along unit 0's own directions unit 1
    /// only rotates the learned direction between the two units — flat by the rotation symmetry,
    /// not a way out of the rank-1 state — so they are left out.
    static func rankRaising(_ problem: MirrorProblem, at point: [Tensor<Double>]) -> [[Tensor<Double>]] {
        let own = MirrorStability.neuronDirections(problem.neuron, unit: 0, names: problem.names, template: point)
        let other = MirrorStability.neuronDirections(problem.neuron, unit: 1, names: problem.names, template: point)
        // Unit 0's coordinates, in the order of the directions (incoming slices, then outgoing).
        let values = own.map { direction in zip(direction, point).reduce(0) { $0 + $1.0.dot($1.1) } }
        // Blocks of consecutive directions in one tensor (a slice: incoming weights, bias, outgoing weights).
        let tensorOf = own.map { direction in direction.firstIndex { $0.squaredNorm() > 0 } ?? -1 }
        guard !tensorOf.isEmpty, other.count == own.count else { return [] }
        var blocks: [Range<Int>] = []
        var start = 0
        for index in 1...tensorOf.count where index == tensorOf.count || tensorOf[index] != tensorOf[start] {
            blocks.append(start..<index)
            start = index
        }
        var result: [[Tensor<Double>]] = []
        for block in blocks {
            for coefficients in orthogonalComplement(of: Array(values[block])) {
                var direction = point.map { Tensor<Double>.zeros($0.shape) }
                for (offset, c) in coefficients.enumerated() where c != 0 {
                    for i in direction.indices { direction[i] = direction[i] + other[block.lowerBound + offset][i] * c }
                }
                result.append(direction)
            }
        }
        return result
    }

    /// An orthonormal basis of the vectors orthogonal to `a` (all of ℝⁿ when a = 0), by
    /// Gram–Schmidt on the coordinate vectors.
    static func orthogonalComplement(of a: [Double]) -> [[Double]] {
        let norm = a.reduce(0) { $0 + $1 * $1 }.squareRoot()
        var basis: [[Double]] = norm > 0 ? [a.map { $0 / norm }] : []
        let seeded = basis.count
        for k in a.indices {
            var v = [Double](repeating: 0, count: a.count)
            v[k] = 1
            for b in basis {
                let dot = zip(v, b).reduce(0) { $0 + $1.0 * $1.1 }
                for i in v.indices { v[i] -= dot * b[i] }
            }
            let length = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if length > 1e-8 { basis.append(v.map { $0 / length }) }
        }
        return Array(basis.dropFirst(seeded))
    }
}
