import Testing
@testable import NoetherTensor

@Suite("Element-wise operations and broadcasting")
struct ElementwiseTests {
    @Test func broadcastShapesFollowNumpyRules() {
        #expect(Shape.broadcast([3, 1, 5], [4, 5]) == [3, 4, 5])
        #expect(Shape.broadcast([2, 3], [3]) == [2, 3])
        #expect(Shape.broadcast([], [2, 2]) == [2, 2])
        #expect(Shape.broadcast([2, 3], [2]) == nil)
    }

    @Test func addingARowBroadcastsOverRows() {
        let a = Tensor<Float>(rows: [[1, 2, 3], [4, 5, 6]])
        let b = Tensor<Float>([10, 20, 30])
        #expect((a + b).scalars == [11, 22, 33, 14, 25, 36])
    }

    @Test func columnAndRowBroadcastTogether() {
        let column = Tensor<Double>(shape: [2, 1], scalars: [1, 2])
        let row = Tensor<Double>(shape: [1, 3], scalars: [10, 20, 30])
        let product = column * row
        #expect(product.shape == [2, 3])
        #expect(product.scalars == [10, 20, 30, 20, 40, 60])
        #expect((row - column).scalars == [9, 19, 29, 8, 18, 28])
    }

    @Test func activationsHaveKnownValues() {
        let x = Tensor<Double>([-2, -0.5, 0, 1.5])
        #expect(x.map(.relu).scalars == [0, 0, 0, 1.5])
        #expect(x.map(.leakyRelu(slope: 0.1)).scalars == [-0.2, -0.05, 0, 1.5])
        let gelu = x.map(.gelu).scalars
        // GELU(x) = x Φ(x); Φ(1.5) = 0.9331928, Φ(-2) = 0.0227501
        #expect(abs(gelu[3] - 1.5 * 0.9331927987311419) < 1e-12)
        #expect(abs(gelu[0] - -2 * 0.022750131948179195) < 1e-12)
        #expect(abs(x.map(.tanh).scalars[3] - 0.9051482536448664) < 1e-12)
        #expect(x.map(.sin).scalars[2] == 0)
        #expect(x.map(.identity).scalars == x.scalars)
    }

    @Test func sigmoidIsStableForLargeInputs() {
        let values = Tensor<Float>([-1000, 0, 1000]).map(.sigmoid).scalars
        #expect(values == [0, 0.5, 1])
    }

    @Test func copyOnWriteKeepsValueSemantics() {
        let a = Tensor<Float>([1, 2, 3])
        var b = a
        b[0] = 9
        #expect(a.scalars == [1, 2, 3])
        #expect(b.scalars == [9, 2, 3])
    }

    @Test func reductionsAlongAxes() {
        let a = Tensor<Double>(shape: [2, 3, 2], scalars: (0..<12).map(Double.init))
        #expect(a.sum() == 66)
        #expect(a.sum(alongAxis: 1).scalars == [6, 9, 24, 27])
        #expect(a.sum(alongAxis: 0, keepingDimension: true).shape == [1, 3, 2])
        #expect(a.mean(alongAxis: -1).scalars == [0.5, 2.5, 4.5, 6.5, 8.5, 10.5])
        #expect(a.max(alongAxis: 1).scalars == [4, 5, 10, 11])
        #expect(Tensor<Float>(rows: [[1, 5, 5], [7, 0, 2]]).argmaxAlongLastAxis() == [1, 0])
    }

    @Test func convertingPrecisionPreservesValues() {
        let a = Tensor<Double>([0.5, -1.25, 3])
        #expect(Tensor<Float>(a).scalars == [0.5, -1.25, 3])
    }
}
