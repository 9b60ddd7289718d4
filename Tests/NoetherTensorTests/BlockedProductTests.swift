import Testing
@testable import NoetherTensor

/// Matrix products are cut into blocks fixed by their shape, so any number of threads gives
/// the same bits — including the shapes where OpenBLAS's own threading does not.
@Suite("Blocked matrix products")
struct BlockedProductTests {
    func product(_ m: Int, _ n: Int, _ k: Int, transposeA: Bool, transposeB: Bool, parts: Int) -> Tensor<Float> {
        var generator = RandomGenerator(seed: UInt64(m * 31 + n * 7 + k))
        let a = Tensor<Float>.normal(transposeA ? [k, m] : [m, k], using: &generator)
        let b = Tensor<Float>.normal(transposeB ? [n, k] : [k, n], using: &generator)
        return Parallel.$partsOverride.withValue(parts) { a.matmul(b, transposeSelf: transposeA, transposeOther: transposeB) }
    }

    @Test(arguments: [(512, 10, 128), (128, 10, 512), (10, 512, 128), (100, 300, 50), (300, 784, 100), (1000, 70, 33),
                      (2048, 40, 16), (300, 256, 40), (32, 256, 288), (16, 1024, 27)])
    func anyThreadCountGivesTheSameBits(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
            let one = product(m, n, k, transposeA: transposeA, transposeB: transposeB, parts: 1)
            for parts in [2, 3, 8] {
                #expect(one.bitwiseEquals(product(m, n, k, transposeA: transposeA, transposeB: transposeB, parts: parts)),
                        "\(m)×\(n)×\(k) tA=\(transposeA) tB=\(transposeB) on \(parts) threads")
            }
        }
    }

    @Test func blockedProductsAreCorrect() {
        // Against a product small enough to be one call: each block is a sub-product.
        var generator = RandomGenerator(seed: 2)
        let a = Tensor<Double>.normal([333, 90], using: &generator)
        let b = Tensor<Double>.normal([90, 47], using: &generator)
        let whole = a.matmul(b)
        for row in [0, 31, 32, 200, 332] {
            let expected = a.slice(alongAxis: 0, row..<(row + 1)).matmul(b)
            #expect(whole.slice(alongAxis: 0, row..<(row + 1)).isApproximatelyEqual(to: expected, absoluteTolerance: 1e-12))
        }
    }

    @Test func blocksDependOnTheShapeOnly() {
        // Blocks of at least 128, in 8, 4, 2 or 1 pieces, each a multiple of 32 …
        #expect(Kernels.productBlockLength(2048) == 256)
        #expect(Kernels.productBlockLength(1024) == 128)
        #expect(Kernels.productBlockLength(784) == 224)
        #expect(Kernels.productBlockLength(512) == 128)
        #expect(Kernels.productBlockLength(256) == 128)
        #expect(Kernels.productBlockLength(255) == 256)
        #expect(Kernels.productBlockLength(100) == 128)
        #expect(Kernels.productBlockLength(10) == 32)
        // … unless eighths go through OpenBLAS's small-matrix kernel, which packs nothing.
        #expect(Kernels.productBlockLength(256) { _ in true } == 32)
        #expect(Kernels.productBlockLength(288) { _ in true } == 64)
        // A ResNet stage-2 image: W[32, 288] · columns[288, 256] — eighths of 32 × 32 × 288.
        #expect(Kernels.smallKernelTakes(transposeA: false, transposeB: false, m: 32, n: 32, k: 288))
        #expect(!Kernels.smallKernelTakes(transposeA: false, transposeB: false, m: 128, n: 32, k: 784))
        #expect(!Kernels.smallKernelTakes(transposeA: true, transposeB: true, m: 8, n: 8, k: 8))
        #expect(!Kernels.smallKernelTakes(transposeA: false, transposeB: true, m: 32, n: 64, k: 256))
        #expect(Kernels.smallKernelTakes(transposeA: false, transposeB: true, m: 16, n: 64, k: 256))
    }
}
