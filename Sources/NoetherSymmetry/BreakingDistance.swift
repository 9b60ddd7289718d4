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
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public init<Scalar: TensorScalar>(_ spec: SymmetrySpec, _ parameters: Parameters<Scalar>) {
        let u = spec.kind == .translation
            ? Tensor.concatenate(spec.incoming.compactMap { s in parameters[s.name].map { UnitMatrix.read($0, s, units: spec.units) } }, alongAxis: 1)
            : UnitMatrix.neurons(spec, parameters)
        self.init(spec, neurons: u, gram: spec.kind == .translation ? nil : u.gramMatrix(ofRows: true))
    }

    /// Measures `spec` from its unit matrix U (for translations, of the incoming slices only)
    /// and, for the other kinds, its Gram matrix U Uᵀ.
    init(_ spec: SymmetrySpec, neurons u: Tensor<Double>, gram: Tensor<Double>?) {
        kind = spec.kind
        layer = spec.layer
        let total = u.norm()
        let m = spec.units
        // Row norms and pair distances come from the Gram matrix: ‖u_i − u_j‖² = G_ii + G_jj − 2G_ij.
        let g = gram ?? .zeros([m, m])
        let (nearestPair, smallestRow): (Double, Double) = g.withUnsafeBufferPointer { p in
            var pair = Double.infinity, row = Double.infinity
            for i in 0..<m {
                row = min(row, max(p[i * m + i], 0).squareRoot())
                for j in (i + 1)..<max(m, i + 1) {
                    pair = min(pair, max(p[i * m + i] + p[j * m + j] - 2 * p[i * m + j], 0))
                }
            }
            return (pair.squareRoot() / 2.squareRoot(), row)
        }
        switch spec.kind {
        case .permutation:
            let mean = u.mean(alongAxis: 0, keepingDimension: true)
            group = (u - mean).norm()
            nearestMirror = nearestPair.isFinite ? nearestPair : 0
        case .rescaling, .signFlip, .scale, .gatedRescaling, .normScale:
            group = total
            nearestMirror = smallestRow.isFinite ? smallestRow : 0
        case .rotation, .doubleRotation, .groupedDoubleRotation, .ropeRotation, .residualStreamRotation:
            group = total
            let smallest = (try? g.symmetricEigendecomposition(computeVectors: false).eigenvalues.scalars.first) ?? 0
            nearestMirror = max(smallest, 0).squareRoot()
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
