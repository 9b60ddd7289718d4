import Testing
@testable import NoetherTensor

/// Weight gradients `Aᵀ · B` over a long token batch are cut along the shared rows, the chunks'
/// products added in chunk order: the values of one BLAS call, and the same bits on any number
/// of threads.
@Suite("Products cut along their shared rows")
struct SharedRowsProductTests {
    /// `A[k, m]ᵀ · B[k, n]` as one BLAS call, the reference.
    func blasProduct<T: TensorScalar>(_ a: Tensor<T>, _ b: Tensor<T>) -> Tensor<T> {
        let (k, m, n) = (a.shape[0], a.shape[1], b.shape[1])
        let c = Tensor<T>.zeros([m, n])
        T.gemm(transposeA: true, transposeB: false, m: m, n: n, k: k, alpha: 1,
               a: a.unsafeBaseAddress, lda: m, b: b.unsafeBaseAddress, ldb: n, beta: 0, c: c.storage.base, ldc: n)
        return c
    }

    func product<T: TensorScalar>(_ a: Tensor<T>, _ b: Tensor<T>, into c: Tensor<T>, accumulate: Bool, parts: Int = 1) {
        let (k, m, n) = (a.shape[0], a.shape[1], b.shape[1])
        let partials = Tensor<T>.zeros([Swift.max(1, Kernels.sharedRowsPartialCount(m: m, n: n, k: k))])
        Parallel.$partsOverride.withValue(parts) {
            Kernels.sharedRowsProduct(a.unsafeBaseAddress, b.unsafeBaseAddress, m: m, n: n, k: k, c.storage.base,
                                      accumulate: accumulate, partials: partials.storage.base)
        }
    }

    // Rows not a multiple of the chunk count; outputs of one entry, of a few, and of a layer.
    @Test(arguments: [(1, 1, 1024), (3, 5, 1537), (64, 48, 2048), (17, 33, 4099), (40, 24, 9000)])
    func matchesOneCallAndAccumulates(m: Int, n: Int, k: Int) {
        #expect(Kernels.sharedRowsChunkCount(m: m, n: n, k: k) > 1)
        var generator = RandomGenerator(seed: 5)
        let a = Tensor<Double>.normal([k, m], using: &generator), b = Tensor<Double>.normal([k, n], using: &generator)
        let expected = blasProduct(a, b)
        let c = Tensor<Double>.ones([m, n])
        product(a, b, into: c, accumulate: false)
        #expect(c.isApproximatelyEqual(to: expected, absoluteTolerance: 1e-9))
        product(a, b, into: c, accumulate: true)
        #expect(c.isApproximatelyEqual(to: expected * 2, absoluteTolerance: 1e-9))
    }

    @Test(arguments: [(256, 256, 2048), (64, 256, 2048), (683, 256, 2048), (10, 7, 5000)])
    func anyThreadCountGivesTheSameBits(m: Int, n: Int, k: Int) {
        var generator = RandomGenerator(seed: UInt64(m + n + k))
        let a = Tensor<Float>.normal([k, m], using: &generator), b = Tensor<Float>.normal([k, n], using: &generator)
        let start = Tensor<Float>.normal([m, n], using: &generator)
        for accumulate in [false, true] {
            let one = Tensor(shape: start.shape, scalars: start.scalars)
            product(a, b, into: one, accumulate: accumulate, parts: 1)
            for parts in [2, 3, 8] {
                let other = Tensor(shape: start.shape, scalars: start.scalars)
                product(a, b, into: other, accumulate: accumulate, parts: parts)
                #expect(one.bitwiseEquals(other), "\(m)×\(n)×\(k) accumulate=\(accumulate) on \(parts) threads")
            }
        }
    }

    @Test func chunksDependOnTheShapeOnly() {
        #expect(Kernels.sharedRowsChunkCount(m: 256, n: 256, k: 2048) == 4)
        #expect(Kernels.sharedRowsChunkCount(m: 256, n: 256, k: 1023) == 1)     // short: one call
        #expect(Kernels.sharedRowsChunkCount(m: 256, n: 256, k: 100_000) == 8)  // at most eight
        #expect(Kernels.sharedRowsChunkCount(m: 4096, n: 4096, k: 8192) == 1)   // partials too large
        #expect(Kernels.sharedRowsChunkCount(m: 0, n: 5, k: 8192) == 1)
        #expect(Kernels.sharedRowsChunkRange(0, of: 3, rows: 1537) == 0..<513)
        #expect(Kernels.sharedRowsChunkRange(2, of: 3, rows: 1537) == 1025..<1537)
    }
}
