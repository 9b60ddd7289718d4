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
        case .rescaling, .scale, .normScale:
            return .rescaling((0..<units).map { _ in Double.exp(generator.uniform(-0.7, 0.7)) })
        case .gatedRescaling:
            // Any c ≠ 0: a gated unit's sign flips with its scale.
            return .rescaling((0..<units).map { _ in Double.exp(generator.uniform(-0.7, 0.7)) * (generator.bernoulli(0.5) ? -1 : 1) })
        case .signFlip:
            var signs = (0..<units).map { _ in generator.bernoulli(0.5) ? -1.0 : 1.0 }
            if !signs.contains(-1) { signs[0] = -1 }
            return .signFlip(signs)
        case .residualStreamRotation:
            let gaussian = Tensor<Double>.normal([units, units], using: &generator)
            let q = (try? gaussian.svd().u) ?? .identity(units)
            return .rotation(matrix: q, inverseTranspose: q)
        case .ropeRotation:
            return Self.rotaryCommutingElement(units: units, using: &generator)
        case .rotation, .doubleRotation, .groupedDoubleRotation:
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

    /// M = s_k R(φ_k) on each RoPE frequency pair (i, i + d/2): it commutes with every rotary
    /// rotation, and M⁻ᵀ = R(φ_k)/s_k.
    static func rotaryCommutingElement(units: Int, using generator: inout RandomGenerator) -> GroupElement {
        let half = units / 2
        var m = Tensor<Double>.zeros([units, units]), inverseTranspose = Tensor<Double>.zeros([units, units])
        m.withUnsafeMutableBufferPointer { a in
            inverseTranspose.withUnsafeMutableBufferPointer { b in
                for i in 0..<half {
                    let (s, phi) = (Double.exp(generator.uniform(-0.5, 0.5)), generator.uniform(-Double.pi, Double.pi))
                    let (c, n, j) = (Double.cos(phi), Double.sin(phi), i + half)
                    for (target, scale) in [(a, s), (b, 1 / s)] {
                        target[i * units + i] = scale * c
                        target[i * units + j] = -scale * n
                        target[j * units + i] = scale * n
                        target[j * units + j] = scale * c
                    }
                }
            }
        }
        return .rotation(matrix: m, inverseTranspose: inverseTranspose)
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
