import NoetherNN
import NoetherTensor

/// The quantities gradient flow conserves because of a symmetry (Noether's theorem for
/// gradient flow), and how far training has moved them.
///
/// - Rescaling of neuron i: Q_i = ‖w_i‖² + b_i² − ‖a_i‖² (covariant minus contravariant slices).
/// - Rotation of a linear block: C = W₁W₁ᵀ − W₂ᵀW₂ (units × units).
/// - Double rotation of an attention head: W_Q^h W_Q^hᵀ − W_K^h W_K^hᵀ and W_V^h W_V^hᵀ − W_O^hᵀ W_O^h.
///
/// Without weight decay they stay constant (up to O(lr²) per step for gradient descent);
/// with weight decay γ they decay as e^{−2γt}, t = learning rate × steps.
public enum ConservedQuantities {
    /// The rescaling balance Q_i of every unit of a rescaling symmetry.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func rescalingBalance<Scalar: TensorScalar>(_ spec: SymmetrySpec, _ parameters: Parameters<Scalar>) -> [Double] {
        var balance = [Double](repeating: 0, count: spec.units)
        for (slices, sign) in [(spec.incoming, 1.0), (spec.outgoing, -1.0)] {
            for slice in slices {
                guard let tensor = parameters[slice.name] else { continue }
                let rows = UnitMatrix.read(tensor, slice, units: spec.units)
                let squares = (rows * rows).sum(alongAxis: 1).scalars
                for i in 0..<spec.units { balance[i] += sign * squares[i] }
            }
        }
        return balance
    }

    /// C = A Aᵀ − B Bᵀ for a rotation symmetry (A: covariant, B: contravariant unit matrices).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func rotationMatrix<Scalar: TensorScalar>(_ spec: SymmetrySpec, _ parameters: Parameters<Scalar>) -> Tensor<Double> {
        var result = Tensor<Double>.zeros([spec.units, spec.units])
        for (slices, sign) in [(spec.incoming, 1.0), (spec.outgoing, -1.0)] {
            for slice in slices {
                guard let tensor = parameters[slice.name] else { continue }
                let rows = UnitMatrix.read(tensor, slice, units: spec.units)
                result.add(rows.gramMatrix(ofRows: true), scaledBy: sign)
            }
        }
        return result
    }

    /// The conserved quantity of a rescaling or rotation symmetry, flattened (nil for others).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func quantity<Scalar: TensorScalar>(_ spec: SymmetrySpec, _ parameters: Parameters<Scalar>) -> [Double]? {
        switch spec.kind {
        // A gated unit's up row × c, down column ÷ c conserves the same balance.
        case .rescaling, .gatedRescaling: rescalingBalance(spec, parameters)
        // A head's double rotation (W_Q M, W_K M⁻ᵀ; W_V N, W_O N⁻¹) conserves the same form,
        // W_Q^h W_Q^hᵀ − W_K^h W_K^hᵀ (and W_V^h W_V^hᵀ − W_O^hᵀ W_O^h) in the head's coordinates.
        // A group's shared M conserves Σ_h W_Q^h W_Q^hᵀ − W_K^g W_K^gᵀ: the query slices of all
        // its heads sit side by side in the unit matrix.
        case .rotation, .doubleRotation, .groupedDoubleRotation: rotationMatrix(spec, parameters).scalars
        default: nil
        }
    }

    /// ‖Q(t) − Q(0)‖ / ‖Q(0)‖ (absolute when Q(0) = 0).
    public static func drift(from start: [Double], to now: [Double]) -> Double {
        let difference = zip(start, now).reduce(0) { $0 + ($1.1 - $1.0) * ($1.1 - $1.0) }.squareRoot()
        let reference = start.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return reference > 0 ? difference / reference : difference
    }
}

