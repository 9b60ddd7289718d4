import Testing
@testable import NoetherTensor

@Suite("Convolution and pooling")
struct ConvolutionTests {
    @Test func poolingRefusesInputsBeyondItsInt32Indices() {
        // Only shapes: no memory is touched.
        guard case .failure(let error) = PoolingGeometry.of(input: [2, 1, 46_341, 46_341], window: 2, stride: 2) else {
            Issue.record("an input of 4.3 · 10⁹ elements was accepted")
            return
        }
        #expect(error.description.contains("2³¹"))
        guard case .success = PoolingGeometry.of(input: [1, 1, 46_340, 46_340], window: 2, stride: 2) else {
            Issue.record("an input of 2.1 · 10⁹ elements was refused")
            return
        }
    }

    /// Direct convolution by the definition.
    func naiveConvolution(_ x: Tensor<Double>, _ w: Tensor<Double>, _ b: Tensor<Double>, stride: Int, padding: Int) -> Tensor<Double> {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (o, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
        let oh = (h + 2 * padding - kh) / stride + 1, ow = (wd + 2 * padding - kw) / stride + 1
        var y = Tensor<Double>.zeros([n, o, oh, ow])
        for i in 0..<n { for f in 0..<o { for yy in 0..<oh { for xx in 0..<ow {
            var s = b[f]
            for ch in 0..<c { for ky in 0..<kh { for kx in 0..<kw {
                let iy = yy * stride + ky - padding, ix = xx * stride + kx - padding
                if iy >= 0 && iy < h && ix >= 0 && ix < wd { s += x[i, ch, iy, ix] * w[f, ch, ky, kx] }
            } } }
            y[i, f, yy, xx] = s
        } } } }
        return y
    }

    @Test(arguments: [(1, 0), (1, 1), (2, 1), (2, 0)])
    func convolutionMatchesDefinition(stride: Int, padding: Int) {
        var generator = RandomGenerator(seed: 11)
        let x = Tensor<Double>.normal([2, 3, 7, 6], using: &generator)
        let w = Tensor<Double>.normal([4, 3, 3, 2], using: &generator)
        let b = Tensor<Double>.normal([4], using: &generator)
        let y = x.conv2d(weight: w, bias: b, stride: stride, padding: padding)
        #expect(y.isApproximatelyEqual(to: naiveConvolution(x, w, b, stride: stride, padding: padding), absoluteTolerance: 1e-12))
    }

    /// Maps smaller than half the kernel: whole rows of patches are padding.
    @Test(arguments: [(1, 5, 2), (2, 7, 3), (3, 5, 2)])
    func kernelsWiderThanTheMapMatchDefinition(size: Int, kernel: Int, padding: Int) {
        var generator = RandomGenerator(seed: 12)
        let x = Tensor<Double>.normal([3, 2, size, size], using: &generator)
        let w = Tensor<Double>.normal([2, 2, kernel, kernel], using: &generator)
        let b = Tensor<Double>.normal([2], using: &generator)
        let y = x.conv2d(weight: w, bias: b, padding: padding)
        #expect(y.shape == [3, 2, size, size])
        #expect(y.isApproximatelyEqual(to: naiveConvolution(x, w, b, stride: 1, padding: padding), absoluteTolerance: 1e-12))
    }

    /// More images than one chunk, and 1×1 convolutions, which use each image as its own patch matrix.
    @Test(arguments: [(3, 1, 1), (1, 1, 0), (1, 2, 0), (3, 2, 1)])
    func chunksAndPointwiseConvolutionsMatchDefinition(kernel: Int, stride: Int, padding: Int) {
        var generator = RandomGenerator(seed: 13)
        let x = Tensor<Double>.normal([ConvolutionGeometry.imagesPerChunk * 2 + 3, 3, 6, 5], using: &generator)
        let w = Tensor<Double>.normal([4, 3, kernel, kernel], using: &generator)
        let b = Tensor<Double>.normal([4], using: &generator)
        let y = x.conv2d(weight: w, bias: b, stride: stride, padding: padding)
        #expect(y.isApproximatelyEqual(to: naiveConvolution(x, w, b, stride: stride, padding: padding), absoluteTolerance: 1e-12))
    }

    /// The unrolled 2×2 max pooling against the definition: first maximum in row-major window
    /// order, the first NaN winning — on ties, NaNs at each window position and random values.
    @Test func twoByTwoMaxPoolingMatchesDefinition() {
        var generator = RandomGenerator(seed: 14)
        var x = Tensor<Float>.normal([2, 3, 8, 6], using: &generator)
        for i in stride(from: 0, to: 96, by: 7) { x[0, 0, i / 6 % 8, i % 6] = .nan }
        for i in 0..<6 { x[1, 2, 0, i] = 1; x[1, 2, 1, i] = 1 }  // ties: the first position wins
        guard case .success(let g) = PoolingGeometry.of(input: x.shape, window: 2, stride: 2) else {
            Issue.record("2×2 pooling refused \(x.shape)")
            return
        }
        var y = [Float](repeating: 0, count: g.outputShape.count), argmax = [Int32](repeating: -1, count: y.count)
        x.withUnsafeBufferPointer { input in
            y.withUnsafeMutableBufferPointer { out in
                argmax.withUnsafeMutableBufferPointer { Kernels.maxPool2d(input.baseAddress!, g, out.baseAddress!, argmax: $0.baseAddress!) }
            }
        }
        for n in 0..<2 { for c in 0..<3 { for oy in 0..<4 { for ox in 0..<3 {
            let positions = [(0, 0), (0, 1), (1, 0), (1, 1)].map { ((n * 3 + c) * 8 + 2 * oy + $0.0) * 6 + 2 * ox + $0.1 }
            let values = positions.map { x.scalars[$0] }
            var first = values.firstIndex { $0.isNaN } ?? 0
            if !values[first].isNaN { for k in 1..<4 where values[k] > values[first] { first = k } }
            let o = ((n * 3 + c) * 4 + oy) * 3 + ox
            #expect(Int(argmax[o]) == positions[first], "window \(n) \(c) \(oy) \(ox)")
            #expect(y[o] == values[first] || (y[o].isNaN && values[first].isNaN))
        } } } }
    }

    @Test func anEmptyBatchConvolvesToAnEmptyBatch() {
        let y = Tensor<Float>.zeros([0, 2, 5, 5]).conv2d(weight: .zeros([3, 2, 3, 3]), padding: 1)
        #expect(y.shape == [0, 3, 5, 5])
    }

    @Test func poolingHasKnownValues() {
        let x = Tensor<Float>(shape: [1, 1, 4, 4], scalars: (0..<16).map(Float.init))
        #expect(x.maxPool2d(window: 2).scalars == [5, 7, 13, 15])
        #expect(x.avgPool2d(window: 2).scalars == [2.5, 4.5, 10.5, 12.5])
        #expect(x.maxPool2d(window: 3, stride: 1).scalars == [10, 11, 14, 15])
    }

    @Test func kernelLargerThanInputIsAnError() {
        guard case .failure = ConvolutionGeometry.of(input: [1, 1, 2, 2], weight: [1, 1, 3, 3], stride: 1, padding: 0) else {
            Issue.record("expected a failure"); return
        }
    }
}
