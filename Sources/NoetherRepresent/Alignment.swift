import Dispatch
import NoetherTensor

/// Similarity of two representations A (N × p) and B (N × q) of the same N inputs
/// (DESIGN.md §4). Everything is computed in feature space — Gram products of p and q
/// columns — so no N × N kernel is ever formed, except in bounded row blocks for k-NN.
public enum Alignment {
    /// Kernel alignment ⟨K_A, K_B⟩_F / (‖K_A‖_F ‖K_B‖_F) with K = H Hᵀ (uncentred):
    /// ⟨K_A, K_B⟩ = ‖AᵀB‖²_F, ‖K_A‖ = ‖AᵀA‖_F.
    public static func kernelAlignment(_ a: Tensor<Double>, _ b: Tensor<Double>) throws(RepresentationError) -> Double {
        let (a, b) = try pair(a, b)
        return alignment(a, b)
    }

    /// Linear CKA: kernel alignment of the column-centred representations.
    public static func linearCKA(_ a: Tensor<Double>, _ b: Tensor<Double>) throws(RepresentationError) -> Double {
        let (a, b) = try pair(a, b)
        return alignment(a.centeredColumns(), b.centeredColumns())
    }

    static func alignment(_ a: Tensor<Double>, _ b: Tensor<Double>) -> Double {
        alignment(a, b, selfA: selfSimilarity(a), selfB: selfSimilarity(b))
    }

    /// ‖AᵀB‖²_F / (‖AᵀA‖_F ‖BᵀB‖_F), with the self terms given (computed once per matrix when
    /// one is compared with many).
    static func alignment(_ a: Tensor<Double>, _ b: Tensor<Double>, selfA: Double, selfB: Double) -> Double {
        selfA > 0 && selfB > 0 ? crossSquaredNorm(a, b) / (selfA * selfB) : 0
    }

    /// ‖AᵀA‖_F = ‖K_A‖_F, from the smaller of the two Gram matrices.
    static func selfSimilarity(_ a: Tensor<Double>) -> Double { a.gramMatrix(ofRows: a.shape[0] < a.shape[1]).norm() }

    /// ‖AᵀB‖²_F = ⟨AAᵀ, BBᵀ⟩_F: the p × q product, or the two N × N kernels when features
    /// outnumber samples (40 samples of 20 000 features: 40 × 40 instead of 20 000 × 20 000).
    static func crossSquaredNorm(_ a: Tensor<Double>, _ b: Tensor<Double>) -> Double {
        let (n, p, q) = (Double(a.shape[0]), Double(a.shape[1]), Double(b.shape[1]))
        if n * (p + q) < p * q { return a.gramMatrix(ofRows: true).frobenius(b.gramMatrix(ofRows: true)) }
        return a.matmul(b, transposeSelf: true).squaredNorm()
    }

    /// Unbiased CKA from the unbiased HSIC estimator (Song et al. 2012; Nguyen, Raghu, Kornblith
    /// 2021): HSIC₁(K, L) = [tr(K̃L̃) + 1ᵀK̃1·1ᵀL̃1/((n−1)(n−2)) − 2/(n−2)·1ᵀK̃L̃1] / (n(n−3)),
    /// K̃ = K with its diagonal zeroed, and CKA = HSIC₁(K, L)/√(HSIC₁(K, K) HSIC₁(L, L)).
    public static func unbiasedCKA(_ a: Tensor<Double>, _ b: Tensor<Double>) throws(RepresentationError) -> Double {
        let (a, b) = try pair(a, b)
        guard a.shape[0] >= 4 else { throw RepresentationError("unbiased CKA needs at least 4 samples, got \(a.shape[0])") }
        let ab = unbiasedHSIC(a, b), aa = unbiasedHSIC(a, a), bb = unbiasedHSIC(b, b)
        return aa > 0 && bb > 0 ? ab / (aa * bb).squareRoot() : 0
    }

    /// HSIC₁ of the linear kernels of A and B, in feature space.
    static func unbiasedHSIC(_ a: Tensor<Double>, _ b: Tensor<Double>) -> Double {
        let n = Double(a.shape[0])
        let rowA = (a * a).sum(alongAxis: 1), rowB = (b * b).sum(alongAxis: 1)       // diag K, diag L
        // tr(K̃L̃) = Σ_{i≠j} K_ij L_ij = ‖AᵀB‖² − Σ_i K_ii L_ii
        let trace = crossSquaredNorm(a, b) - rowA.dot(rowB)
        // K̃1 = A(Aᵀ1) − diag K
        let kOnes = a.matmul(a.sum(alongAxis: 0).reshaped([a.shape[1], 1])).reshaped([a.shape[0]]) - rowA
        let lOnes = b.matmul(b.sum(alongAxis: 0).reshaped([b.shape[1], 1])).reshaped([b.shape[0]]) - rowB
        let sumK = kOnes.sum(), sumL = lOnes.sum()
        return (trace + sumK * sumL / ((n - 1) * (n - 2)) - 2 / (n - 2) * kOnes.dot(lOnes)) / (n * (n - 3))
    }

    /// Mutual k-nearest-neighbour alignment (Huh et al. 2024): for each sample its k nearest
    /// neighbours by cosine similarity (itself excluded) in A and in B; the mean of |N_A ∩ N_B|/k.
    public static func mutualKNN(_ a: Tensor<Double>, _ b: Tensor<Double>, k: Int = 10) throws(RepresentationError) -> Double {
        let (a, b) = try pair(a, b)
        let n = a.shape[0]
        guard k >= 1, k < n else { throw RepresentationError("mutual k-NN needs 1 ≤ k < samples (k = \(k), samples = \(n))") }
        return overlap(nearestNeighbours(a.unitRows(), k: k), nearestNeighbours(b.unitRows(), k: k), k: k)
    }

    /// The mean of |N_A(i) ∩ N_B(i)|/k over samples, from the neighbour lists.
    static func overlap(_ neighboursA: [[Int]], _ neighboursB: [[Int]], k: Int) -> Double {
        var shared = 0
        for i in neighboursA.indices { shared += Set(neighboursA[i]).intersection(neighboursB[i]).count }
        return Double(shared) / Double(max(neighboursA.count * k, 1))
    }

    /// The k most similar rows of each row (by inner product of unit rows), computed in row
    /// blocks so that memory stays O(block × N).
    static func nearestNeighbours(_ unit: Tensor<Double>, k: Int) -> [[Int]] {
        let n = unit.shape[0]
        let block = 512
        var result = [[Int]](repeating: [], count: n)
        for start in stride(from: 0, to: n, by: block) {
            let end = min(start + block, n)
            let similarities = unit.slice(alongAxis: 0, start..<end).matmul(unit, transposeOther: true)
            similarities.withUnsafeBufferPointer { s in
                for row in 0..<(end - start) {
                    // A bounded selection: keep the k best seen so far, sorted descending.
                    var best: [(Double, Int)] = []
                    best.reserveCapacity(k + 1)
                    for j in 0..<n where j != start + row {
                        let value = s[row * n + j]
                        if best.count < k || value > best[best.count - 1].0 {
                            var position = best.count
                            while position > 0 && best[position - 1].0 < value { position -= 1 }
                            best.insert((value, j), at: position)
                            if best.count > k { best.removeLast() }
                        }
                    }
                    result[start + row] = best.map(\.1)
                }
            }
        }
        return result
    }

    /// Every measure at once.
    /// Values so large that their products overflow give non-finite scores: an error, not `-nan`.
    public static func all(_ a: Tensor<Double>, _ b: Tensor<Double>, k: Int = 10) throws(RepresentationError) -> AlignmentScores {
        let scores = AlignmentScores(kernelAlignment: try kernelAlignment(a, b), linearCKA: try linearCKA(a, b),
                                     unbiasedCKA: try unbiasedCKA(a, b), mutualKNN: try mutualKNN(a, b, k: min(k, a.shape[0] - 1)),
                                     k: min(k, a.shape[0] - 1))
        guard [scores.kernelAlignment, scores.linearCKA, scores.unbiasedCKA, scores.mutualKNN].allSatisfy(\.isFinite) else {
            throw RepresentationError("the alignment scores are not finite numbers: the representations' values are too large (scale them down)")
        }
        return scores
    }

    static func pair(_ a: Tensor<Double>, _ b: Tensor<Double>) throws(RepresentationError) -> (Tensor<Double>, Tensor<Double>) {
        let a = try validated(a, name: "representation A")
        return (a, try validated(b, name: "representation B", rows: a.shape[0]))
    }

    /// The alignment α(A, B) = Tr(AB)/(‖A‖_F‖B‖_F) of two symmetric matrices (canonical
    /// alignment between H, G and Z of a layer).
    public static func canonical(_ a: Tensor<Double>, _ b: Tensor<Double>) -> Double {
        let norms = a.norm() * b.norm()
        // Tr(AB) = ⟨A, B⟩_F for symmetric A, B.
        return norms > 0 ? a.frobenius(b) / norms : 0
    }
}

/// The alignment measures of two representations.
public struct AlignmentScores: Hashable, Sendable, Codable {
    public let kernelAlignment: Double
    public let linearCKA: Double
    public let unbiasedCKA: Double
    public let mutualKNN: Double
    public let k: Int

    enum CodingKeys: String, CodingKey {
        case kernelAlignment = "kernel_alignment", linearCKA = "linear_cka", unbiasedCKA = "unbiased_cka", mutualKNN = "mutual_knn", k
    }
}
