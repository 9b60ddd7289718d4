import NoetherTensor

/// Dead, distinct and sign-paired neurons of a layer, from its neuron vectors u_i (one row
/// each: incoming weights, bias, outgoing weights).
public struct NeuronStatistics: Hashable, Sendable, Codable {
    public let units: Int
    /// Neurons with ‖u_i‖ below the dead threshold (the rescaling/sign mirror's symmetric state).
    public let dead: Int
    /// Single-linkage clusters of the alive unit-normalised neurons (permutation symmetry:
    /// neurons in one cluster are identical up to scale).
    public let distinct: Int
    /// Alive neurons that have a partner with u_j ≈ −u_i (within the distinct tolerance).
    public let signPaired: Int
    /// The dead threshold that was applied.
    public let deadThreshold: Double
    /// ‖u_i‖ per neuron.
    public let norms: [Double]
    /// Which cluster each neuron belongs to (−1 for dead neurons).
    public let clusters: [Int]

    /// Measures the neurons (rows of `neurons`) with the given thresholds.
    ///
    /// - Parameter gram: U Uᵀ when the caller has it already.
    public init(neurons: Tensor<Double>, gram: Tensor<Double>? = nil, thresholds: SymmetryThresholds) {
        let (m, n) = (neurons.shape[0], neurons.shape[1])
        units = m
        // One GEMM gives every inner product; distances follow from it.
        let gram = gram ?? neurons.gramMatrix(ofRows: true)
        let norms = gram.withUnsafeBufferPointer { g in (0..<m).map { max(g[$0 * m + $0], 0).squareRoot() } }
        self.norms = norms
        let sorted = norms.sorted()
        let median = m == 0 ? 0 : (m % 2 == 1 ? sorted[m / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2)
        let threshold = thresholds.deadAbsolute ?? (median > 0 ? thresholds.deadRelative * median : 1e-6)
        deadThreshold = threshold
        let alive = (0..<m).filter { norms[$0] >= threshold && n > 0 }
        dead = m - alive.count
        // ‖û_i − û_j‖² = 2 − 2 cos_ij: neighbours when below tolerance².
        let tolerance = thresholds.distinctTolerance
        let cosineLimit = 1 - tolerance * tolerance / 2
        var parent = Array(0..<m)
        func root(_ i: Int) -> Int {
            var i = i
            while parent[i] != i {
                parent[i] = parent[parent[i]]
                i = parent[i]
            }
            return i
        }
        var paired = Set<Int>()
        gram.withUnsafeBufferPointer { g in
            for (a, i) in alive.enumerated() {
                for j in alive[(a + 1)...] {
                    let cosine = g[i * m + j] / (norms[i] * norms[j])
                    if cosine > cosineLimit {
                        let (ri, rj) = (root(i), root(j))
                        if ri != rj { parent[ri] = rj }
                    } else if cosine < -cosineLimit {
                        paired.insert(i)
                        paired.insert(j)
                    }
                }
            }
        }
        var labels = [Int](repeating: -1, count: m)
        var next = 0
        var seen: [Int: Int] = [:]
        for i in alive {
            let r = root(i)
            if let label = seen[r] { labels[i] = label } else {
                seen[r] = next
                labels[i] = next
                next += 1
            }
        }
        clusters = labels
        distinct = next
        signPaired = paired.count
    }
}
