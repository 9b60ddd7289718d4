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
