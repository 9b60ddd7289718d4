import COpenBLAS

// OpenBLAS splits a product among its own threads by their number, and for many shapes the
// split decides which kernel (full tile or edge tile) computes an entry, and so its rounding:
// on OpenBLAS 0.3.21, `sgemm` of 512×10×128 differs between 1 and 2 threads in 17 % of its
// entries, 100×300×50 in 4 %. A run's numbers would then depend on the threads a sweep
// executor gives it. So BLAS itself always runs on one thread, and a product large enough to
// share is cut by us into blocks whose shape depends only on the product's shape — never on
// the number of threads — each block one single-threaded BLAS call on `Parallel`'s threads.
// Every entry is then computed by the same call on every machine share.

/// OpenBLAS's own threading, switched off once per process before the first BLAS or LAPACK call
/// (which is also when ``BLASKernels`` replaces the kernels of OpenBLAS's unknown-CPU fallback).
/// With one BLAS thread, OpenBLAS's worker threads never get work after start-up, so they sleep
/// instead of spinning against ours: no `OPENBLAS_THREAD_TIMEOUT` is needed.
public enum BLASThreading {
    private static let pinned: Void = {
        BLASKernels.selectForThisCPU()
        openblas_set_num_threads(1)
    }()

    /// Makes OpenBLAS run every call on the calling thread (idempotent, cheap after the first).
    public static func pinToCallingThread() { pinned }
}

extension Kernels {
    /// Multiply-adds below which a product is one call on this thread (OpenBLAS's own threshold
    /// for using threads is the same order: 65536 × 4).
    public static let blockedProductMinimumWork = 1 << 18
    /// Blocks are multiples of this many rows or columns, so every block but the last fills the
    /// BLAS kernels' tiles (sgemm and dgemm tiles are at most 32 wide).
    public static let productBlockGranularity = 32
    /// The most blocks a large product is cut into — `Parallel`'s largest split — so that up to
    /// that many threads share it.
    public static let productBlocks = 8
    /// The shortest block worth cutting when a block goes through OpenBLAS's packing path. Each
    /// block is its own BLAS call and packs the whole operand it shares with the other blocks
    /// again; packing an element costs about as much as 19 of the multiply-adds that use it
    /// (measured on OpenBLAS's SkylakeX sgemm), and a block of length L uses each packed element
    /// L times, so 32-long blocks spent ~60 % more time packing than multiplying and 128-long
    /// ones ~15 %.
    public static let productBlockMinimumLength = 128
    /// Multiply-adds up to which OpenBLAS's small-matrix kernel may take a product: it packs
    /// nothing, so below this size fine blocks cost nothing extra.
    public static let smallKernelWork = 1_000_000

    /// Whether OpenBLAS (0.3.21's AVX-512 kernels) runs `op(A) · op(B)`, `C` row-major `m × n`,
    /// through its small-matrix kernel. Its permit rule (`sgemm_small_kernel_permit_skylakex.c`)
    /// restated for row-major operands: CBLAS hands the product over as `Cᵀ = op(B)ᵀ · op(A)ᵀ`,
    /// so OpenBLAS's `transa` is our `transposeB`. It is sgemm's rule; Double products (rare
    /// in training) use it too. A performance guess only: a library that decides otherwise gets
    /// the same bits from the same blocks, just not at the best speed.
    @inlinable
    public static func smallKernelTakes(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int) -> Bool {
        guard m * n * k <= smallKernelWork else { return false }
        guard transposeB else { return true }
        return !transposeA && m * n <= 1200 && k >= 32
    }

    /// The block length along a side of `length`:
    /// - eighths (each a multiple of the granularity) when `smallKernelTakesBlock` says that a
    ///   block that long goes through OpenBLAS's small-matrix kernel, which packs nothing;
    /// - otherwise 8, 4, 2 or 1 blocks — the most that leaves each block at least
    ///   ``productBlockMinimumLength`` long; a power of two, so that 2, 4 or 8 threads share
    ///   them evenly.
    ///
    /// A function of the shape only.
    @inlinable
    public static func productBlockLength(_ length: Int, smallKernelTakesBlock: (_ blockLength: Int) -> Bool = { _ in false }) -> Int {
        let granularity = productBlockGranularity
        func rounded(_ blocks: Int) -> Int {
            let share = (length + blocks - 1) / blocks
            return Swift.max(granularity, (share + granularity - 1) / granularity * granularity)
        }
        let fine = rounded(productBlocks)
        if smallKernelTakesBlock(fine) { return fine }
        var blocks = productBlocks
        while blocks > 1 && length / blocks < productBlockMinimumLength { blocks /= 2 }
        return rounded(blocks)
    }

    /// `C (+)= op(A) · op(B)` on row-major matrices (`C` is `m × n` with row stride `ldc`), cut
    /// along the longer side of `C` into blocks fixed by the shape, the blocks spread over the
    /// cores. The result is bit-identical for any number of threads.
    ///
    /// - Parameter onThisThread: runs the same blocks one after the other on the calling thread
    ///   (same bits), for callers that already split their work over the cores.
    public static func gemm<T: TensorScalar>(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        _ a: UnsafePointer<T>, lda: Int, _ b: UnsafePointer<T>, ldb: Int,
        _ c: UnsafeMutablePointer<T>, ldc: Int, accumulate: Bool, onThisThread: Bool = false
    ) {
        let beta: T = accumulate ? 1 : 0
        let work = m * n * k
        let splitRows = m >= n
        let side = splitRows ? m : n
        let length = productBlockLength(side) { block in
            smallKernelTakes(transposeA: transposeA, transposeB: transposeB,
                             m: splitRows ? block : m, n: splitRows ? n : block, k: k)
        }
        guard work >= blockedProductMinimumWork, side > length else {
            T.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                   alpha: 1, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        let blocks = (side + length - 1) / length
        // Each block writes its own rows or columns of C.
        nonisolated(unsafe) let c = c
        Parallel.forEachRange(blocks, work: onThisThread ? 0 : work, minimumWork: blockedProductMinimumWork) { range in
            for block in range {
                let start = block * length
                let size = Swift.min(length, side - start)
                if splitRows {
                    // Rows of op(A): rows of A, or columns of a transposed A.
                    T.gemm(transposeA: transposeA, transposeB: transposeB, m: size, n: n, k: k,
                           alpha: 1, a: a + (transposeA ? start : start * lda), lda: lda, b: b, ldb: ldb,
                           beta: beta, c: c + start * ldc, ldc: ldc)
                } else {
                    // Columns of op(B): columns of B, or rows of a transposed B.
                    T.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: size, k: k,
                           alpha: 1, a: a, lda: lda, b: b + (transposeB ? start * ldb : start), ldb: ldb,
                           beta: beta, c: c + start, ldc: ldc)
                }
            }
        }
    }
}
