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
    /// The incoming slices whose rows merging has changed.
    private var rowsEdited: Set<Int> = []

    init(_ group: SymmetrySpec, _ parameters: Parameters<Double>) {
        self.group = group
        rows = group.slices.map { slice in parameters[slice.name].map { UnitMatrix.read($0, slice, units: group.units) } }
        keep = Array(0..<group.units)
    }

    private var outgoingIndices: Range<Int> { group.incoming.count..<(group.incoming.count + group.outgoing.count) }

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

    /// Each unit's bound on its contribution to the next layer on the data, max|h_u|·max|a_u|:
    /// the order in which units are tried as dead.
    func contributionBounds(activations: Tensor<Double>) -> [Double] {
        let (n, units) = (activations.shape[0], activations.shape[1])
        var peaks = [Double](repeating: 0, count: units)
        activations.withUnsafeBufferPointer { h in
            for i in 0..<n { for u in 0..<units { peaks[u] = max(peaks[u], abs(h[i * units + u])) } }
        }
        let outgoing = outgoingMaxima()
        return (0..<units).map { peaks[$0] * outgoing[$0] }
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
    /// `writers` slices, with their activations on the data (n × units, every unit); nil when
    /// there is nothing to merge.
    func duplicates(writers: [UnitSlice], positiveMultiples: Bool, sizes: [Double], activations: Tensor<Double>) -> DuplicateUnits? {
        let parts = group.incoming.indices.filter { writers.contains(group.incoming[$0]) }.compactMap { rows[$0] }
        guard !parts.isEmpty, keep.count > 1 else { return nil }
        return DuplicateUnits(incoming: Tensor.concatenate(parts, alongAxis: 1).gatherRows(keep), sizes: keep.map { sizes[$0] },
                              positiveMultiples: positiveMultiples, activations: activations.transposed().gatherRows(keep))
    }

    /// Carries out `merges` (positions in `keep`), and the merged units go. Without `centroids`,
    /// each representative keeps its incoming weights and a_into += c·a_from. With them (the
    /// `writers` slices of a rescaling group), each representative r takes its cluster's mean
    /// direction d̄ = Σ s_k d_k / ‖Σ s_k d_k‖ (s_k = ‖w_k‖·‖a_k‖, r included) at its own norm, and
    /// every unit of the cluster is carried onto it: a_r ← Σ_k c_k a_k, c_k = ‖w_k‖⟨d_k, d̄⟩/‖w_r‖.
    /// The cluster's first-order errors then cancel where its outgoing weights are aligned too,
    /// as they are for units condensed by weight decay.
    mutating func merge(_ merges: [DuplicateUnits.Merge], centroids writers: [UnitSlice]? = nil) {
        guard !merges.isEmpty else { return }
        if let writers { mergeIntoCentroids(merges, writers: writers) } else {
            for index in outgoingIndices {
                guard var matrix = rows[index] else { continue }
                let w = matrix.shape[1]
                matrix.withUnsafeMutableBufferPointer { m in
                    for merge in merges {
                        let (from, to) = (keep[merge.from], keep[merge.into])
                        for k in 0..<w { m[to * w + k] += merge.c * m[from * w + k] }
                    }
                }
                rows[index] = matrix
            }
        }
        let gone = Set(merges.map { keep[$0.from] })
        keep = keep.filter { !gone.contains($0) }
    }

    /// Unit u's row across the slices at `indices`, side by side.
    private func row(_ u: Int, _ indices: [Int]) -> [Double] {
        indices.flatMap { index -> [Double] in
            guard let matrix = rows[index] else { return [] }
            let width = matrix.shape[1]
            return matrix.withUnsafeBufferPointer { Array($0[(u * width)..<((u + 1) * width)]) }
        }
    }

    /// Writes `values` (side by side across the slices at `indices`) as unit u's row.
    private mutating func setRow(_ u: Int, _ indices: [Int], _ values: [Double]) {
        var offset = 0
        for index in indices {
            guard var matrix = rows[index] else { continue }
            let width = matrix.shape[1]
            matrix.withUnsafeMutableBufferPointer { m in for k in 0..<width { m[u * width + k] = values[offset + k] } }
            rows[index] = matrix
            offset += width
        }
    }

    private mutating func mergeIntoCentroids(_ merges: [DuplicateUnits.Merge], writers: [UnitSlice]) {
        let incoming = group.incoming.indices.filter { writers.contains(group.incoming[$0]) }
        let outgoing = Array(outgoingIndices)
        func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        var clusters: [Int: [Int]] = [:]
        for merge in merges { clusters[keep[merge.into], default: []].append(keep[merge.from]) }
        for (representative, members) in clusters.sorted(by: { $0.key < $1.key }) {
            let units = [representative] + members
            let w = units.map { row($0, incoming) }, a = units.map { row($0, outgoing) }
            let wNorms = w.map(norm)
            guard let ownNorm = wNorms.first, ownNorm > 0, wNorms.allSatisfy({ $0 > 0 }) else { continue }
            var mean = [Double](repeating: 0, count: w[0].count)
            for k in units.indices {
                let s = wNorms[k] * norm(a[k])
                for i in mean.indices { mean[i] += s * w[k][i] / wNorms[k] }
            }
            let meanNorm = norm(mean)
            guard meanNorm > 0 else { continue }
            let direction = mean.map { $0 / meanNorm }
            var merged = [Double](repeating: 0, count: a[0].count)
            for k in units.indices {
                let c = zip(w[k], direction).reduce(0) { $0 + $1.0 * $1.1 } / ownNorm
                for i in merged.indices { merged[i] += c * a[k][i] }
            }
            setRow(representative, incoming, direction.map { $0 * ownNorm })
            setRow(representative, outgoing, merged)
        }
        rowsEdited.formUnion(incoming)
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
