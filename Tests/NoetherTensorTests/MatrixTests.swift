import Testing
@testable import NoetherTensor

/// Reference matrix product by the definition.
func naiveProduct(_ a: Tensor<Double>, _ b: Tensor<Double>) -> Tensor<Double> {
    let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
    var c = Tensor<Double>.zeros([m, n])
    for i in 0..<m { for j in 0..<n { var s = 0.0; for l in 0..<k { s += a[i, l] * b[l, j] }; c[i, j] = s } }
    return c
}

@Suite("Matrix products through BLAS")
struct MatrixTests {
    @Test func productMatchesDefinitionForEveryTransposeCombination() {
        var generator = RandomGenerator(seed: 3)
        let a = Tensor<Double>.normal([5, 7], using: &generator)
        let b = Tensor<Double>.normal([7, 4], using: &generator)
        let expected = naiveProduct(a, b)
        #expect(a.matmul(b).isApproximatelyEqual(to: expected, absoluteTolerance: 1e-12))
        #expect(a.transposed().matmul(b, transposeSelf: true).isApproximatelyEqual(to: expected, absoluteTolerance: 1e-12))
        #expect(a.matmul(b.transposed(), transposeOther: true).isApproximatelyEqual(to: expected, absoluteTolerance: 1e-12))
        #expect(a.transposed().matmul(b.transposed(), transposeSelf: true, transposeOther: true)
            .isApproximatelyEqual(to: expected, absoluteTolerance: 1e-12))
    }

    @Test(arguments: [(5, 7), (7, 5), (1, 3), (40, 40)])
    func gramMatricesMatchTheDefinitionAndAreSymmetric(rows: Int, columns: Int) {
        var generator = RandomGenerator(seed: 9)
        let a = Tensor<Double>.normal([rows, columns], using: &generator)
        let ofRows = a.gramMatrix(ofRows: true), ofColumns = a.gramMatrix(ofRows: false)
        #expect(ofRows.shape == [rows, rows] && ofColumns.shape == [columns, columns])
        #expect(ofRows.isApproximatelyEqual(to: naiveProduct(a, a.transposed()), absoluteTolerance: 1e-12))
        #expect(ofColumns.isApproximatelyEqual(to: naiveProduct(a.transposed(), a), absoluteTolerance: 1e-12))
        #expect(ofColumns == ofColumns.transposed())
        let single = Tensor<Float>(a).gramMatrix(ofRows: false)
        #expect(Tensor<Double>(single).isApproximatelyEqual(to: ofColumns, absoluteTolerance: 1e-4))
        #expect(Tensor<Double>.zeros([0, 3]).gramMatrix(ofRows: false) == .zeros([3, 3]))
    }

    @Test func floatProductAgreesWithDouble() {
        var generator = RandomGenerator(seed: 4)
        let a = Tensor<Double>.normal([33, 65], using: &generator)
        let b = Tensor<Double>.normal([65, 17], using: &generator)
        let product = Tensor<Float>(a).matmul(Tensor<Float>(b))
        #expect(Tensor<Double>(product).isApproximatelyEqual(to: naiveProduct(a, b), absoluteTolerance: 1e-4))
    }

    @Test func batchedProductMultipliesEachEntry() {
        var generator = RandomGenerator(seed: 5)
        let a = Tensor<Double>.normal([3, 2, 4, 5], using: &generator)
        let b = Tensor<Double>.normal([3, 2, 5, 6], using: &generator)
        let c = a.matmul(b)
        #expect(c.shape == [3, 2, 4, 6])
        let a11 = a.slice(alongAxis: 0, 1..<2).slice(alongAxis: 1, 1..<2).reshaped([4, 5])
        let b11 = b.slice(alongAxis: 0, 1..<2).slice(alongAxis: 1, 1..<2).reshaped([5, 6])
        let c11 = c.slice(alongAxis: 0, 1..<2).slice(alongAxis: 1, 1..<2).reshaped([4, 6])
        #expect(c11.isApproximatelyEqual(to: naiveProduct(a11, b11), absoluteTolerance: 1e-12))
        // A matrix on the right is shared by every batch entry.
        let shared = Tensor<Double>.normal([5, 2], using: &generator)
        let d = a.matmul(shared)
        #expect(d.shape == [3, 2, 4, 2])
        #expect(d.slice(alongAxis: 0, 2..<3).slice(alongAxis: 1, 0..<1).reshaped([4, 2])
            .isApproximatelyEqual(to: naiveProduct(a.slice(alongAxis: 0, 2..<3).slice(alongAxis: 1, 0..<1).reshaped([4, 5]), shared), absoluteTolerance: 1e-12))
    }

    @Test func mismatchedShapesAreReportedNotTrapped() {
        let result = MatrixProductGeometry.of([2, 3], [4, 5], transposeA: false, transposeB: false)
        guard case .failure(let error) = result else { Issue.record("expected a failure"); return }
        #expect(error.description.contains("inner dimensions"))
    }
}

@Suite("Products with a tiny output and a long shared dimension")
struct LongProductTests {
    /// `A[m, k] · B[n, k]ᵀ` through BLAS, the reference.
    func blasProduct(_ a: Tensor<Double>, _ b: Tensor<Double>) -> Tensor<Double> {
        let (m, n, k) = (a.shape[0], b.shape[0], a.shape[1])
        let c = Tensor<Double>.zeros([m, n])
        Double.gemm(transposeA: false, transposeB: true, m: m, n: n, k: k, alpha: 1,
                    a: a.unsafeBaseAddress, lda: k, b: b.unsafeBaseAddress, ldb: k, beta: 0, c: c.storage.base, ldc: n)
        return c
    }

    // Widths not a multiple of the 4-row tile, lengths not a multiple of 8 or of the chunk.
    @Test(arguments: [(16, 9, 100_352), (3, 5, 16_385), (1, 1, 40_000), (7, 4, 20_483)])
    func matchesBLASAndAccumulates(m: Int, n: Int, k: Int) {
        #expect(Kernels.prefersLongProduct(m: m, n: n, k: k))
        var generator = RandomGenerator(seed: 21)
        let a = Tensor<Double>.normal([m, k], using: &generator), b = Tensor<Double>.normal([n, k], using: &generator)
        let expected = blasProduct(a, b)
        let c = Tensor<Double>.ones([m, n])
        Kernels.longProduct(a.unsafeBaseAddress, b.unsafeBaseAddress, m: m, n: n, k: k, c.storage.base, accumulate: false)
        #expect(c.isApproximatelyEqual(to: expected, absoluteTolerance: 1e-9))
        Kernels.longProduct(a.unsafeBaseAddress, b.unsafeBaseAddress, m: m, n: n, k: k, c.storage.base, accumulate: true)
        #expect(c.isApproximatelyEqual(to: expected * 2, absoluteTolerance: 1e-9))
        // Float32 through the public product, which routes this shape here.
        let single = Tensor<Float>(a).matmul(Tensor<Float>(b), transposeOther: true)
        #expect(Tensor<Double>(single).isApproximatelyEqual(to: expected, absoluteTolerance: 1e-3 * Double(k).squareRoot()))
    }

    @Test func shapesBLASServesWellStayWithBLAS() {
        #expect(!Kernels.prefersLongProduct(m: 32, n: 144, k: 25_088))  // a wide convolution's weight gradient
        #expect(!Kernels.prefersLongProduct(m: 16, n: 9, k: 1_000))     // short: no chunks to share
    }
}
