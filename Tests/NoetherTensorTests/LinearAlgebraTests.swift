import Testing
@testable import NoetherTensor

@Suite("SVD, eigendecomposition and pseudo-inverse")
struct LinearAlgebraTests {
    @Test func singularValuesOfAKnownMatrix() throws {
        // [[3, 0], [0, -2], [0, 0]] has singular values 3 and 2.
        let a = Tensor<Double>(rows: [[3, 0], [0, -2], [0, 0]])
        let s = try a.singularValues()
        #expect(abs(s[0] - 3) < 1e-12 && abs(s[1] - 2) < 1e-12)
        #expect(try Tensor<Float>(a).singularValues() == [3, 2])
    }

    @Test(arguments: [(6, 4), (4, 6), (5, 5)])
    func thinSVDReconstructsTheMatrix(m: Int, n: Int) throws {
        var generator = RandomGenerator(seed: UInt64(m * 10 + n))
        let a = Tensor<Double>.normal([m, n], using: &generator)
        let d = try a.svd()
        let k = min(m, n)
        #expect(d.u.shape == [m, k] && d.vTransposed.shape == [k, n])
        let reconstructed = (d.u * d.singularValues.reshaped([1, k])).matmul(d.vTransposed)
        #expect(reconstructed.isApproximatelyEqual(to: a, absoluteTolerance: 1e-12))
        #expect(d.u.matmul(d.u, transposeSelf: true).isApproximatelyEqual(to: .identity(k), absoluteTolerance: 1e-12))
        #expect(Tensor(try a.singularValues()).isApproximatelyEqual(to: d.singularValues, absoluteTolerance: 1e-12))
        let values = d.singularValues.scalars
        #expect(zip(values, values.dropFirst()).allSatisfy { $0 >= $1 })
    }

    @Test func symmetricEigendecompositionSatisfiesDefinition() throws {
        var generator = RandomGenerator(seed: 9)
        let b = Tensor<Double>.normal([5, 5], using: &generator)
        let a = b.matmul(b, transposeOther: true)
        let e = try a.symmetricEigendecomposition()
        let values = e.eigenvalues.scalars
        #expect(zip(values, values.dropFirst()).allSatisfy { $0 <= $1 })
        // A V = V Λ
        let av = a.matmul(e.eigenvectors)
        let vl = e.eigenvectors * e.eigenvalues.reshaped([1, 5])
        #expect(av.isApproximatelyEqual(to: vl, absoluteTolerance: 1e-10))
        let known = try Tensor<Double>(rows: [[2, 1], [1, 2]]).symmetricEigendecomposition().eigenvalues.scalars
        #expect(abs(known[0] - 1) < 1e-12 && abs(known[1] - 3) < 1e-12)
    }

    @Test func pseudoInverseOfARankDeficientMatrix() throws {
        let u = Tensor<Double>(shape: [4, 1], scalars: [1, 2, 0, -1])
        let v = Tensor<Double>(shape: [1, 3], scalars: [2, 0, 1])
        let a = u.matmul(v)  // rank 1
        let p = try a.pseudoInverse()
        #expect(p.shape == [3, 4])
        #expect(a.matmul(p).matmul(a).isApproximatelyEqual(to: a, absoluteTolerance: 1e-12))
        #expect(p.matmul(a).matmul(p).isApproximatelyEqual(to: p, absoluteTolerance: 1e-12))
        // For a rank-one matrix u vᵀ, A⁺ = v uᵀ / (‖u‖²‖v‖²).
        let expected = v.transposed().matmul(u.transposed()) * (1.0 / (6 * 5))
        #expect(p.isApproximatelyEqual(to: expected, absoluteTolerance: 1e-12))
    }

    @Test func decompositionsRejectNonFiniteInput() {
        let a = Tensor<Double>(rows: [[1, .nan], [0, 1]])
        #expect(throws: LinearAlgebraError.self) { try a.singularValues() }
        #expect(throws: LinearAlgebraError.self) { try a.symmetricEigendecomposition() }
        #expect(throws: LinearAlgebraError.self) { try Tensor<Double>([1, 2]).svd() }
    }
}
