import NoetherAutograd
import NoetherNN
import NoetherTensor

/// Whether weight decay holds a symmetric state (Ziyin 2024, "Symmetry Induces Structure and
/// Constraint of Learning", Thm. 1): for the mirror directions O of the state,
/// λ_O = min eig(Oᵀ ∇²L_γ O). λ_O > 0: the symmetric state is a stable minimum along O and
/// weight decay keeps the symmetry; λ_O < 0: training breaks it.
///
/// The Hessian enters only through Hessian–vector products (central differences of tape
/// gradients, see `hessianVectorProduct`).
public enum MirrorStability {
    /// λ_O and the k × k matrix Oᵀ∇²L_γ O at `point`, for orthonormal `directions`.
    public static func curvature(
        of function: LossFunction<Double>, at point: [Tensor<Double>], directions: [[Tensor<Double>]], weightDecay: Double
    ) -> (lowest: Double, matrix: Tensor<Double>) {
        let k = directions.count
        var matrix = Tensor<Double>.zeros([k, k])
        for (j, direction) in directions.enumerated() {
            let hv = hessianVectorProduct(gradient: { function.gradient($0, weightDecay: weightDecay) }, at: point, direction: direction)
            for i in 0..<k {
                matrix[i, j] = zip(directions[i], hv).reduce(0) { $0 + $1.0.dot($1.1) }
            }
        }
        let symmetric = (matrix + matrix.transposed()) * 0.5
        let lowest = (try? symmetric.symmetricEigendecomposition(computeVectors: false).eigenvalues.scalars.first) ?? nil
        return (lowest ?? .nan, symmetric)
    }

    /// The mirror directions of unit `unit` of a rescaling or sign-flip symmetry: one unit
    /// vector per coordinate of the neuron (incoming weights, bias, outgoing weights), whose
    /// symmetric state is the dead neuron u_i = 0.
    public static func neuronDirections(_ spec: SymmetrySpec, unit: Int, names: [String], template: [Tensor<Double>]) -> [[Tensor<Double>]] {
        var directions: [[Tensor<Double>]] = []
        for slice in spec.incoming + spec.outgoing {
            guard let position = names.firstIndex(of: slice.name) else { continue }
            let tensor = template[position]
            let size = UnitMatrix.read(tensor, slice, units: spec.units).shape[1]
            for k in 0..<size {
                var selector = Tensor<Double>.zeros([spec.units, size])
                selector[unit, k] = 1
                var basis = template.map { Tensor<Double>.zeros($0.shape) }
                var target = basis[position]
                UnitMatrix.write(selector, into: &target, slice, units: spec.units)
                basis[position] = target
                directions.append(basis)
            }
        }
        return directions
    }

    /// The critical weight decay γ_c where λ_O(γ) crosses zero, by bisection on
    /// `[low, high]` (λ must change sign there); nil when it does not.
    public static func criticalWeightDecay(low: Double, high: Double, relativeTolerance: Double = 1e-4,
                                           lambda: (Double) -> Double) -> Double? {
        var (a, b) = (low, high)
        var (fa, fb) = (lambda(a), lambda(b))
        guard fa.sign != fb.sign || fa == 0 || fb == 0 else { return nil }
        if fa == 0 { return a }
        if fb == 0 { return b }
        while (b - a) > relativeTolerance * max(abs(a), abs(b), 1e-12) {
            let middle = (a + b) / 2
            let fm = lambda(middle)
            if fm == 0 { return middle }
            if fm.sign == fa.sign { (a, fa) = (middle, fm) } else { (b, fb) = (middle, fm) }
        }
        return (a + b) / 2
    }
}

extension MirrorStability {
    /// The mirror directions of the transposition of units `i` and `j` of a symmetry: for every
    /// coordinate k of a unit, (e_{i,k} − e_{j,k})/√2. Its symmetric state is u_i = u_j.
    public static func permutationDirections(_ spec: SymmetrySpec, units i: Int, _ j: Int, names: [String], template: [Tensor<Double>]) -> [[Tensor<Double>]] {
        let first = neuronDirections(spec, unit: i, names: names, template: template)
        let second = neuronDirections(spec, unit: j, names: names, template: template)
        let scale = 1 / 2.0.squareRoot()
        return zip(first, second).map { a, b in zip(a, b).map { ($0 - $1) * scale } }
    }
}
