import NoetherTensor

/// Spectral measures of a matrix: its ranks at several thresholds, effective and stable rank,
/// spectral and Frobenius norms.
public struct Spectrum: Hashable, Sendable, Codable {
    /// Singular values, descending.
    public let singularValues: [Double]
    public let rows: Int, columns: Int

    public init(_ matrix: Tensor<Double>) {
        rows = matrix.shape[0]
        columns = matrix.shape[1]
        singularValues = Self.singularValues(of: matrix)
    }

    /// Singular values only. Large matrices go through the eigenvalues of the smaller Gram
    /// matrix (σ_k = √λ_k: one `syrk` and a symmetric eigensolver, several times faster than a
    /// bidiagonal SVD); in Float64 that resolves σ down to ~1e-7·σ_max, far below the rank
    /// thresholds. Small ones use LAPACK's SVD directly.
    static func singularValues(of matrix: Tensor<Double>) -> [Double] {
        let (m, n) = (matrix.shape[0], matrix.shape[1])
        guard min(m, n) >= 32, matrix.isFinite else { return (try? matrix.singularValues()) ?? [] }
        let gram = matrix.gramMatrix(ofRows: m <= n)
        guard let eigenvalues = try? gram.symmetricEigendecomposition(computeVectors: false).eigenvalues.scalars else { return [] }
        return eigenvalues.reversed().map { max($0, 0).squareRoot() }
    }

    public init<Scalar: TensorScalar>(matrix: Tensor<Scalar>) { self.init(Tensor<Double>(matrix)) }

    /// The spectrum of a rows × columns matrix M (rows ≤ columns) from M Mᵀ.
    init(gram: Tensor<Double>, rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        let eigenvalues = (try? gram.symmetricEigendecomposition(computeVectors: false).eigenvalues.scalars) ?? []
        singularValues = eigenvalues.reversed().map { max($0, 0).squareRoot() }
    }

    /// The spectrum of AᵀB for A, B of shape [k, d] (k ≤ d) — an attention head's W_Q W_Kᵀ
    /// or W_V W_O — without forming the d × d product: with S = (AAᵀ)^{1/2},
    /// σ²(AᵀB) = eig(S·BBᵀ·S), a k × k problem.
    public init(productOf a: Tensor<Double>, _ b: Tensor<Double>) {
        rows = a.shape[1]
        columns = b.shape[1]
        let (gramA, gramB) = (a.gramMatrix(ofRows: true), b.gramMatrix(ofRows: true))
        guard let eigen = try? gramA.symmetricEigendecomposition() else {
            singularValues = Self.singularValues(of: a.matmul(b, transposeSelf: true))
            return
        }
        let roots = eigen.eigenvalues.scalars.map { max($0, 0).squareRoot() }
        let k = roots.count
        let root = (eigen.eigenvectors * Tensor(shape: [1, k], scalars: roots)).matmul(eigen.eigenvectors, transposeOther: true)
        let middle = root.matmul(gramB).matmul(root)
        let values = (try? middle.symmetricEigendecomposition(computeVectors: false).eigenvalues.scalars) ?? []
        singularValues = values.reversed().map { max($0, 0).squareRoot() }
    }

    /// rank_τ = #{k : σ_k > τ·σ_max}.
    public func rank(relative tau: Double) -> Int {
        let largest = singularValues.first ?? 0
        return largest > 0 ? singularValues.filter { $0 > tau * largest }.count : 0
    }

    /// #{k : σ_k > τ}.
    public func rank(absolute tau: Double) -> Int { singularValues.filter { $0 > tau }.count }

    /// The rank under the thresholds' rule (absolute if set, else relative).
    public func rank(_ thresholds: SymmetryThresholds) -> Int {
        thresholds.rankAbsolute.map { rank(absolute: $0) } ?? rank(relative: thresholds.rankRelative)
    }

    /// exp(−Σ p_k log p_k) with p_k = σ_k / Σσ.
    public var effectiveRank: Double {
        let total = singularValues.reduce(0, +)
        guard total > 0 else { return 0 }
        let entropy = singularValues.reduce(0.0) { acc, s in
            let p = s / total
            return p > 0 ? acc - p * Double.log(p) : acc
        }
        return Double.exp(entropy)
    }

    /// ‖M‖²_F / ‖M‖²₂.
    public var stableRank: Double {
        let top = singularValues.first ?? 0
        return top > 0 ? singularValues.reduce(0) { $0 + $1 * $1 } / (top * top) : 0
    }

    public var spectralNorm: Double { singularValues.first ?? 0 }
    public var frobeniusNorm: Double { singularValues.reduce(0) { $0 + $1 * $1 }.squareRoot() }
    /// min(rows, columns) − rank.
    public func rankDeficit(_ thresholds: SymmetryThresholds) -> Int { min(rows, columns) - rank(thresholds) }
}
import RealModule
