import NoetherNN
import NoetherTensor

/// Reading and writing the entries a ``UnitSlice`` selects as a `[units, perUnit]` matrix —
/// the common currency of group actions and neuron statistics.
enum UnitMatrix {
    /// The slice of `tensor` as a matrix with one row per unit (in Float64).
    static func read<Scalar: TensorScalar>(_ tensor: Tensor<Scalar>, _ slice: UnitSlice, units: Int) -> Tensor<Double> {
        let (outer, length, inner) = tensor.shape.split(at: slice.axis)
        let perUnit = outer * slice.block * inner
        var result = Tensor<Double>(uninitializedShape: [units, perUnit])
        tensor.withUnsafeBufferPointer { x in
            result.withUnsafeMutableBufferPointer { out in
                for u in 0..<units {
                    var k = u * perUnit
                    for o in 0..<outer {
                        for j in 0..<slice.block {
                            let base = (o * length + slice.offset + u * slice.block + j) * inner
                            for i in 0..<inner {
                                out[k] = Double(x[base + i])
                                k += 1
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    /// Writes a `[units, perUnit]` matrix back into the slice of `tensor`.
    static func write<Scalar: TensorScalar>(_ matrix: Tensor<Double>, into tensor: inout Tensor<Scalar>, _ slice: UnitSlice, units: Int) {
        let (outer, length, inner) = tensor.shape.split(at: slice.axis)
        let perUnit = outer * slice.block * inner
        matrix.withUnsafeBufferPointer { m in
            tensor.withUnsafeMutableBufferPointer { x in
                for u in 0..<units {
                    var k = u * perUnit
                    for o in 0..<outer {
                        for j in 0..<slice.block {
                            let base = (o * length + slice.offset + u * slice.block + j) * inner
                            for i in 0..<inner {
                                x[base + i] = Scalar(m[k])
                                k += 1
                            }
                        }
                    }
                }
            }
        }
    }

    /// The neuron vectors u_i of a symmetry's units: every slice's row i, concatenated
    /// (incoming weights, bias, outgoing weights for a hidden neuron).
    static func neurons<Scalar: TensorScalar>(_ spec: SymmetrySpec, _ parameters: Parameters<Scalar>) -> Tensor<Double> {
        let parts = (spec.incoming + spec.outgoing).compactMap { slice in
            parameters[slice.name].map { read($0, slice, units: spec.units) }
        }
        guard !parts.isEmpty else { return .zeros([spec.units, 0]) }
        return Tensor.concatenate(parts, alongAxis: 1)
    }
}

extension SymmetrySpec {
    /// The neuron vectors u_i of this symmetry's units in `parameters`: one row per unit,
    /// every slice's entries of that unit concatenated (incoming, bias, outgoing), in Float64.
    public func neuronMatrix<Scalar: TensorScalar>(in parameters: Parameters<Scalar>) -> Tensor<Double> {
        UnitMatrix.neurons(self, parameters)
    }
}
