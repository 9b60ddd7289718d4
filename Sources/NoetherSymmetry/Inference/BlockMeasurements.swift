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
        self.init(units: mlp.units, Self.canonicalNeurons(mlp, parameters), thresholds)
    }

    /// From the canonical neurons ``canonicalNeurons(_:_:)`` built.
    public init(units m: Int, _ canonical: CanonicalNeurons, _ thresholds: SymmetryThresholds) {
        let (neurons, gateNorms, strengths) = (canonical.neurons, canonical.gateNorms, canonical.strengths)
        func threshold(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            let median = sorted.isEmpty ? 0 : (sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2)
            return thresholds.deadAbsolute ?? (median > 0 ? thresholds.deadRelative * median : 1e-12)
        }
        let (gateLimit, strengthLimit) = (threshold(gateNorms), threshold(strengths))
        let alive = (0..<min(m, gateNorms.count)).filter { gateNorms[$0] >= gateLimit && strengths[$0] >= strengthLimit && strengths[$0] > 0 }
        units = m
        dead = m - alive.count
        let width = neurons.shape[1]
        let aliveNeurons = alive.count == neurons.shape[0] ? neurons : neurons.withUnsafeBufferPointer { x in
            Tensor<Double>(shape: [alive.count, width], scalars: alive.flatMap { x[($0 * width)..<(($0 + 1) * width)] })
        }
        distinct = alive.isEmpty ? 0 : NeuronStatistics(neurons: aliveNeurons, thresholds: SymmetryThresholds(
            deadRelative: 0, deadAbsolute: 0, distinctTolerance: thresholds.distinctTolerance, rankRelative: thresholds.rankRelative,
            rankAbsolute: thresholds.rankAbsolute)).distinct
    }

    /// One row per unit with the gated rescaling fixed, and the norms that decide which are dead.
    public struct CanonicalNeurons: Sendable {
        public let neurons: Tensor<Double>
        public let gateNorms: [Double]
        /// √(‖up row‖·‖down column‖).
        public let strengths: [Double]
    }

    /// Per unit: [gate row, up row · s·√(‖down‖/‖up‖), down column · s·√(‖up‖/‖down‖)] with s the
    /// sign of the up row's largest entry (the gated rescaling fixed), the gate row's norm, and
    /// √(‖up‖·‖down‖). The three parts are read one after another straight into the result, so
    /// at most one extra matrix is held besides it.
    public static func canonicalNeurons(_ mlp: GatedMLPStructure, _ parameters: Parameters<Double>) -> CanonicalNeurons {
        let m = mlp.units
        func matrix(_ slices: [UnitSlice]) -> Tensor<Double> {
            let parts = slices.compactMap { s in parameters[s.name].map { UnitMatrix.read($0, s, units: m) } }
            return parts.isEmpty ? .zeros([m, 0]) : parts.count == 1 ? parts[0] : Tensor.concatenate(parts, alongAxis: 1)
        }
        func width(_ slices: [UnitSlice]) -> Int {
            slices.reduce(0) { total, s in
                guard let t = parameters[s.name] else { return total }
                let (outer, _, inner) = t.shape.split(at: s.axis)
                return total + outer * s.block * inner
            }
        }
        let parts = [mlp.gate, mlp.up, [mlp.down]]
        let widths = parts.map(width)
        let total = widths.reduce(0, +)
        var neurons = Tensor<Double>.zeros([m, total])
        // Per part and unit: the norm of the unit's row in that part, and the sign of its largest entry.
        var norms = [[Double]](repeating: [Double](repeating: 0, count: m), count: 3)
        var signs = [Double](repeating: 1, count: m)
        var start = 0
        for (p, slices) in parts.enumerated() {
            let part = matrix(slices)
            let w = part.shape[1]
            guard w == widths[p] else { continue }
            part.withUnsafeBufferPointer { x in
                neurons.withUnsafeMutableBufferPointer { out in
                    for i in 0..<m {
                        let row = x[(i * w)..<((i + 1) * w)]
                        norms[p][i] = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
                        if p == 1, let largest = row.max(by: { abs($0) < abs($1) }), largest < 0 { signs[i] = -1 }
                        for (k, value) in row.enumerated() { out[i * total + start + k] = value }
                    }
                }
            }
            start += w
        }
        let (wg, wu) = (widths[0], widths[1])
        neurons.withUnsafeMutableBufferPointer { out in
            for i in 0..<m where norms[1][i] > 0 && norms[2][i] > 0 {
                let upScale = signs[i] * (norms[2][i] / norms[1][i]).squareRoot(), downScale = signs[i] * (norms[1][i] / norms[2][i]).squareRoot()
                for k in (i * total + wg)..<(i * total + wg + wu) { out[k] *= upScale }
                for k in (i * total + wg + wu)..<((i + 1) * total) { out[k] *= downScale }
            }
        }
        return CanonicalNeurons(neurons: neurons, gateNorms: norms[0], strengths: (0..<m).map { (norms[1][$0] * norms[2][$0]).squareRoot() })
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
