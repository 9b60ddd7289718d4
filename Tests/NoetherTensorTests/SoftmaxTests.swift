import Testing
@testable import NoetherTensor

@Suite("Softmax")
struct SoftmaxTests {
    @Test func softmaxRowsSumToOneAndMatchDefinition() {
        let x = Tensor<Double>(rows: [[1, 2, 3], [0, 0, 0]])
        let p = x.softmax()
        let e = [1.0, 2, 3].map { Double.exp($0) }
        #expect(abs(p[0, 2] - e[2] / e.reduce(0, +)) < 1e-15)
        #expect(abs(p[1, 0] - 1.0 / 3) < 1e-15)
    }

    @Test func logSoftmaxIsStableForHugeLogits() {
        let x = Tensor<Float>(rows: [[1000, 0, -1000]])
        let l = x.logSoftmax().scalars
        #expect(l[0] == 0)
        #expect(l[1] == -1000)
        #expect(l.allSatisfy { $0.isFinite })
        #expect(x.softmax().scalars == [1, 0, 0])
    }
}
