import RealModule
import NoetherNN
import NoetherTensor

/// The Lie-algebra side of teleportation: how the squared gradient norm changes along a
/// group's orbit, and the group element a step along that change is.
///
/// A rescaling moves unit u's covariant slices by e^{t_u}, its contravariant ones by e^{−t_u};
/// a GL group (rotation, double rotation) moves covariant unit vectors by M = e^{D} and
/// contravariant ones by M⁻ᵀ = e^{−Dᵀ}. With g = ∇ℓ(θ) and H its Hessian,
/// d/dε ½‖∇ℓ(θ(ε))‖² = ⟨Hg, dθ/dε⟩, so one Hessian–vector product Hg gives the derivative
/// along every generator at once:
///
///     rescaling:  ∂/∂t_u = Σ_cov ⟨(Hg)_u, θ_u⟩ − Σ_contra ⟨(Hg)_u, θ_u⟩
///     GL:         ∂/∂D   = Σ_cov (Hg) θᵀ − Σ_contra θ (Hg)ᵀ     (units × units)
enum OrbitDirection {
    /// The derivative of ½‖∇ℓ‖² with respect to the group's algebra coordinates at the
    /// identity: a `[units, 1]` column for a rescaling, a `[units, units]` matrix for GL.
    static func derivative(of spec: SymmetrySpec, at point: Parameters<Double>, hessianTimesGradient hg: Parameters<Double>) -> Tensor<Double> {
        let isGL = TeleportGroups.isGeneralLinear(spec.kind)
        var result = Tensor<Double>.zeros(isGL ? [spec.units, spec.units] : [spec.units, 1])
        for (slices, sign) in [(spec.incoming, 1.0), (spec.outgoing, -1.0)] {
            for slice in slices {
                guard let theta = point[slice.name], let h = hg[slice.name] else { continue }
                let x = UnitMatrix.read(theta, slice, units: spec.units)
                let y = UnitMatrix.read(h, slice, units: spec.units)
                if isGL {
                    // Covariant: (Hg) θᵀ; contravariant: −θ (Hg)ᵀ.
                    result = result + (sign > 0 ? y.matmul(x, transposeOther: true) : x.matmul(y, transposeOther: true) * -1)
                } else {
                    result = result + (x * y).sum(alongAxis: 1, keepingDimension: true) * sign
                }
            }
        }
        return result
    }

    /// The group element e^{step·direction} (for GL with its exact inverse transpose e^{−step·directionᵀ}).
    static func element(of spec: SymmetrySpec, direction: Tensor<Double>, step: Double) -> GroupElement {
        if TeleportGroups.isGeneralLinear(spec.kind) {
            let a = direction * step
            return .rotation(matrix: exponential(a), inverseTranspose: exponential(a * -1).transposed())
        }
        return .rescaling(direction.scalars.map { Double.exp(step * $0) })
    }

    /// The matrix exponential by scaling and squaring: e^A = (e^{A/2^s})^{2^s} with
    /// ‖A/2^s‖_F ≤ ½ and an 18-term Taylor series (error far below Float precision).
    static func exponential(_ a: Tensor<Double>) -> Tensor<Double> {
        let n = a.shape[0]
        let norm = a.squaredNorm().squareRoot()
        var squarings = 0
        var scaled = norm
        while scaled > 0.5 && squarings < 60 { scaled /= 2; squarings += 1 }
        let b = a * (1 / Double(UInt64(1) << UInt64(squarings)))
        var result = Tensor<Double>.identity(n), term = Tensor<Double>.identity(n)
        for k in 1...18 {
            term = term.matmul(b) * (1 / Double(k))
            result = result + term
        }
        for _ in 0..<squarings { result = result.matmul(result) }
        return result
    }
}
