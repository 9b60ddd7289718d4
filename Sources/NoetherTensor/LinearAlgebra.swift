/// A failure of a LAPACK routine, with the routine's `info` code.
public struct LinearAlgebraError: NoetherError, Equatable {
    public let message: String
    public let hint: String?
    public init(_ message: String, hint: String? = nil) { (self.message, self.hint) = (message, hint) }
}

/// A thin singular value decomposition A = U · diag(S) · Vᵀ.
public struct SingularValueDecomposition<Scalar: TensorScalar> {
    /// `[m, k]` with k = min(m, n).
    public let u: Tensor<Scalar>
    /// `[k]`, descending.
    public let singularValues: Tensor<Scalar>
    /// `[k, n]`.
    public let vTransposed: Tensor<Scalar>
}

/// A symmetric eigendecomposition A = V · diag(λ) · Vᵀ.
public struct SymmetricEigendecomposition<Scalar: TensorScalar> {
    /// `[n]`, ascending.
    public let eigenvalues: Tensor<Scalar>
    /// `[n, n]`; column i is the eigenvector of eigenvalue i.
    public let eigenvectors: Tensor<Scalar>
}

extension Tensor {
    /// The singular values of a matrix, descending (LAPACK `?gesdd`, no vectors computed).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func singularValues() throws(LinearAlgebraError) -> [Scalar] {
        try svd(computeVectors: false).singularValues.scalars
    }

    /// The thin singular value decomposition of a matrix (LAPACK `?gesdd`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func svd() throws(LinearAlgebraError) -> SingularValueDecomposition<Scalar> {
        try svd(computeVectors: true)
    }

    private func svd(computeVectors: Bool) throws(LinearAlgebraError) -> SingularValueDecomposition<Scalar> {
        guard rank == 2 else { throw LinearAlgebraError("SVD needs a matrix, got shape \(shape)") }
        let (m, n) = (shape[0], shape[1])
        let k = Swift.min(m, n)
        guard k > 0 else {
            return SingularValueDecomposition(u: .zeros([m, 0]), singularValues: .zeros([0]), vTransposed: .zeros([0, n]))
        }
        guard isFinite else { throw LinearAlgebraError("SVD of a matrix with NaN or infinite entries") }
        // Row-major A (m × n) is column-major Aᵀ (n × m). With Aᵀ = U′ S V′ᵀ, A = V′ S U′ᵀ, so the
        // column-major U′ read row-major is our Vᵀ, and V′ᵀ read row-major is our U.
        var work = self
        work.makeUnique()
        var s = Tensor(uninitializedShape: [k])
        var u = computeVectors ? Tensor(uninitializedShape: [m, k]) : Tensor.zeros([1])
        var vt = computeVectors ? Tensor(uninitializedShape: [k, n]) : Tensor.zeros([1])
        var iwork = [Int32](repeating: 0, count: 8 * k)
        let job = computeVectors ? UInt8(ascii: "S") : UInt8(ascii: "N")
        let info: Int = work.withUnsafeMutableBufferPointer { a in
            s.withUnsafeMutableBufferPointer { sp in
                u.withUnsafeMutableBufferPointer { up in
                    vt.withUnsafeMutableBufferPointer { vp in
                        iwork.withUnsafeMutableBufferPointer { ip in
                            // Column-major Aᵀ: rows n, columns m. Its U′ is n × k (our Vᵀ, ld n);
                            // its V′ᵀ is k × m (our U, ld k).
                            var query: Scalar = 0
                            var info = Scalar.gesdd(
                                job: job, m: n, n: m, a: a.baseAddress!, lda: n, s: sp.baseAddress!,
                                u: computeVectors ? vp.baseAddress! : nil, ldu: n,
                                vt: computeVectors ? up.baseAddress! : nil, ldvt: k,
                                work: &query, lwork: -1, iwork: ip.baseAddress!)
                            guard info == 0 else { return info }
                            let lwork = Swift.max(Int(query), 1)
                            let buffer = UnsafeMutablePointer<Scalar>.allocate(capacity: lwork)
                            defer { buffer.deallocate() }
                            info = Scalar.gesdd(
                                job: job, m: n, n: m, a: a.baseAddress!, lda: n, s: sp.baseAddress!,
                                u: computeVectors ? vp.baseAddress! : nil, ldu: n,
                                vt: computeVectors ? up.baseAddress! : nil, ldvt: k,
                                work: buffer, lwork: lwork, iwork: ip.baseAddress!)
                            return info
                        }
                    }
                }
            }
        }
        guard info == 0 else {
            throw LinearAlgebraError(info > 0 ? "SVD did not converge (gesdd info \(info))" : "SVD argument \(-info) was invalid")
        }
        return SingularValueDecomposition(u: u, singularValues: s, vTransposed: vt)
    }

    /// The eigenvalues (ascending) and eigenvectors of a symmetric matrix (LAPACK `?syevd`);
    /// only the lower triangle is read.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func symmetricEigendecomposition(computeVectors: Bool = true) throws(LinearAlgebraError) -> SymmetricEigendecomposition<Scalar> {
        guard rank == 2, shape[0] == shape[1] else { throw LinearAlgebraError("eigendecomposition needs a square matrix, got \(shape)") }
        let n = shape[0]
        guard n > 0 else { return SymmetricEigendecomposition(eigenvalues: .zeros([0]), eigenvectors: .zeros([0, 0])) }
        guard isFinite else { throw LinearAlgebraError("eigendecomposition of a matrix with NaN or infinite entries") }
        // Row-major lower triangle = column-major upper triangle; LAPACK reads column-major
        // "L", which is our upper triangle. Symmetrise explicitly so either reading agrees.
        var a = (self + transposed()) * Scalar(0.5)
        var w = Tensor(uninitializedShape: [n])
        let info: Int = a.withUnsafeMutableBufferPointer { ap in
            w.withUnsafeMutableBufferPointer { wp in
                var query: Scalar = 0
                var iquery: Int32 = 0
                var info = Scalar.syevd(vectors: computeVectors, n: n, a: ap.baseAddress!, lda: n, w: wp.baseAddress!,
                                        work: &query, lwork: -1, iwork: &iquery, liwork: -1)
                guard info == 0 else { return info }
                let lwork = Swift.max(Int(query), 1)
                let liwork = Swift.max(Int(iquery), 1)
                let buffer = UnsafeMutablePointer<Scalar>.allocate(capacity: lwork)
                let ibuffer = UnsafeMutablePointer<Int32>.allocate(capacity: liwork)
                defer { buffer.deallocate(); ibuffer.deallocate() }
                info = Scalar.syevd(vectors: computeVectors, n: n, a: ap.baseAddress!, lda: n, w: wp.baseAddress!,
                                    work: buffer, lwork: lwork, iwork: ibuffer, liwork: liwork)
                return info
            }
        }
        guard info == 0 else {
            throw LinearAlgebraError(info > 0 ? "eigendecomposition did not converge (syevd info \(info))" : "syevd argument \(-info) was invalid")
        }
        // Column-major eigenvectors in columns read row-major are eigenvectors in rows.
        return SymmetricEigendecomposition(eigenvalues: w, eigenvectors: computeVectors ? a.transposed() : a)
    }

    /// The Moore–Penrose pseudo-inverse; singular values at or below `relativeCutoff · σ_max`
    /// count as zero.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func pseudoInverse(relativeCutoff: Scalar = 1e-10) throws(LinearAlgebraError) -> Tensor {
        let decomposition = try svd()
        let s = decomposition.singularValues.scalars
        let cutoff = relativeCutoff * (s.first ?? 0)
        let inverted = s.map { $0 > cutoff ? 1 / $0 : 0 }
        // A⁺ = V · diag(1/s) · Uᵀ
        let scaledV = decomposition.vTransposed.transposed() * Tensor(shape: [1, s.count], scalars: inverted)
        return scaledV.matmul(decomposition.u, transposeOther: true)
    }
}
