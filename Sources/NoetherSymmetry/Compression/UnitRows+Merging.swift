import NoetherNN
import NoetherTensor

/// How merged units become one (DESIGN.md §9's duplicated units, and the near-copies compression
/// projects onto that state).
enum MergeRule {
    /// a_into += c·a_from, the representative's incoming weights unchanged (exact for copies;
    /// the rule for groups without rescaling, with c fitted on the data).
    case addOutgoing
    /// Under a rescaling group (its incoming `writers` slices): the cluster becomes one unit on
    /// its mean direction.
    case meanDirection(writers: [UnitSlice])
}

extension UnitRows {
    /// Carries out `merges` (positions in `keep`) by `rule`, and the merged units go.
    mutating func merge(_ merges: [DuplicateUnits.Merge], rule: MergeRule) {
        guard !merges.isEmpty else { return }
        switch rule {
        case .meanDirection(let writers): mergeIntoMeanDirections(merges, writers: writers)
        case .addOutgoing:
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

    /// ``MergeRule/meanDirection(writers:)``: each representative r takes its cluster's mean
    /// direction d̄ = Σ s_k d_k / ‖Σ s_k d_k‖ (s_k = ‖w_k‖·‖a_k‖, r included) at its own norm, and
    /// every unit of the cluster is carried onto it: a_r ← Σ_k c_k a_k, c_k = ‖w_k‖⟨d_k, d̄⟩/‖w_r‖
    /// (for a ReLU-type unit, a_k σ(w_k·x) ≈ c_k a_k σ(‖w_r‖ d̄·x)). The cluster's first-order
    /// errors cancel where its outgoing weights are aligned too, as weight decay leaves them.
    /// A cluster whose outgoing weights are all zero is left as it is: its members contribute
    /// nothing, so dropping them is exact.
    private mutating func mergeIntoMeanDirections(_ merges: [DuplicateUnits.Merge], writers: [UnitSlice]) {
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
}
