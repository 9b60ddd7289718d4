import Testing
@testable import NoetherTensor

@Suite("Reshapes, permutations, slices and concatenation")
struct LayoutTests {
    @Test func transposeOfAMatrix() {
        let a = Tensor<Float>(rows: [[1, 2, 3], [4, 5, 6]])
        #expect(a.transposed().shape == [3, 2])
        #expect(a.transposed().scalars == [1, 4, 2, 5, 3, 6])
    }

    @Test func largeTransposeRoundTrips() {
        var generator = RandomGenerator(seed: 1)
        let a = Tensor<Float>.normal([37, 70], using: &generator)
        #expect(a.transposed().transposed() == a)
        #expect(a.transposed()[5, 30] == a[30, 5])
    }

    @Test func permutationMovesElementsToPermutedIndices() {
        let a = Tensor<Double>(shape: [2, 3, 4], scalars: (0..<24).map(Double.init))
        let p = a.permuted([2, 0, 1])
        #expect(p.shape == [4, 2, 3])
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { #expect(p[k, i, j] == a[i, j, k]) } } }
        #expect(p.permuted([1, 2, 0]) == a)
    }

    @Test func sliceThenConcatenateRestores() {
        let a = Tensor<Float>(shape: [3, 5], scalars: (0..<15).map(Float.init))
        let left = a.slice(alongAxis: 1, 0..<2)
        let right = a.slice(alongAxis: 1, 2..<5)
        #expect(left.scalars == [0, 1, 5, 6, 10, 11])
        #expect(Tensor.concatenate([left, right], alongAxis: 1) == a)
        #expect(Tensor.concatenate([a.slice(alongAxis: 0, 0..<1), a.slice(alongAxis: 0, 1..<3)], alongAxis: 0) == a)
    }

    @Test func gatherRowsSelectsInOrder() {
        let a = Tensor<Float>(rows: [[1, 2], [3, 4], [5, 6]])
        #expect(a.gatherRows([2, 0, 2]).scalars == [5, 6, 1, 2, 5, 6])
        // Contiguous slices and collections without contiguous storage take the same path.
        #expect(a.gatherRows([9, 2, 1][1...]).scalars == [5, 6, 3, 4])
        #expect(a.gatherRows((0..<3).reversed()).scalars == [5, 6, 3, 4, 1, 2])
        #expect(a.gatherRows([Int]()).shape == [0, 2])
    }

    @Test func reshapeSharesElements() {
        let a = Tensor<Float>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(a.reshaped([3, 2])[2, 1] == 6)
    }
}
