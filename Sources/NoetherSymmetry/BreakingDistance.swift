import NoetherNN
import NoetherTensor

/// How far parameters are from a symmetry's symmetric states (ΔG, DESIGN.md §3).
public struct BreakingDistance: Hashable, Sendable, Codable {
    public let kind: SymmetryKind
    public let layer: String
    /// ‖θ − P_G θ‖ over the symmetry's slices, for its whole group G (for rescaling, sign flip
    /// and rotation the only fully symmetric state is 0, so this is ‖θ‖).
    public let group: Double
    /// The same divided by ‖θ‖ of the slices.
    public let relativeGroup: Double
    /// The distance to the nearest mirror-symmetric state: the closest pair of neurons
    /// ‖u_i − u_j‖/√2 (permutation), the smallest neuron ‖u_i‖ (rescaling, sign flip), the
    /// smallest direction √λ_min(U Uᵀ) (rotations), or the uniform component (translation).
    public let nearestMirror: Double
    public let relativeNearestMirror: Double

    /// Measures `spec` on `parameters`.
    public init<Scalar: TensorScalar>(_ spec: SymmetrySpec, _ parameters: Parameters<Scalar>) {
        kind = spec.kind
        layer = spec.layer
        let u = spec.kind == .translation
            ? Tensor.concatenate(spec.incoming.compactMap { s in parameters[s.name].map { UnitMatrix.read($0, s, units: spec.units) } }, alongAxis: 1)
            : UnitMatrix.neurons(spec, parameters)
        let total = u.norm()
        let m = spec.units
        switch spec.kind {
        case .permutation:
            let mean = u.mean(alongAxis: 0, keepingDimension: true)
            group = (u - mean).norm()
            let gram = u.matmul(u, transposeOther: true)
            var nearest = Double.infinity
            for i in 0..<m {
                for j in (i + 1)..<max(m, i + 1) {
                    nearest = min(nearest, max(gram[i, i] + gram[j, j] - 2 * gram[i, j], 0).squareRoot() / 2.squareRoot())
                }
            }
            nearestMirror = nearest.isFinite ? nearest : 0
        case .rescaling, .signFlip, .scale:
            group = total
            nearestMirror = (0..<m).map { u.slice(alongAxis: 0, $0..<($0 + 1)).norm() }.min() ?? 0
        case .rotation, .doubleRotation:
            group = total
            let gram = u.matmul(u, transposeOther: true)
            let smallest = (try? gram.symmetricEigendecomposition(computeVectors: false).eigenvalues.scalars.first) ?? 0
            nearestMirror = max(smallest ?? 0, 0).squareRoot()
        case .translation:
            if spec.uniform {
                group = (u.mean(alongAxis: 0, keepingDimension: true) * Double(m).squareRoot()).norm()
            } else {
                group = total
            }
            nearestMirror = group
        }
        relativeGroup = total > 0 ? group / total : 0
        relativeNearestMirror = total > 0 ? nearestMirror / total : 0
    }
}
