/// The geometry of one (possibly batched) matrix product `op(A) · op(B)`, where the last two
/// axes are the matrix axes and leading axes are batch axes.
public struct MatrixProductGeometry: Hashable, Sendable {
    public let m: Int, n: Int, k: Int
    /// The number of products; `B` is shared across the batch when `sharedRight`.
    public let batch: Int
    public let sharedRight: Bool
    public let transposeA: Bool, transposeB: Bool
    public let outputShape: Shape
    /// Whether the product runs as ``Kernels/sharedRowsProduct(_:_:m:n:k:_:accumulate:partials:)``
    /// (a weight gradient cut along its shared rows) rather than as a blocked BLAS product —
    /// so that a benchmark replays it the way the step ran it.
    public var cutAlongSharedRows = false

    /// The geometry of `a · b`, or nil with a reason when the shapes do not multiply.
    public static func of(_ a: Shape, _ b: Shape, transposeA: Bool, transposeB: Bool) -> Result<MatrixProductGeometry, ShapeError> {
        guard a.rank >= 2, b.rank >= 2 else {
            return .failure(ShapeError("matrix product needs operands of rank ≥ 2, got \(a) and \(b)"))
        }
        let (am, ak) = transposeA ? (a[a.rank - 1], a[a.rank - 2]) : (a[a.rank - 2], a[a.rank - 1])
        let (bk, bn) = transposeB ? (b[b.rank - 1], b[b.rank - 2]) : (b[b.rank - 2], b[b.rank - 1])
        guard ak == bk else {
            return .failure(ShapeError("inner dimensions differ in \(a)\(transposeA ? "ᵀ" : "") · \(b)\(transposeB ? "ᵀ" : "")"))
        }
        let batchA = a.dimensions.dropLast(2)
        let batchB = b.dimensions.dropLast(2)
        let shared = batchB.isEmpty
        guard shared || Array(batchA) == Array(batchB) else {
            return .failure(ShapeError("batch axes differ in \(a) · \(b)"))
        }
        let batch = batchA.reduce(1, *)
        return .success(MatrixProductGeometry(
            m: am, n: bn, k: ak, batch: batch, sharedRight: shared,
            transposeA: transposeA, transposeB: transposeB,
            outputShape: Shape(Array(batchA) + [am, bn])))
    }

    /// The multiply-adds times two.
    public var flops: Double { 2 * Double(batch) * Double(m) * Double(n) * Double(k) }
}

/// A shape mismatch in a tensor operation, with the shapes involved.
public struct ShapeError: NoetherError, Equatable {
    public let message: String
    public let hint: String?
    public init(_ message: String, hint: String? = nil) { (self.message, self.hint) = (message, hint) }
}

extension Kernels {
    /// out (+)= op(A) · op(B) for each batch entry through BLAS, in blocks fixed by the shape.
    @inlinable
    public static func matmul<T: TensorScalar>(
        _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ geometry: MatrixProductGeometry,
        _ out: UnsafeMutablePointer<T>, accumulate: Bool
    ) {
        let (m, n, k) = (geometry.m, geometry.n, geometry.k)
        if geometry.batch == 1, !geometry.transposeA, geometry.transposeB, prefersLongProduct(m: m, n: n, k: k) {
            return longProduct(a, b, m: m, n: n, k: k, out, accumulate: accumulate)
        }
        let lda = geometry.transposeA ? m : k
        let ldb = geometry.transposeB ? k : n
        for index in 0..<geometry.batch {
            gemm(transposeA: geometry.transposeA, transposeB: geometry.transposeB, m: m, n: n, k: k,
                 a + index * m * k, lda: lda, geometry.sharedRight ? b : b + index * k * n, ldb: ldb,
                 out + index * m * n, ldc: n, accumulate: accumulate)
        }
    }
}

extension Tensor {
    /// The matrix product `op(self) · op(other)`; leading axes of `self` are batch axes, and
    /// `other` is either a matrix shared by the batch or has the same batch axes.
    @inlinable
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
        let geometry: MatrixProductGeometry
        switch MatrixProductGeometry.of(shape, other.shape, transposeA: transposeSelf, transposeB: transposeOther) {
        case .success(let g): geometry = g
        case .failure(let error): preconditionFailure(error.description)
        }
        let result = Tensor(uninitializedShape: geometry.outputShape)
        let out = result.storage.base
        withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                Kernels.matmul(a.baseAddress!, b.baseAddress!, geometry, out, accumulate: false)
            }
        }
        return result
    }

    /// The Gram matrix of a matrix's rows, `A·Aᵀ` (`ofRows`), or of its columns, `Aᵀ·A`,
    /// through `?syrk`: half the multiplications of the equivalent GEMM, since only one
    /// triangle is computed (then mirrored).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func gramMatrix(ofRows: Bool) -> Tensor {
        precondition(rank == 2, "gramMatrix needs a matrix, got shape \(shape)")
        let (m, n) = (shape[0], shape[1])
        let size = ofRows ? m : n
        let result = Tensor.zeros([size, size])
        let c = result.storage.base
        if m > 0 && n > 0 {
            withUnsafeBufferPointer { a in
                Scalar.syrk(transpose: !ofRows, n: size, k: ofRows ? n : m, alpha: 1, a: a.baseAddress!, lda: n, beta: 0, c: c, ldc: size)
            }
        }
        for i in 0..<size {
            for j in 0..<i { c[i * size + j] = c[j * size + i] }
        }
        return result
    }
}
