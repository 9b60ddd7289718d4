import NoetherNN
import NoetherTensor

/// Units of a gated MLP y = W_down(σ(W_gate x) ⊙ W_up x) up to its symmetries: permutations
/// and the gated rescaling (up row × c, down column ÷ c, any c ≠ 0).
public struct GatedUnitStatistics: Hashable, Sendable, Codable {
    public let units: Int
    /// Units that add nothing: gate row zero (σ(0) = 0 for SiLU and GELU), or up row or down
    /// column zero (their product √(‖up‖·‖down‖) below the dead threshold).
    public let dead: Int
    /// Clusters of the alive units after the rescaling is fixed (‖up‖ = ‖down‖, sign by the
    /// up row's largest entry): units in one cluster are copies up to the gated rescaling.
    public let distinct: Int

    public init(_ mlp: GatedMLPStructure, _ parameters: Parameters<Double>, _ thresholds: SymmetryThresholds) {
        func matrix(_ slices: [UnitSlice]) -> Tensor<Double> {
            let parts = slices.compactMap { s in parameters[s.name].map { UnitMatrix.read($0, s, units: mlp.units) } }
            return parts.isEmpty ? .zeros([mlp.units, 0]) : Tensor.concatenate(parts, alongAxis: 1)
        }
        let (gate, up, down) = (matrix(mlp.gate), matrix(mlp.up), matrix([mlp.down]))
        let m = mlp.units
        func rows(_ t: Tensor<Double>) -> [[Double]] {
            let n = t.shape[1]
            return t.withUnsafeBufferPointer { b in (0..<m).map { i in Array(b[(i * n)..<((i + 1) * n)]) } }
        }
        let (g, u, d) = (rows(gate), rows(up), rows(down))
        func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        let gateNorms = g.map(norm)
        let strengths = (0..<m).map { (norm(u[$0]) * norm(d[$0])).squareRoot() }
        func threshold(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            let median = sorted.isEmpty ? 0 : (sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2)
            return thresholds.deadAbsolute ?? (median > 0 ? thresholds.deadRelative * median : 1e-12)
        }
        let (gateLimit, strengthLimit) = (threshold(gateNorms), threshold(strengths))
        let alive = (0..<m).filter { gateNorms[$0] >= gateLimit && strengths[$0] >= strengthLimit && strengths[$0] > 0 }
        units = m
        dead = m - alive.count
        let canonical: [[Double]] = alive.map { i in
            let (nu, nd) = (norm(u[i]), norm(d[i]))
            let largest = u[i].max { abs($0) < abs($1) } ?? 1
            let sign: Double = largest < 0 ? -1 : 1
            return g[i] + u[i].map { $0 * sign * (nd / nu).squareRoot() } + d[i].map { $0 * sign * (nu / nd).squareRoot() }
        }
        let width = canonical.first?.count ?? 0
        let neurons = Tensor<Double>(shape: [canonical.count, width], scalars: canonical.flatMap { $0 })
        distinct = canonical.isEmpty ? 0 : NeuronStatistics(neurons: neurons, thresholds: SymmetryThresholds(
            deadRelative: 0, deadAbsolute: 0, distinctTolerance: thresholds.distinctTolerance, rankRelative: thresholds.rankRelative,
            rankAbsolute: thresholds.rankAbsolute)).distinct
    }
}

extension SymmetryAnalysis {
    /// Per rotary frequency pair (dimensions i and i + r/2 of a head, as Hugging Face's
    /// `rotate_half` pairs them), the rank of that pair's part of W_Q^h W_K^gᵀ: RoPE rotates
    /// each pair by its own angle, so the query/key symmetry acts pair by pair. Ranks count
    /// singular values above the threshold relative to the whole head's largest.
    public static func rotaryPairRanks(_ attention: AttentionStructure, _ parameters: Parameters<Double>, head: Int, rotaryDimensions: Int,
                                       _ thresholds: SymmetryThresholds) -> [Int] {
        let group = head / max(attention.heads / max(attention.keyValueHeads, 1), 1)
        guard let q = attention.query.first, let k = attention.key.first, let wq = parameters[q.name], let wk = parameters[k.name],
              rotaryDimensions >= 2, rotaryDimensions <= attention.headWidth else { return [] }
        let width = attention.headWidth
        let a = UnitMatrix.read(wq, UnitSlice(q.name, axis: q.axis, offset: q.offset + head * attention.headStride), units: width)
        let b = UnitMatrix.read(wk, UnitSlice(k.name, axis: k.axis, offset: k.offset + group * attention.headStride), units: width)
        let whole = Spectrum(productOf: a, b).spectralNorm
        let limit = thresholds.rankAbsolute ?? thresholds.rankRelative * whole
        let half = rotaryDimensions / 2
        func pair(_ m: Tensor<Double>, _ j: Int) -> Tensor<Double> {
            let n = m.shape[1]
            return m.withUnsafeBufferPointer { x in
                Tensor(shape: [2, n], scalars: Array(x[(j * n)..<((j + 1) * n)]) + Array(x[((j + half) * n)..<((j + half + 1) * n)]))
            }
        }
        return (0..<half).map { j in Spectrum(productOf: pair(a, j), pair(b, j)).singularValues.filter { $0 > limit }.count }
    }
}
