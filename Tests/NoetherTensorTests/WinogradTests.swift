import Testing
@testable import NoetherTensor

@Suite("Winograd F(2×2, 3×3) convolution")
struct WinogradTests {
    /// Direct convolution by the definition, in Double.
    static func definition(_ x: Tensor<Double>, _ w: Tensor<Double>, _ b: Tensor<Double>?, padding: Int) -> Tensor<Double> {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let o = w.shape[0]
        let (oh, ow) = (h + 2 * padding - 2, wd + 2 * padding - 2)
        let (xs, ws) = (x.scalars, w.scalars)
        var y = [Double](repeating: 0, count: n * o * oh * ow)
        for i in 0..<n { for f in 0..<o { for yy in 0..<oh { for xx in 0..<ow {
            var s = b?[f] ?? 0
            for ch in 0..<c { for ky in 0..<3 { for kx in 0..<3 {
                let iy = yy + ky - padding, ix = xx + kx - padding
                if iy >= 0 && iy < h && ix >= 0 && ix < wd { s += xs[((i * c + ch) * h + iy) * wd + ix] * ws[((f * c + ch) * 3 + ky) * 3 + kx] }
            } } }
            y[((i * o + f) * oh + yy) * ow + xx] = s
        } } } }
        return Tensor(shape: [n, o, oh, ow], scalars: y)
    }

    /// The Winograd kernel called directly, image by image, whatever the channel count.
    static func winograd<T: TensorScalar>(_ x: Tensor<T>, _ w: Tensor<T>, _ b: Tensor<T>?, padding: Int) -> Tensor<T> {
        guard case .success(let g) = ConvolutionGeometry.of(input: x.shape, weight: w.shape, stride: 1, padding: padding) else {
            Issue.record("geometry refused")
            return x
        }
        var filters = [T](repeating: 0, count: g.winogradFilterCount)
        var workspace = [T](repeating: .nan, count: g.winogradImageCount)
        var out = [T](repeating: .nan, count: g.outputShape.count)
        x.withUnsafeBufferPointer { xs in
            w.withUnsafeBufferPointer { ws in
                filters.withUnsafeMutableBufferPointer { u in
                    Kernels.winogradFilters(ws.baseAddress!, outChannels: g.outChannels, inChannels: g.inChannels, into: u.baseAddress!)
                }
                let bias = b?.scalars ?? []
                for n in 0..<g.batch {
                    filters.withUnsafeBufferPointer { u in
                        workspace.withUnsafeMutableBufferPointer { work in
                            out.withUnsafeMutableBufferPointer { y in
                                bias.withUnsafeBufferPointer { bs in
                                    Kernels.winogradImage(xs.baseAddress! + n * g.imageSize, filters: u.baseAddress!, bias: b == nil ? nil : bs.baseAddress,
                                                          g, workspace: work.baseAddress!, y.baseAddress! + n * g.outChannels * g.pixels,
                                                          accumulate: false, onThisThread: true)
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: g.outputShape, scalars: out)
    }

    /// Odd and even sizes (cut edge tiles), one channel, one image, paddings 0–2, with and without bias.
    @Test(arguments: [
        (1, 1, 1, 5, 5, 1, true), (2, 3, 4, 7, 6, 1, false), (1, 2, 3, 3, 3, 0, true),
        (3, 4, 2, 9, 8, 2, true), (2, 1, 5, 4, 7, 1, true), (1, 5, 1, 1, 1, 1, false),
    ])
    func matchesDefinitionInDouble(batch: Int, channels: Int, outputs: Int, height: Int, width: Int, padding: Int, biased: Bool) {
        var generator = RandomGenerator(seed: 31)
        let x = Tensor<Double>.normal([batch, channels, height, width], using: &generator)
        let w = Tensor<Double>.normal([outputs, channels, 3, 3], using: &generator)
        let b = biased ? Tensor<Double>.normal([outputs], using: &generator) : nil
        let y = Self.winograd(x, w, b, padding: padding)
        #expect(y.isApproximatelyEqual(to: Self.definition(x, w, b, padding: padding), absoluteTolerance: 1e-12))
    }

    /// In Float, Winograd's transforms add a few roundings per term (the input transform adds
    /// up to 4 inputs, the output transform up to 9 products, the filter transform halves
    /// exactly): for N(0, 1) data with C = 16 the terms sum to |·| ≲ 100, so the error stays
    /// within a few hundred ulps of 100 (≈ 10⁻⁵), well below 2 · 10⁻⁴.
    @Test func floatErrorStaysWithinAFewUlpsOfTheTerms() {
        var generator = RandomGenerator(seed: 32)
        let x = Tensor<Double>.normal([2, 16, 11, 10], using: &generator)
        let w = Tensor<Double>.normal([16, 16, 3, 3], using: &generator)
        let exact = Self.definition(x, w, nil, padding: 1)
        let (xf, wf) = (Tensor<Float>(shape: x.shape, scalars: x.scalars.map(Float.init)),
                        Tensor<Float>(shape: w.shape, scalars: w.scalars.map(Float.init)))
        let winograd = Tensor<Double>(shape: exact.shape, scalars: Self.winograd(xf, wf, nil, padding: 1).scalars.map(Double.init))
        #expect(winograd.maxAbsoluteDifference(to: exact) < 2e-4)
    }

    /// A shape the rule sends through Winograd: `conv2d` gives the definition's result.
    @Test func conv2dTakesWinogradWhereTheRuleSays() {
        var generator = RandomGenerator(seed: 33)
        let x = Tensor<Double>.normal([ConvolutionGeometry.imagesPerChunk + 1, 32, 23, 24], using: &generator)
        let w = Tensor<Double>.normal([17, 32, 3, 3], using: &generator)
        let b = Tensor<Double>.normal([17], using: &generator)
        guard case .success(let g) = ConvolutionGeometry.of(input: x.shape, weight: w.shape, stride: 1, padding: 1) else { return }
        #expect(g.usesWinograd)
        #expect(x.conv2d(weight: w, bias: b, padding: 1).isApproximatelyEqual(to: Self.definition(x, w, b, padding: 1), absoluteTolerance: 1e-11))
    }

    /// The measured rule: stride 1, 3×3, ≥ 32 input and ≥ 16 output channels, and
    /// `C · oH · oW ≥ 16 384`; none of the CNN's or ResNet-8's convolutions qualifies.
    @Test func winogradIsChosenByShapeOnly() {
        func uses(_ input: Shape, _ weight: Shape, stride: Int = 1, padding: Int = 1) -> Bool {
            guard case .success(let g) = ConvolutionGeometry.of(input: input, weight: weight, stride: stride, padding: padding) else { return false }
            return g.usesWinograd
        }
        #expect(uses([128, 32, 32, 32], [32, 32, 3, 3]))
        #expect(uses([1, 64, 16, 16], [64, 64, 3, 3]))
        #expect(uses([1, 32, 32, 32], [16, 32, 3, 3]))
        #expect(!uses([1, 32, 32, 32], [8, 32, 3, 3]))
        #expect(!uses([128, 16, 32, 32], [16, 16, 3, 3]))  // resnet-8-cifar, stage 1
        #expect(!uses([128, 32, 16, 16], [32, 32, 3, 3]))  // stage 2
        #expect(!uses([128, 64, 8, 8], [64, 64, 3, 3]))    // stage 3
        #expect(!uses([128, 16, 14, 14], [32, 16, 3, 3]))  // cnn
        #expect(!uses([128, 64, 32, 32], [64, 64, 3, 3], stride: 2))
        #expect(!uses([128, 64, 32, 32], [64, 64, 5, 5], padding: 2))
        #expect(!uses([128, 64, 32, 32], [64, 64, 1, 1], padding: 0))
    }

    /// Forward and all three gradients of `sum(conv(x) ⊙ r)` through the kernels with a forced path.
    static func convolution(_ x: Tensor<Double>, _ w: Tensor<Double>, _ b: Tensor<Double>, _ r: Tensor<Double>, padding: Int,
                            path: ConvolutionPath) -> [[Double]] {
        guard case .success(var g) = ConvolutionGeometry.of(input: x.shape, weight: w.shape, stride: 1, padding: padding) else { return [] }
        g.path = path
        func buffer(_ count: Int, _ value: Double) -> UnsafeMutablePointer<Double> {
            let p = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(1, count))
            p.initialize(repeating: value, count: Swift.max(1, count))
            return p
        }
        let (columns, workspace) = (buffer(g.workspaceCount, .nan), buffer(g.backwardWorkspaceCount, .nan))
        let (out, dxs, dws, dbs) = (buffer(g.outputShape.count, .nan), buffer(x.shape.count, 0), buffer(w.shape.count, 0), buffer(b.shape.count, 0))
        defer { for p in [columns, workspace, out, dxs, dws, dbs] { p.deallocate() } }
        let (xs, ws, bs, rs) = (x.scalars, w.scalars, b.scalars, r.scalars)
        Kernels.conv2d(xs, weight: ws, bias: bs, g, columns: columns, out)
        Kernels.conv2dBackward(gradientOutput: rs, input: xs, weight: ws, g, columns: columns, workspace: workspace,
                               gradientInput: (dxs, false), gradientWeight: (dws, false), gradientBias: (dbs, false))
        func array(_ p: UnsafeMutablePointer<Double>, _ count: Int) -> [Double] { Array(UnsafeBufferPointer(start: p, count: count)) }
        let (y, dx, dw, db) = (array(out, g.outputShape.count), array(dxs, x.shape.count), array(dws, w.shape.count), array(dbs, b.shape.count))
        return [y, dx, dw, db]
    }

    /// Winograd against im2col on the same shapes, forward and backward (the input gradient is
    /// Winograd of `dY` with the flipped filters; the weight gradient stays im2col's).
    @Test(arguments: [(1, 1, 1, 5, 5, 1), (3, 2, 5, 7, 6, 1), (2, 4, 3, 9, 8, 0), (ConvolutionGeometry.imagesPerChunk + 2, 3, 2, 4, 7, 2)])
    func backwardMatchesTheIm2colPath(batch: Int, channels: Int, outputs: Int, height: Int, width: Int, padding: Int) {
        var generator = RandomGenerator(seed: 34)
        let x = Tensor<Double>.normal([batch, channels, height, width], using: &generator)
        let w = Tensor<Double>.normal([outputs, channels, 3, 3], using: &generator)
        let b = Tensor<Double>.normal([outputs], using: &generator)
        let r = Tensor<Double>.normal([batch, outputs, height + 2 * padding - 2, width + 2 * padding - 2], using: &generator)
        let winograd = Self.convolution(x, w, b, r, padding: padding, path: .winograd)
        let im2col = Self.convolution(x, w, b, r, padding: padding, path: .im2col)
        #expect(winograd.count == 4 && im2col.count == 4)
        for (a, b) in zip(winograd, im2col) {
            #expect(a.count == b.count)
            #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($1)) })
        }
    }

    /// The Winograd input gradient against central differences of the Winograd forward.
    @Test func inputGradientMatchesCentralDifferences() {
        var generator = RandomGenerator(seed: 35)
        let x = Tensor<Double>.normal([2, 3, 5, 6], using: &generator)
        let w = Tensor<Double>.normal([4, 3, 3, 3], using: &generator)
        let b = Tensor<Double>.normal([4], using: &generator)
        let r = Tensor<Double>.normal([2, 4, 5, 6], using: &generator)
        let gradient = Self.convolution(x, w, b, r, padding: 1, path: .winograd)[1]
        let h = 1e-5
        for index in stride(from: 0, to: x.shape.count, by: 7) {
            var (plus, minus) = (x.scalars, x.scalars)
            plus[index] += h
            minus[index] -= h
            func loss(_ scalars: [Double]) -> Double {
                let y = Self.convolution(Tensor(shape: x.shape, scalars: scalars), w, b, r, padding: 1, path: .winograd)[0]
                return zip(y, r.scalars).reduce(0) { $0 + $1.0 * $1.1 }
            }
            let numeric = (loss(plus) - loss(minus)) / (2 * h)
            #expect(abs(numeric - gradient[index]) <= 1e-7 * max(1, abs(numeric)), "x[\(index)]")
        }
    }
}
