import Testing
import NoetherTensor
@testable import NoetherRepresent

func gaussian(_ shape: Shape, seed: UInt64) -> Tensor<Double> {
    var generator = RandomGenerator(seed: seed)
    return .normal(shape, using: &generator)
}

/// A random orthogonal matrix.
func orthogonal(_ n: Int, seed: UInt64) throws -> Tensor<Double> { try gaussian([n, n], seed: seed).svd().u }

/// Unbiased HSIC by its definition, with explicit N × N kernels.
func naiveUnbiasedHSIC(_ k: Tensor<Double>, _ l: Tensor<Double>) -> Double {
    let n = k.shape[0]
    var kt = k, lt = l
    for i in 0..<n { kt[i, i] = 0; lt[i, i] = 0 }
    let ones = Tensor<Double>.ones([n, 1])
    let trace = kt.matmul(lt).trace
    let sumK = ones.matmul(kt.matmul(ones), transposeSelf: true).scalar
    let sumL = ones.matmul(lt.matmul(ones), transposeSelf: true).scalar
    let cross = ones.matmul(kt.matmul(lt).matmul(ones), transposeSelf: true).scalar
    let m = Double(n)
    return (trace + sumK * sumL / ((m - 1) * (m - 2)) - 2 / (m - 2) * cross) / (m * (m - 3))
}

@Suite("Alignment between representations")
struct AlignmentTests {
    @Test func selfAlignmentIsOne() throws {
        let a = gaussian([50, 8], seed: 1)
        #expect(abs(try Alignment.kernelAlignment(a, a) - 1) < 1e-6)
        #expect(abs(try Alignment.linearCKA(a, a) - 1) < 1e-6)
        #expect(abs(try Alignment.unbiasedCKA(a, a) - 1) < 1e-6)
        #expect(try Alignment.mutualKNN(a, a, k: 5) == 1)
    }

    @Test func ckaIsInvariantToOrthogonalMapsAndIsotropicScaling() throws {
        let a = gaussian([60, 6], seed: 2), b = gaussian([60, 9], seed: 3) + a.matmul(gaussian([6, 9], seed: 4))
        let rotated = b.matmul(try orthogonal(9, seed: 5)) * 3.7
        #expect(abs(try Alignment.linearCKA(a, b) - Alignment.linearCKA(a, rotated)) < 1e-9)
        #expect(abs(try Alignment.unbiasedCKA(a, b) - Alignment.unbiasedCKA(a, rotated)) < 1e-9)
        #expect(abs(try Alignment.kernelAlignment(a, b) - Alignment.kernelAlignment(a, rotated)) < 1e-9)
        #expect(try Alignment.mutualKNN(a, b, k: 5) == Alignment.mutualKNN(a, rotated, k: 5))
        // CKA is not invariant to arbitrary linear maps: a sanity check that it can move.
        let squashed = b * Tensor(shape: [1, 9], scalars: [10, 1, 1, 1, 1, 1, 1, 1, 0.1])
        #expect(abs(try Alignment.linearCKA(a, b) - Alignment.linearCKA(a, squashed)) > 1e-3)
    }

    @Test func unbiasedCKAMatchesItsDefinition() throws {
        let a = gaussian([7, 3], seed: 6), b = gaussian([7, 4], seed: 7)
        let (k, l) = (a.matmul(a, transposeOther: true), b.matmul(b, transposeOther: true))
        let expected = naiveUnbiasedHSIC(k, l) / (naiveUnbiasedHSIC(k, k) * naiveUnbiasedHSIC(l, l)).squareRoot()
        #expect(abs(try Alignment.unbiasedCKA(a, b) - expected) < 1e-12)
    }

    @Test func mutualNearestNeighboursOnAHandExample() throws {
        // Points on a line: in A neighbours are by angle; B swaps two directions.
        let a = Tensor<Double>(rows: [[1, 0], [1, 0.1], [0, 1], [0.1, 1]])
        let b = Tensor<Double>(rows: [[1, 0], [0, 1], [1, 0.1], [0.1, 1]])
        // k = 1: A pairs (0,1), (2,3); B pairs (0,2), (1,3): no sample keeps its neighbour.
        #expect(try Alignment.mutualKNN(a, b, k: 1) == 0)
        #expect(try Alignment.mutualKNN(a, a, k: 1) == 1)
    }

    @Test func mismatchedOrBrokenInputsAreErrors() {
        #expect(throws: RepresentationError.self) { try Alignment.linearCKA(gaussian([5, 2], seed: 1), gaussian([6, 2], seed: 1)) }
        var nan = gaussian([5, 2], seed: 1)
        nan[0, 0] = .nan
        #expect(throws: RepresentationError.self) { try Alignment.kernelAlignment(nan, nan) }
        #expect(throws: RepresentationError.self) { try Alignment.mutualKNN(gaussian([3, 2], seed: 1), gaussian([3, 2], seed: 2), k: 3) }
    }

    @Test func canonicalAlignmentOfProportionalMatricesIsOne() {
        let a = gaussian([4, 4], seed: 9)
        let s = a.matmul(a, transposeOther: true)
        #expect(abs(Alignment.canonical(s, s * 2.5) - 1) < 1e-12)
    }
}
