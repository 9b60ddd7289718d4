import Testing
import NoetherTensor
@testable import NoetherAutograd

/// Large tensors go through the multi-threaded kernels, small ones through the serial path:
/// both must give the same numbers, so a batch's results equal those of its images alone.
@Suite("Threaded kernels agree with the serial path")
struct ParallelKernelTests {
    /// Value and input/weight gradients of sum(f(conv(x)) ⊙ r) for a whole batch, and for each image alone.
    func convolutionGradients(batch: Int, stride: Int, padding: Int) -> (whole: [Tensor<Double>], perImage: [[Tensor<Double>]]) {
        var generator = RandomGenerator(seed: 21)
        let x = Tensor<Double>.normal([batch, 4, 21, 19], using: &generator)
        let w = Tensor<Double>.normal([6, 4, 3, 3], using: &generator)
        let b = Tensor<Double>.normal([6], using: &generator)
        // The probe r weights the pooled outputs; an image alone gets its slice of it.
        let pooledShape: Shape = {
            let y = x.slice(alongAxis: 0, 0..<1).conv2d(weight: w, bias: b, stride: stride, padding: padding).maxPool2d(window: 2)
            return [batch, y.shape[1], y.shape[2], y.shape[3]]
        }()
        let probe = Tensor<Double>.normal(pooledShape, using: &generator)
        func gradients(_ images: Range<Int>) -> [Tensor<Double>] {
            let tape = Tape<Double>()
            let (input, weight, bias) = (tape.parameter(x.slice(alongAxis: 0, images)), tape.parameter(w), tape.parameter(b))
            let y = input.conv2d(weight: weight, bias: bias, stride: stride, padding: padding).tanh().maxPool2d(window: 2)
            let r = tape.constant(probe.slice(alongAxis: 0, images))
            tape.backward(from: (y * r).sum())
            return [y.value, tape.gradient(of: input)!, tape.gradient(of: weight)!, tape.gradient(of: bias)!]
        }
        let whole = gradients(0..<batch)
        let perImage = (0..<batch).map { gradients($0..<($0 + 1)) }
        return (whole, perImage)
    }

    @Test(arguments: [(1, 1), (2, 0), (3, 2)])
    func batchedConvolutionEqualsImageByImage(stride: Int, padding: Int) {
        let batch = 40
        let (whole, perImage) = convolutionGradients(batch: batch, stride: stride, padding: padding)
        for n in 0..<batch {
            #expect(whole[0].slice(alongAxis: 0, n..<(n + 1)).isApproximatelyEqual(to: perImage[n][0], absoluteTolerance: 1e-12))
            #expect(whole[1].slice(alongAxis: 0, n..<(n + 1)).isApproximatelyEqual(to: perImage[n][1], absoluteTolerance: 1e-12))
        }
        // Weight and bias gradients of the batch are the sums over its images.
        let weight = perImage.dropFirst().reduce(perImage[0][2]) { $0 + $1[2] }
        let bias = perImage.dropFirst().reduce(perImage[0][3]) { $0 + $1[3] }
        #expect(whole[2].isApproximatelyEqual(to: weight, absoluteTolerance: 1e-9))
        #expect(whole[3].isApproximatelyEqual(to: bias, absoluteTolerance: 1e-9))
    }

    /// Convolution gradients, weight gradients summed over chunks of images included, are the
    /// same bits on 1, 2 and 3 threads.
    @Test(arguments: [3, 1])
    func convolutionGradientsDoNotDependOnThreads(kernel: Int) {
        var generator = RandomGenerator(seed: 22)
        let x = Tensor<Float>.normal([ConvolutionGeometry.imagesPerChunk * 3 + 5, 8, 12, 12], using: &generator)
        let w = Tensor<Float>.normal([16, 8, kernel, kernel], using: &generator)
        let b = Tensor<Float>.normal([16], using: &generator)
        func gradients(parts: Int) -> [Tensor<Float>] {
            Parallel.$partsOverride.withValue(parts) {
                let tape = Tape<Float>()
                let (input, weight, bias) = (tape.parameter(x), tape.parameter(w), tape.parameter(b))
                let y = input.conv2d(weight: weight, bias: bias, padding: kernel / 2).tanh()
                tape.backward(from: y.sum())
                return [y.value, tape.gradient(of: input)!, tape.gradient(of: weight)!, tape.gradient(of: bias)!]
            }
        }
        let one = gradients(parts: 1)
        for parts in [2, 3] { #expect(gradients(parts: parts) == one, "\(parts) threads") }
    }

    /// A convolution the shape rule sends through Winograd (forward and input gradient): the
    /// same bits on 1, 2 and 3 threads.
    @Test func winogradConvolutionGradientsDoNotDependOnThreads() {
        var generator = RandomGenerator(seed: 24)
        let x = Tensor<Float>.normal([ConvolutionGeometry.imagesPerChunk * 2 + 3, 32, 23, 24], using: &generator)
        let w = Tensor<Float>.normal([32, 32, 3, 3], using: &generator)
        guard case .success(let g) = ConvolutionGeometry.of(input: x.shape, weight: w.shape, stride: 1, padding: 1) else { return }
        #expect(g.usesWinograd && g.transposedInputGradient?.usesWinograd == true)
        func gradients(parts: Int) -> [Tensor<Float>] {
            Parallel.$partsOverride.withValue(parts) {
                let tape = Tape<Float>()
                let (input, weight) = (tape.parameter(x), tape.parameter(w))
                let y = input.conv2d(weight: weight, padding: 1).tanh()
                tape.backward(from: y.sum())
                return [y.value, tape.gradient(of: input)!, tape.gradient(of: weight)!]
            }
        }
        let one = gradients(parts: 1)
        for parts in [2, 3] { #expect(gradients(parts: parts) == one, "\(parts) threads") }
    }

    /// A 1×1 convolution's gradients by their definition: dx[n, c, p] = Σ_o w[o, c]·r[n, o, p]
    /// and dw[o, c] = Σ_{n, p} r[n, o, p]·x[n, c, p], for y = conv(x) and the loss sum(y ⊙ r).
    @Test func pointwiseConvolutionGradientsMatchDefinition() {
        var generator = RandomGenerator(seed: 23)
        let (n, c, o, pixels) = (ConvolutionGeometry.imagesPerChunk + 2, 3, 4, 6)
        let x = Tensor<Double>.normal([n, c, 2, 3], using: &generator)
        let w = Tensor<Double>.normal([o, c, 1, 1], using: &generator)
        let r = Tensor<Double>.normal([n, o, 2, 3], using: &generator)
        let tape = Tape<Double>()
        let (input, weight) = (tape.parameter(x), tape.parameter(w))
        tape.backward(from: (input.conv2d(weight: weight) * tape.constant(r)).sum())
        var dx = Tensor<Double>.zeros([n, c, 2, 3]), dw = Tensor<Double>.zeros([o, c, 1, 1])
        let (xs, ws, rs) = (x.scalars, w.scalars, r.scalars)
        for i in 0..<n { for f in 0..<o { for ch in 0..<c { for p in 0..<pixels {
            dx[i, ch, p / 3, p % 3] += ws[f * c + ch] * rs[(i * o + f) * pixels + p]
            dw[f, ch, 0, 0] += rs[(i * o + f) * pixels + p] * xs[(i * c + ch) * pixels + p]
        } } } }
        #expect(tape.gradient(of: input)!.isApproximatelyEqual(to: dx, absoluteTolerance: 1e-12))
        #expect(tape.gradient(of: weight)!.isApproximatelyEqual(to: dw, absoluteTolerance: 1e-12))
    }

    /// Input and bias gradients of y = conv(x) under the loss sum(y ⊙ r) by their definition:
    /// dx[n, c, oy·s + ky − p, ox·s + kx − p] += w[o, c, ky, kx]·r[n, o, oy, ox], db[o] = Σ r[n, o, ·].
    /// Stride 1 takes the transposed convolution (flipped filters, padding k − 1 − p), including
    /// more output than input channels, kernels wider than the map and p = k − 1; stride 2 and
    /// p ≥ k fold patch gradients back.
    @Test(arguments: [(3, 1, 1, 5), (3, 1, 0, 2), (5, 1, 2, 3), (2, 1, 1, 4), (3, 1, 2, 4), (3, 2, 1, 4), (2, 1, 2, 3)])
    func inputGradientsMatchDefinition(kernel: Int, stride: Int, padding: Int, outChannels o: Int) {
        var generator = RandomGenerator(seed: 24)
        let (n, c, h, wd) = (ConvolutionGeometry.imagesPerChunk + 3, 3, 6, 5)
        let x = Tensor<Double>.normal([n, c, h, wd], using: &generator)
        let w = Tensor<Double>.normal([o, c, kernel, kernel], using: &generator)
        let b = Tensor<Double>.normal([o], using: &generator)
        let tape = Tape<Double>()
        let (input, weight, bias) = (tape.parameter(x), tape.parameter(w), tape.parameter(b))
        let y = input.conv2d(weight: weight, bias: bias, stride: stride, padding: padding)
        let r = Tensor<Double>.normal(y.shape, using: &generator)
        tape.backward(from: (y * tape.constant(r)).sum())
        let (oh, ow) = (y.shape[2], y.shape[3])
        var dx = Tensor<Double>.zeros(x.shape), db = Tensor<Double>.zeros([o])
        for i in 0..<n { for f in 0..<o { for oy in 0..<oh { for ox in 0..<ow {
            db[f] += r[i, f, oy, ox]
            for ch in 0..<c { for ky in 0..<kernel { for kx in 0..<kernel {
                let (iy, ix) = (oy * stride + ky - padding, ox * stride + kx - padding)
                if iy >= 0 && iy < h && ix >= 0 && ix < wd { dx[i, ch, iy, ix] += w[f, ch, ky, kx] * r[i, f, oy, ox] }
            } } }
        } } } }
        #expect(tape.gradient(of: input)!.isApproximatelyEqual(to: dx, absoluteTolerance: 1e-12))
        #expect(tape.gradient(of: bias)!.isApproximatelyEqual(to: db, absoluteTolerance: 1e-12))
    }

    @Test func largeElementwiseAndSoftmaxMatchSmallPieces() {
        var generator = RandomGenerator(seed: 8)
        let x = Tensor<Float>.normal([300, 700], using: &generator)
        for function in [UnaryFunction.gelu, .tanh, .relu, .exp] {
            let whole = x.map(function)
            let piece = x.slice(alongAxis: 0, 123..<124).map(function)
            #expect(whole.slice(alongAxis: 0, 123..<124) == piece, "\(function)")
        }
        #expect(x.softmax().slice(alongAxis: 0, 299..<300) == x.slice(alongAxis: 0, 299..<300).softmax())
        #expect((x + x).slice(alongAxis: 0, 7..<8) == x.slice(alongAxis: 0, 7..<8) * 2)
    }
}
