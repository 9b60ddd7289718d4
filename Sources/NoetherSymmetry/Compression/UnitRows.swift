import NoetherNN
import NoetherTensor

/// One hidden layer's units as rows: every slice of its permutation group read as a
/// `[units, perUnit]` matrix, the units still kept, and the edits compression makes to them.
struct UnitRows {
    let group: SymmetrySpec
    /// The rows of each slice of `group.incoming + group.outgoing`, in that order.
    var rows: [Tensor<Double>?]
    /// The units kept, in their original order.
    var keep: [Int]
    /// The incoming slices whose rows merging has changed (written back by `applied`).
    var rowsEdited: Set<Int> = []

    init(_ group: SymmetrySpec, _ parameters: Parameters<Double>) {
        self.group = group
        rows = group.slices.map { slice in parameters[slice.name].map { UnitMatrix.read($0, slice, units: group.units) } }
        keep = Array(0..<group.units)
    }

    var outgoingIndices: Range<Int> { group.incoming.count..<(group.incoming.count + group.outgoing.count) }

    /// The largest absolute outgoing weight of each unit.
    private func outgoingMaxima() -> [Double] {
        var result = [Double](repeating: 0, count: group.units)
        for index in outgoingIndices {
            guard let matrix = rows[index] else { continue }
            let width = matrix.shape[1]
            matrix.withUnsafeBufferPointer { m in
                for u in 0..<group.units { for k in 0..<width { result[u] = max(result[u], abs(m[u * width + k])) } }
            }
        }
        return result
    }

    /// Each unit's largest absolute activation on the data (`activations` is [samples, units]).
    static func activationPeaks(_ activations: Tensor<Double>) -> [Double] {
        let (n, units) = (activations.shape[0], activations.shape[1])
        var peaks = [Double](repeating: 0, count: units)
        activations.withUnsafeBufferPointer { h in
            for i in 0..<n { for u in 0..<units { peaks[u] = max(peaks[u], abs(h[i * units + u])) } }
        }
        return peaks
    }

    /// Each unit's bound on its contribution to the next layer on the data, max|h_u|·max|a_u|
    /// (`peaks` from ``activationPeaks(_:)``): the order in which units are tried as dead.
    func contributionBounds(peaks: [Double]) -> [Double] {
        let outgoing = outgoingMaxima()
        return (0..<group.units).map { peaks[$0] * outgoing[$0] }
    }

    /// The parameters with the outgoing weights of `units` set to zero: the model without them.
    func silencing(_ units: [Int], in parameters: Parameters<Double>) -> Parameters<Double> {
        var result = parameters
        for index in outgoingIndices {
            let slice = group.slices[index]
            guard var matrix = rows[index], var tensor = result[slice.name] else { continue }
            let width = matrix.shape[1]
            matrix.withUnsafeMutableBufferPointer { m in for u in units { for k in 0..<width { m[u * width + k] = 0 } } }
            UnitMatrix.write(matrix, into: &tensor, slice, units: group.units)
            result[slice.name] = tensor
        }
        return result
    }

    /// Removes `units` (as dead).
    mutating func remove(_ units: [Int]) {
        let gone = Set(units)
        keep = keep.filter { !gone.contains($0) }
    }

    /// The parameters as the edits so far make them, at full width: the rows as merged, and the
    /// units no longer kept, with `extra`, silenced.
    func applied(to parameters: Parameters<Double>, silencing extra: [Int] = []) -> Parameters<Double> {
        var result = parameters
        for index in group.incoming.indices where rowsEdited.contains(index) {
            let slice = group.slices[index]
            guard let matrix = rows[index], var tensor = result[slice.name] else { continue }
            UnitMatrix.write(matrix, into: &tensor, slice, units: group.units)
            result[slice.name] = tensor
        }
        let kept = Set(keep)
        return silencing((0..<group.units).filter { !kept.contains($0) } + extra, in: result)
    }

    /// The kept units' distances from the duplicated state, their incoming weights read from the
    /// `writers` slices, with their activations on the data (n × units, every unit) when the
    /// merge factor is to be fitted on them; nil when there is nothing to merge.
    func duplicates(writers: [UnitSlice], positiveMultiples: Bool, sizes: [Double], activations: Tensor<Double>?) -> DuplicateUnits? {
        let parts = group.incoming.indices.filter { writers.contains(group.incoming[$0]) }.compactMap { rows[$0] }
        guard !parts.isEmpty, keep.count > 1 else { return nil }
        return DuplicateUnits(incoming: Tensor.concatenate(parts, alongAxis: 1).gatherRows(keep), sizes: keep.map { sizes[$0] },
                              positiveMultiples: positiveMultiples, activations: activations?.transposed().gatherRows(keep))
    }

    /// Replaces the units by the factor pair of their product's rank r: with the rows
    /// In (the rotation's incoming slices) and Out (outgoing), OutᵀIn = U S Vᵀ becomes
    /// In′ = S^½ Vᵀ and Out′ = (U S^½)ᵀ on r units. Returns the units dropped.
    mutating func truncateRank(_ rotation: SymmetrySpec, tolerance: Double) -> Int {
        let inIndex = group.incoming.indices.filter { rotation.incoming.contains(group.incoming[$0]) }
        let outIndex = outgoingIndices.filter { rotation.outgoing.contains(group.slices[$0]) }
        let ins = inIndex.compactMap { rows[$0] }, outs = outIndex.compactMap { rows[$0] }
        guard ins.count == inIndex.count, outs.count == outIndex.count, !ins.isEmpty, !outs.isEmpty else { return 0 }
        let (a, b) = (Tensor.concatenate(ins, alongAxis: 1), Tensor.concatenate(outs, alongAxis: 1))
        guard let svd = try? b.matmul(a, transposeSelf: true).svd() else { return 0 }
        let s = svd.singularValues.scalars
        let largest = s.first ?? 0
        let r = max(s.filter { $0 > tolerance * largest }.count, 1)
        guard r < group.units else { return 0 }
        let roots = s.prefix(r).map { $0.squareRoot() }
        // In′ = S^½ Vᵀ (r × in), Out′ = (U S^½)ᵀ (r × out), both on the first r units.
        let newIn = svd.vTransposed.slice(alongAxis: 0, 0..<r) * Tensor(shape: [r, 1], scalars: roots)
        let newOut = (svd.u.slice(alongAxis: 1, 0..<r) * Tensor(shape: [1, r], scalars: roots)).transposed()
        func split(_ whole: Tensor<Double>, _ parts: [Tensor<Double>]) -> [Tensor<Double>] {
            var offset = 0
            return parts.map { part in
                defer { offset += part.shape[1] }
                return whole.slice(alongAxis: 1, offset..<(offset + part.shape[1]))
            }
        }
        for (index, part) in zip(inIndex, split(newIn, ins)) { rows[index] = Self.padded(part, to: group.units) }
        for (index, part) in zip(outIndex, split(newOut, outs)) { rows[index] = Self.padded(part, to: group.units) }
        keep = Array(0..<r)
        return group.units - r
    }

    /// `matrix` with zero rows appended up to `units` rows (the dropped ones are never kept).
    private static func padded(_ matrix: Tensor<Double>, to units: Int) -> Tensor<Double> {
        guard matrix.shape[0] < units else { return matrix }
        return Tensor.concatenate([matrix, .zeros([units - matrix.shape[0], matrix.shape[1]])], alongAxis: 0)
    }

    /// The parameters with every slice of the group reduced to the kept units.
    func written(into parameters: Parameters<Double>) throws(AlignmentError) -> Parameters<Double> {
        var result = parameters
        var resized = Set<String>()
        for (slice, matrix) in zip(group.slices, rows) {
            guard let matrix, let tensor = result[slice.name] else { continue }
            let dimensions = tensor.shape.dimensions
            guard slice.offset == 0, slice.axis < dimensions.count, slice.block * group.units == dimensions[slice.axis], !resized.contains(slice.name) else {
                throw AlignmentError("\(slice.name) holds more than the units of \(group.layer); compress cannot shrink it")
            }
            var shape = dimensions
            shape[slice.axis] = slice.block * keep.count
            var smaller = Tensor<Double>.zeros(Shape(shape))
            UnitMatrix.write(matrix.gatherRows(keep), into: &smaller, slice, units: keep.count)
            result[slice.name] = smaller
            resized.insert(slice.name)
        }
        return result
    }
}
