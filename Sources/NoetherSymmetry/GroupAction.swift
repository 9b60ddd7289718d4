import NoetherNN
import NoetherTensor

/// One element of a symmetry's group.
public enum GroupElement: Sendable {
    /// Unit u of the result is unit `order[u]` of the argument.
    case permutation([Int])
    /// Unit u's covariant slices × c_u, contravariant ÷ c_u (c_u > 0).
    case rescaling([Double])
    /// Unit u's slices × s_u, s_u = ±1.
    case signFlip([Double])
    /// Covariant unit vectors ↦ M·, contravariant ↦ M⁻ᵀ· (rotation and double rotation).
    case rotation(matrix: Tensor<Double>, inverseTranspose: Tensor<Double>)
    /// Every covariant slice shifted by draws of standard deviation `magnitude` from `seed`
    /// (one shift shared by all units when the symmetry is uniform).
    case translation(seed: UInt64, magnitude: Double)
}

extension SymmetrySpec {
    /// A random element of the group, away from the identity.
    public func randomElement(using generator: inout RandomGenerator) -> GroupElement {
        switch kind {
        case .permutation:
            var order = generator.permutation(units)
            if units > 1 && order == Array(0..<units) { order.swapAt(0, 1) }
            return .permutation(order)
        case .rescaling, .scale:
            return .rescaling((0..<units).map { _ in Double.exp(generator.uniform(-0.7, 0.7)) })
        case .signFlip:
            var signs = (0..<units).map { _ in generator.bernoulli(0.5) ? -1.0 : 1.0 }
            if !signs.contains(-1) { signs[0] = -1 }
            return .signFlip(signs)
        case .rotation, .doubleRotation:
            // M = Q·D: a random orthogonal Q and positive scales D, so M⁻ᵀ = Q·D⁻¹ exactly.
            let gaussian = Tensor<Double>.normal([units, units], using: &generator)
            let q = (try? gaussian.svd().u) ?? .identity(units)
            let scales = (0..<units).map { _ in Double.exp(generator.uniform(-0.5, 0.5)) }
            return .rotation(matrix: q * Tensor(shape: [1, units], scalars: scales),
                             inverseTranspose: q * Tensor(shape: [1, units], scalars: scales.map { 1 / $0 }))
        case .translation:
            return .translation(seed: generator.next(), magnitude: 1)
        }
    }

    /// The parameters moved by `element`: a pure function, θ ↦ g·θ.
    public func apply<Scalar: TensorScalar>(_ element: GroupElement, to parameters: Parameters<Scalar>) -> Parameters<Scalar> {
        var result = parameters
        for (slices, covariant) in [(incoming, true), (outgoing, false)] {
            for (index, slice) in slices.enumerated() {
                guard var tensor = result[slice.name] else { continue }
                let x = UnitMatrix.read(tensor, slice, units: units)
                let moved: Tensor<Double>
                switch element {
                case .permutation(let order):
                    moved = x.gatherRows(order)
                case .rescaling(let c):
                    let factors = covariant ? c : c.map { 1 / $0 }
                    moved = x * Tensor(shape: [units, 1], scalars: factors)
                case .signFlip(let s):
                    moved = x * Tensor(shape: [units, 1], scalars: s)
                case .rotation(let m, let mInverseTranspose):
                    moved = (covariant ? m : mInverseTranspose).matmul(x)
                case .translation(let seed, let magnitude):
                    guard covariant else { continue }
                    var stream = RandomGenerator(seed: seed).derived("\(index)")
                    let shift = Tensor<Double>.normal(uniform ? [1, x.shape[1]] : x.shape, standardDeviation: magnitude, using: &stream)
                    moved = x + shift
                }
                UnitMatrix.write(moved, into: &tensor, slice, units: units)
                result[slice.name] = tensor
            }
        }
        return result
    }
}
import RealModule
