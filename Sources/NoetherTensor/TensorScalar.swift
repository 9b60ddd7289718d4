import COpenBLAS
import RealModule

/// The element types a ``Tensor`` holds: `Float` for training, `Double` where analysis needs
/// the precision (pseudo-inverses, small singular values, gradient checks).
///
/// Each conforming type routes dense linear algebra to the matching OpenBLAS/LAPACK routine.
public protocol TensorScalar: BinaryFloatingPoint, Real, SIMDScalar, Codable, Sendable, CustomStringConvertible
where RawSignificand: FixedWidthInteger {
    /// A short name of the type as in numpy/safetensors (`"F32"`, `"F64"`).
    static var dtypeName: String { get }

    /// `C = alpha · op(A) · op(B) + beta · C` on row-major matrices (`cblas_?gemm`).
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int,
        b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

    /// The upper triangle of `C = alpha · op(A) · op(A)ᵀ + beta · C` on row-major matrices
    /// (`cblas_?syrk`): `C` is `n × n`, `op(A)` is `n × k`, with `op(A) = Aᵀ` when `transpose`.
    static func syrk(
        transpose: Bool, n: Int, k: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

    /// erf and exp as activation functions use them: libm's for Double; for Float, branch-free
    /// approximations within a few ulp that vectorise (`FastFloatMath`).
    static func activationErf(_ x: Self) -> Self
    static func activationExp(_ x: Self) -> Self
    /// The logistic function 1/(1 + e⁻ˣ) as SiLU uses it: libm's exp behind a branch that keeps
    /// it from overflowing for Double; for Float branch-free on `FastFloatMath.exp` (whose ∞
    /// for large −x gives exactly 0), so SwiGLU's loops vectorise.
    static func activationSigmoid(_ x: Self) -> Self

    /// LAPACK `?gesdd` on a column-major `m × n` matrix, which it overwrites. Returns `info`.
    static func gesdd(
        job: UInt8, m: Int, n: Int, a: UnsafeMutablePointer<Self>, lda: Int,
        s: UnsafeMutablePointer<Self>, u: UnsafeMutablePointer<Self>?, ldu: Int,
        vt: UnsafeMutablePointer<Self>?, ldvt: Int,
        work: UnsafeMutablePointer<Self>, lwork: Int, iwork: UnsafeMutablePointer<Int32>) -> Int

    /// LAPACK `?syevd` (lower triangle) on a column-major `n × n` matrix. Returns `info`.
    static func syevd(
        vectors: Bool, n: Int, a: UnsafeMutablePointer<Self>, lda: Int,
        w: UnsafeMutablePointer<Self>,
        work: UnsafeMutablePointer<Self>, lwork: Int,
        iwork: UnsafeMutablePointer<Int32>, liwork: Int) -> Int
}


extension Float: TensorScalar {
    public static var dtypeName: String { "F32" }

    @inlinable @inline(__always)
    public static func activationErf(_ x: Float) -> Float { FastFloatMath.erf(x) }

    @inlinable @inline(__always)
    public static func activationExp(_ x: Float) -> Float { FastFloatMath.exp(x) }

    @inlinable @inline(__always)
    public static func activationSigmoid(_ x: Float) -> Float { 1 / (1 + FastFloatMath.exp(-x)) }

    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        BLASThreading.pinToCallingThread()
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    public static func syrk(
        transpose: Bool, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        BLASThreading.pinToCallingThread()
        cblas_ssyrk(CblasRowMajor, CblasUpper, transpose ? CblasTrans : CblasNoTrans,
                    Int32(n), Int32(k), alpha, a, Int32(lda), beta, c, Int32(ldc))
    }

    public static func gesdd(
        job: UInt8, m: Int, n: Int, a: UnsafeMutablePointer<Float>, lda: Int,
        s: UnsafeMutablePointer<Float>, u: UnsafeMutablePointer<Float>?, ldu: Int,
        vt: UnsafeMutablePointer<Float>?, ldvt: Int,
        work: UnsafeMutablePointer<Float>, lwork: Int, iwork: UnsafeMutablePointer<Int32>
    ) -> Int {
        BLASThreading.pinToCallingThread()
        var jobz = CChar(bitPattern: job)
        var (m32, n32, lda32, ldu32, ldvt32, lwork32) =
            (Int32(m), Int32(n), Int32(lda), Int32(ldu), Int32(ldvt), Int32(lwork))
        var info: Int32 = 0
        sgesdd_(&jobz, &m32, &n32, a, &lda32, s, u, &ldu32, vt, &ldvt32, work, &lwork32, iwork, &info, 1)
        return Int(info)
    }

    public static func syevd(
        vectors: Bool, n: Int, a: UnsafeMutablePointer<Float>, lda: Int,
        w: UnsafeMutablePointer<Float>,
        work: UnsafeMutablePointer<Float>, lwork: Int,
        iwork: UnsafeMutablePointer<Int32>, liwork: Int
    ) -> Int {
        BLASThreading.pinToCallingThread()
        var jobz = CChar(bitPattern: vectors ? UInt8(ascii: "V") : UInt8(ascii: "N"))
        var uplo = CChar(bitPattern: UInt8(ascii: "L"))
        var (n32, lda32, lwork32, liwork32) = (Int32(n), Int32(lda), Int32(lwork), Int32(liwork))
        var info: Int32 = 0
        ssyevd_(&jobz, &uplo, &n32, a, &lda32, w, work, &lwork32, iwork, &liwork32, &info, 1, 1)
        return Int(info)
    }
}

extension Double: TensorScalar {
    public static var dtypeName: String { "F64" }

    @inlinable @inline(__always)
    public static func activationErf(_ x: Double) -> Double { Double.erf(x) }

    @inlinable @inline(__always)
    public static func activationExp(_ x: Double) -> Double { Double.exp(x) }

    @inlinable @inline(__always)
    public static func activationSigmoid(_ x: Double) -> Double { Kernels.sigmoid(x) }

    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        BLASThreading.pinToCallingThread()
        cblas_dgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    public static func syrk(
        transpose: Bool, n: Int, k: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        BLASThreading.pinToCallingThread()
        cblas_dsyrk(CblasRowMajor, CblasUpper, transpose ? CblasTrans : CblasNoTrans,
                    Int32(n), Int32(k), alpha, a, Int32(lda), beta, c, Int32(ldc))
    }

    public static func gesdd(
        job: UInt8, m: Int, n: Int, a: UnsafeMutablePointer<Double>, lda: Int,
        s: UnsafeMutablePointer<Double>, u: UnsafeMutablePointer<Double>?, ldu: Int,
        vt: UnsafeMutablePointer<Double>?, ldvt: Int,
        work: UnsafeMutablePointer<Double>, lwork: Int, iwork: UnsafeMutablePointer<Int32>
    ) -> Int {
        BLASThreading.pinToCallingThread()
        var jobz = CChar(bitPattern: job)
        var (m32, n32, lda32, ldu32, ldvt32, lwork32) =
            (Int32(m), Int32(n), Int32(lda), Int32(ldu), Int32(ldvt), Int32(lwork))
        var info: Int32 = 0
        dgesdd_(&jobz, &m32, &n32, a, &lda32, s, u, &ldu32, vt, &ldvt32, work, &lwork32, iwork, &info, 1)
        return Int(info)
    }

    public static func syevd(
        vectors: Bool, n: Int, a: UnsafeMutablePointer<Double>, lda: Int,
        w: UnsafeMutablePointer<Double>,
        work: UnsafeMutablePointer<Double>, lwork: Int,
        iwork: UnsafeMutablePointer<Int32>, liwork: Int
    ) -> Int {
        BLASThreading.pinToCallingThread()
        var jobz = CChar(bitPattern: vectors ? UInt8(ascii: "V") : UInt8(ascii: "N"))
        var uplo = CChar(bitPattern: UInt8(ascii: "L"))
        var (n32, lda32, lwork32, liwork32) = (Int32(n), Int32(lda), Int32(lwork), Int32(liwork))
        var info: Int32 = 0
        dsyevd_(&jobz, &uplo, &n32, a, &lda32, w, work, &lwork32, iwork, &liwork32, &info, 1, 1)
        return Int(info)
    }
}
