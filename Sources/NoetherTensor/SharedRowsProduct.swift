// A weight gradient `dW[out, in] = gᵀ · x` shares the long axis of its operands: the N·S rows
// of a token batch (2048–4096 in the transformer and GPT blocks) against a few hundred outputs.
// Cut along the output (what the blocked product does), every block packs the whole of the
// other operand again: with the blocked product's former 8 blocks of 32 output rows,
// 256 × 256 × 2048 took 3.4 ms on one core against 1.9 ms as one call (OpenBLAS 0.3.21, SkylakeX kernels; docs/benchmarks.md).
// Cut along the shared rows instead, each operand is packed once in all, and the chunks'
// partial products are added in chunk order afterwards — a cost of one pass over the small
// output per chunk. The chunks depend on the shape only, so the bits do not depend on the
// number of threads.
extension Kernels {
    /// Shared rows per chunk: long enough that a chunk's product runs at the BLAS kernels'
    /// full speed (measured: 2 or 4 chunks of 2048 rows cost what one call costs).
    public static let sharedRowsChunk = 512
    /// At most this many chunks, so that up to `Parallel`'s largest split shares the work.
    public static let sharedRowsChunks = 8
    /// Partial outputs kept at most (entries): beyond, the product is cut along its output.
    public static let sharedRowsPartialLimit = 1 << 22

    /// The number of chunks `Aᵀ · B` with `k` shared rows and an `m × n` output is cut into
    /// (1: not cut). A function of the shape only.
    @inlinable
    public static func sharedRowsChunkCount(m: Int, n: Int, k: Int) -> Int {
        guard k >= 2 * sharedRowsChunk, m > 0, n > 0, m <= sharedRowsPartialLimit / n else { return 1 }
        let chunks = Swift.min(sharedRowsChunks, k / sharedRowsChunk)
        // The partial outputs of every chunk but the first, which writes into C directly.
        return (chunks - 1) * m * n <= sharedRowsPartialLimit ? chunks : 1
    }

    /// The rows of chunk `chunk` of `count` over `k` shared rows: equal shares, the remainder
    /// spread over the first chunks.
    @inlinable
    static func sharedRowsChunkRange(_ chunk: Int, of count: Int, rows k: Int) -> Range<Int> {
        let (share, extra) = k.quotientAndRemainder(dividingBy: count)
        let start = chunk * share + Swift.min(chunk, extra)
        return start..<(start + share + (chunk < extra ? 1 : 0))
    }

    /// The scratch entries ``sharedRowsProduct(_:_:m:n:k:_:accumulate:partials:)`` needs.
    @inlinable
    public static func sharedRowsPartialCount(m: Int, n: Int, k: Int) -> Int {
        (sharedRowsChunkCount(m: m, n: n, k: k) - 1) * m * n
    }

    /// `C[m, n] (+)= A[k, m]ᵀ · B[k, n]` on contiguous row-major matrices. Long `k` is cut into
    /// ``sharedRowsChunkCount(m:n:k:)`` chunks whose products run on the cores and are added
    /// in chunk order (C's previous value first when accumulating); otherwise the blocked
    /// product. The result is bit-identical for any number of threads.
    ///
    /// - Parameter partials: scratch of ``sharedRowsPartialCount(m:n:k:)`` entries (a caller's
    ///   reused buffer: a fresh one per call would be megabytes of new pages to fault in).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func sharedRowsProduct<T: TensorScalar>(
        _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, m: Int, n: Int, k: Int,
        _ c: UnsafeMutablePointer<T>, accumulate: Bool, partials: UnsafeMutablePointer<T>
    ) {
        let chunks = sharedRowsChunkCount(m: m, n: n, k: k)
        guard chunks > 1 else {
            return gemm(transposeA: true, transposeB: false, m: m, n: n, k: k, a, lda: m, b, ldb: n, c, ldc: n, accumulate: accumulate)
        }
        let outputs = m * n
        nonisolated(unsafe) let (c, partials) = (c, partials)
        Parallel.forEachRange(chunks, work: outputs * k) { range in
            for chunk in range {
                let rows = sharedRowsChunkRange(chunk, of: chunks, rows: k)
                // The first chunk adds to C's previous value (β = 1) or replaces it.
                let target = chunk == 0 ? c : partials + (chunk - 1) * outputs
                T.gemm(transposeA: true, transposeB: false, m: m, n: n, k: rows.count,
                       alpha: 1, a: a + rows.lowerBound * m, lda: m, b: b + rows.lowerBound * n, ldb: n,
                       beta: chunk == 0 && accumulate ? 1 : 0, c: target, ldc: n)
            }
        }
        // Each entry adds its partials in chunk order, whatever range it falls in.
        Parallel.forEachRange(outputs, work: outputs * chunks) { range in
            for chunk in 1..<chunks {
                let partial = partials + (chunk - 1) * outputs
                for index in range { c[index] += partial[index] }
            }
        }
    }
}
