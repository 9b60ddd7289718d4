import NoetherAutograd
import NoetherNN
import NoetherTensor

/// Git Re-Basin's activation matching (DESIGN.md §9): per permutation group, the assignment
/// maximising the cross-correlation of A's and B's unit activations on the same inputs.
///
/// A group's activations are the representation the graph captures under the group's own label
/// (a hidden layer's output, a convolution block's channels, each position counted as a sample);
/// groups with no such representation (heads, streams) are left to weight matching.
public enum ActivationMatching {
    /// Per group (index into `groups`), B's permutation onto A's units.
    public static func orders(_ a: Model<Double>, _ b: Model<Double>, groups: [SymmetrySpec], inputs: Tensor<Double>) -> [Int: [Int]] {
        let (activationsA, activationsB) = (capture(a, inputs), capture(b, inputs))
        var result: [Int: [Int]] = [:]
        for (index, group) in groups.enumerated() {
            guard let x = activationsA[group.layer].flatMap({ unitColumns($0, units: group.units) }),
                  let y = activationsB[group.layer].flatMap({ unitColumns($0, units: group.units) }) else { continue }
            let correlation = standardised(x).matmul(standardised(y), transposeSelf: true)
            if let order = LinearAssignment.maximise(correlation.scalars, rows: group.units, columns: group.units) { result[index] = order }
        }
        return result
    }

    /// Each representation of the model on `inputs`, by name.
    static func capture(_ model: Model<Double>, _ inputs: Tensor<Double>) -> [String: Tensor<Double>] {
        let tape = Tape<Double>()
        let bound = model.parameters.tensors.values.map { tape.constant($0) }
        var captured: [String: Tensor<Double>] = [:]
        let names = model.architecture.representationNames
        _ = model.architecture.forward(tape.constant(inputs), parameters: Array(bound)) { index, value in
            if index < names.count { captured[names[index]] = value.value }
        }
        return captured
    }

    /// One group's activations as `[samples, units]` (see `unitColumns`), the model run on
    /// chunks of `chunk` inputs so that only one chunk's intermediate values are held at once;
    /// nil when the group has no captured representation.
    static func unitColumns(_ model: Model<Double>, _ inputs: Tensor<Double>, layer: String, units: Int, chunk: Int = 500) -> Tensor<Double>? {
        var parts: [Tensor<Double>] = []
        var start = 0
        while start < inputs.shape[0] {
            let end = min(start + max(chunk, 1), inputs.shape[0])
            guard let part = capture(model, inputs.slice(alongAxis: 0, start..<end))[layer].flatMap({ unitColumns($0, units: units) }) else { return nil }
            parts.append(part)
            start = end
        }
        guard let first = parts.first else { return nil }
        return parts.count == 1 ? first : Tensor.concatenate(parts, alongAxis: 0)
    }

    /// The activations as `[samples, units]`: units on axis 1 (`[N, C, …]`, positions become
    /// samples) or on the last axis (`[N, S, D]` token features).
    static func unitColumns(_ value: Tensor<Double>, units: Int) -> Tensor<Double>? {
        let shape = value.shape.dimensions
        guard shape.count >= 2 else { return nil }
        if shape.count == 2 { return shape[1] == units ? value : nil }
        if shape[1] == units {
            // [N, C, rest] → [N·rest, C]
            let rest = shape.dropFirst(2).reduce(1, *)
            return value.reshaped([shape[0], units, rest]).permuted([0, 2, 1]).reshaped([shape[0] * rest, units])
        }
        if shape.last == units { return value.reshaped([value.count / units, units]) }
        return nil
    }

    /// Columns centred and scaled to unit norm (a constant column stays zero).
    static func standardised(_ x: Tensor<Double>) -> Tensor<Double> {
        let (n, k) = (x.shape[0], x.shape[1])
        var result = x
        result.withUnsafeMutableBufferPointer { r in
            for j in 0..<k {
                var mean = 0.0
                for i in 0..<n { mean += r[i * k + j] }
                mean /= Double(max(n, 1))
                var square = 0.0
                for i in 0..<n {
                    r[i * k + j] -= mean
                    square += r[i * k + j] * r[i * k + j]
                }
                let scale = square > 0 ? 1 / square.squareRoot() : 0
                for i in 0..<n { r[i * k + j] *= scale }
            }
        }
        return result
    }
}
