/// The geometry of a 2-D convolution on `[N, C, H, W]` inputs with `[O, C, kH, kW]` weights
/// (PyTorch's layout), square stride and zero padding.
public struct ConvolutionGeometry: Hashable, Sendable {
    public let batch: Int, inChannels: Int, height: Int, width: Int
    public let outChannels: Int, kernelHeight: Int, kernelWidth: Int
    public let stride: Int, padding: Int
    /// The kernels' path when forced (tests and benchmarks compare the two on one shape); nil
    /// chooses by shape (``usesWinograd``).
    public var path: ConvolutionPath? = nil

    public var outHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
    /// Rows of the im2col matrix: one per output pixel of every image.
    public var patchCount: Int { batch * outHeight * outWidth }
    /// Columns of the im2col matrix: one per weight of a filter.
    public var patchLength: Int { inChannels * kernelHeight * kernelWidth }
    public var outputShape: Shape { [batch, outChannels, outHeight, outWidth] }

    /// The geometry of `input ⋆ weight`, or an error naming the mismatch.
    public static func of(input: Shape, weight: Shape, stride: Int, padding: Int) -> Result<ConvolutionGeometry, ShapeError> {
        guard input.rank == 4, weight.rank == 4 else {
            return .failure(ShapeError("conv2d needs input [N, C, H, W] and weight [O, C, kH, kW], got \(input) and \(weight)"))
        }
        guard input[1] == weight[1] else {
            return .failure(ShapeError("conv2d input has \(input[1]) channels but the weight expects \(weight[1])"))
        }
        guard stride >= 1, padding >= 0 else { return .failure(ShapeError("conv2d needs stride ≥ 1 and padding ≥ 0")) }
        let geometry = ConvolutionGeometry(
            batch: input[0], inChannels: input[1], height: input[2], width: input[3],
            outChannels: weight[0], kernelHeight: weight[2], kernelWidth: weight[3],
            stride: stride, padding: padding)
        guard input[2] + 2 * padding >= weight[2], input[3] + 2 * padding >= weight[3] else {
            return .failure(ShapeError("conv2d kernel \(weight[2])×\(weight[3]) is larger than the padded input \(input[2])×\(input[3])"))
        }
        return .success(geometry)
    }

    // The kernels run these products image by image; as single products of the whole batch they
    // are the GEMM floor a step is measured against.

    /// The forward GEMM: `Y[O, N·P] = W[O, L] · columns[L, N·P]`.
    public var forwardProduct: MatrixProductGeometry {
        MatrixProductGeometry.unchecked(m: outChannels, n: patchCount, k: patchLength, transposeA: false, transposeB: false)
    }

    /// The weight-gradient GEMM: `dW[O, L] = dY[O, N·P] · columns[L, N·P]ᵀ`.
    public var weightGradientProduct: MatrixProductGeometry {
        MatrixProductGeometry.unchecked(m: outChannels, n: patchLength, k: patchCount, transposeA: false, transposeB: true)
    }

    /// The input-gradient GEMM: `dColumns[L, N·P] = W[O, L]ᵀ · dY[O, N·P]`.
    public var inputGradientProduct: MatrixProductGeometry {
        MatrixProductGeometry.unchecked(m: patchLength, n: patchCount, k: outChannels, transposeA: true, transposeB: false)
    }
}

extension MatrixProductGeometry {
    /// A single (unbatched) product of known compatible sizes.
    public static func unchecked(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool) -> MatrixProductGeometry {
        MatrixProductGeometry(m: m, n: n, k: k, batch: 1, sharedRight: true,
                              transposeA: transposeA, transposeB: transposeB, outputShape: [m, n])
    }
}

// Convolutions run image by image on a channel-major patch matrix `columns[(c, ky, kx), (oy, ox)]`:
// each of its rows is a shifted copy of input rows, so unfolding and folding move contiguous runs,
// and an image's product `[O, P]` is already its block of the `[N, O, P]` output. One image's patch
// matrix stays in cache, where the whole batch's (L × N·P: 300 MB for a ResNet stage at batch 128)
// went through memory three times. Chunks of images are split across the cores.
extension Kernels {
    /// For kernel column `kx`: the output columns `ox` whose input column `ox·stride + kx −
    /// padding` lies inside the image (the same for every row, so computed once per `kx`).
    @inlinable
    static func validColumns(_ g: ConvolutionGeometry, kx: Int) -> Range<Int> {
        let shift = kx - g.padding
        // ox·stride + shift ∈ [0, width)  ⇔  ox ∈ [⌈−shift/stride⌉, ⌈(width − shift)/stride⌉).
        let first = Swift.min(g.outWidth, shift >= 0 ? 0 : (-shift + g.stride - 1) / g.stride)
        let last = Swift.min(g.outWidth, Swift.max(0, (g.width - shift + g.stride - 1) / g.stride))
        // Both ends lie in 0...outWidth; a kernel column that sees only padding gives an empty range.
        return first..<Swift.max(first, last)
    }

    /// Visits every run of the patch matrix — one per image, channel, kernel offset and output
    /// row — with the offsets of its input row (shifted by the kernel column, so `ox·stride` indexes
    /// it) and of its patch-matrix row, and the output columns inside the image (nil when the
    /// whole run is padding). Images are split across threads; `starting` sees each thread's images first.
    @inlinable @inline(__always)
    static func forEachPatchRun(
        _ g: ConvolutionGeometry, starting: (Range<Int>) -> Void = { _ in },
        _ body: (_ input: Int, _ column: Int, _ valid: Range<Int>?) -> Void
    ) {
        let (oh, ow, pixels, total) = (g.outHeight, g.outWidth, g.outHeight * g.outWidth, g.patchCount)
        let planeSize = g.height * g.width
        Parallel.forEachRange(g.batch, work: total * g.patchLength) { images in
            starting(images)
            for n in images {
                for c in 0..<g.inChannels {
                    let plane = (n * g.inChannels + c) * planeSize
                    for ky in 0..<g.kernelHeight {
                        for kx in 0..<g.kernelWidth {
                            let row = ((c * g.kernelHeight + ky) * g.kernelWidth + kx) * total + n * pixels
                            let valid = validColumns(g, kx: kx)
                            for oy in 0..<oh {
                                let iy = oy * g.stride + ky - g.padding
                                let inside = iy >= 0 && iy < g.height
                                body(plane + (inside ? iy : 0) * g.width + kx - g.padding, row + oy * ow, inside ? valid : nil)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Unfolds input patches: `columns[(c, ky, kx), (n, oy, ox)]`.
    @inlinable
    public static func im2col<T: TensorScalar>(_ x: UnsafePointer<T>, _ g: ConvolutionGeometry, _ columns: UnsafeMutablePointer<T>) {
        let ow = g.outWidth
        forEachPatchRun(g) { input, column, valid in
            let out = columns + column
            guard let valid else { return out.update(repeating: 0, count: ow) }
            // Runs are short (an output row: 7–32 scalars here), so they are copied inline:
            // a memmove/memset call per run cost more than the copy.
            for ox in 0..<valid.lowerBound { out[ox] = 0 }
            let source = x + input
            if g.stride == 1 {
                copyRun(from: source + valid.lowerBound, to: out + valid.lowerBound, count: valid.count)
            } else {
                for ox in valid { out[ox] = source[ox * g.stride] }
            }
            for ox in valid.upperBound..<ow { out[ox] = 0 }
        }
    }

    /// Copies a short run eight scalars at a time; a run of at least eight ends with the eight
    /// that end it (overlapping the previous group) instead of a scalar tail.
    @inlinable @inline(__always)
    static func copyRun<T: TensorScalar>(from source: UnsafePointer<T>, to target: UnsafeMutablePointer<T>, count: Int) {
        guard count >= 8 else {
            for q in 0..<count { target[q] = source[q] }
            return
        }
        var q = 0
        while q + 8 < count {
            UnsafeMutableRawPointer(target + q).storeBytes(of: load8(source + q), as: SIMD8<T>.self)
            q += 8
        }
        UnsafeMutableRawPointer(target + count - 8).storeBytes(of: load8(source + count - 8), as: SIMD8<T>.self)
    }

    /// Folds patch gradients back onto the input, adding overlapping contributions.
    @inlinable
    public static func col2im<T: TensorScalar>(_ columns: UnsafePointer<T>, _ g: ConvolutionGeometry, _ dx: UnsafeMutablePointer<T>, accumulate: Bool) {
        let imageSize = g.inChannels * g.height * g.width
        forEachPatchRun(g, starting: { images in
            if !accumulate { (dx + images.lowerBound * imageSize).update(repeating: 0, count: images.count * imageSize) }
        }) { input, column, valid in
            guard let valid else { return }
            let (source, target) = (columns + column, dx + input)
            if g.stride == 1 {
                for ox in valid { target[ox] += source[ox] }
            } else {
                for ox in valid { target[ox * g.stride] += source[ox] }
            }
        }
    }

    /// Forward convolution, image by image: `Y_n[O, P] = W[O, L] · columns_n[L, P]` is written
    /// straight into image n's `[O, P]` block of the `[N, O, P]` output, so the patch matrix of
    /// one image (cache-sized) is all that is ever unfolded, and no product is transposed
    /// afterwards. `columns` holds ``ConvolutionGeometry/workspaceCount`` scalars.
    @inlinable
    public static func conv2d<T: TensorScalar>(
        _ x: UnsafePointer<T>, weight: UnsafePointer<T>, bias: UnsafePointer<T>?, _ g: ConvolutionGeometry,
        columns: UnsafeMutablePointer<T>, _ out: UnsafeMutablePointer<T>
    ) {
        guard g.patchCount > 0 else { return }
        let (o, pixels, length, image) = (g.outChannels, g.pixels, g.patchLength, g.single)
        if g.usesWinograd {
            let filters = columns + g.chunkCount * g.chunkWorkspaceCount
            winogradFilters(weight, outChannels: o, inChannels: g.inChannels, into: filters)
            forEachChunk(g) { chunk, images in
                let workspace = columns + chunk * g.chunkWorkspaceCount
                for n in images {
                    winogradImage(x + n * g.imageSize, filters: filters, bias: bias, image, workspace: workspace,
                                  out + n * o * pixels, accumulate: false, onThisThread: g.chunkCount > 1)
                }
            }
            return
        }
        forEachChunk(g) { chunk, images in
            let patches = columns + chunk * g.chunkWorkspaceCount
            for n in images {
                let target = out + n * o * pixels
                if let bias {
                    for channel in 0..<o { (target + channel * pixels).update(repeating: bias[channel], count: pixels) }
                }
                let b = unfold(x + n * g.imageSize, image, into: patches)
                gemm(transposeA: false, transposeB: false, m: o, n: pixels, k: length, weight, lda: length, b, ldb: pixels,
                     target, ldc: pixels, accumulate: bias != nil, onThisThread: g.chunkCount > 1)
            }
        }
    }

    /// Gradients of a convolution, image by image. The weight gradient is summed per chunk of
    /// ``ConvolutionGeometry/imagesPerChunk`` images into the first
    /// ``ConvolutionGeometry/partialCount`` scalars of `workspace`
    /// (``ConvolutionGeometry/backwardWorkspaceCount`` scalars), and the chunks are added in
    /// order, so the bits do not depend on the number of threads. `columns` is workspace as in
    /// the forward.
    ///
    /// For a stride-1 convolution the input gradient is itself a convolution: of `dY` with the
    /// flipped, transposed filters `W′[c, o, ky, kx] = W[o, c, k−1−ky, k−1−kx]` and padding
    /// `k−1−p`. One image's `dX[C, H·W] = W′[C, O·k²] · columns(dY)[O·k², H·W]` is written straight
    /// into its block of the input gradient: no col2im, no zeroing of a `[C·k², P]` product, and a
    /// GEMM whose inner dimension is `O·k²` instead of `O` (16 at a ResNet's first stage).
    @inlinable
    public static func conv2dBackward<T: TensorScalar>(
        gradientOutput gy: UnsafePointer<T>, input x: UnsafePointer<T>, weight: UnsafePointer<T>,
        _ g: ConvolutionGeometry, columns: UnsafeMutablePointer<T>, workspace: UnsafeMutablePointer<T>,
        gradientInput: (pointer: UnsafeMutablePointer<T>, accumulate: Bool)?,
        gradientWeight: (pointer: UnsafeMutablePointer<T>, accumulate: Bool)?,
        gradientBias: (pointer: UnsafeMutablePointer<T>, accumulate: Bool)?
    ) {
        let (o, pixels, length, image) = (g.outChannels, g.pixels, g.patchLength, g.single)
        guard g.patchCount > 0 else {
            // An empty batch: zero gradients (the input gradient is empty too).
            if let (dw, accumulate) = gradientWeight, !accumulate { dw.update(repeating: 0, count: o * length) }
            if let (db, accumulate) = gradientBias, !accumulate { db.update(repeating: 0, count: o) }
            return
        }
        if let (db, accumulate) = gradientBias {
            // Each channel's sum runs over images, then pixels, in one fixed order.
            Parallel.forEachRange(o, work: g.patchCount * o) { channels in
                for channel in channels {
                    var sum = LaneSum<T>()
                    for n in 0..<g.batch { sum.add(gy + (n * o + channel) * pixels, count: pixels) }
                    db[channel] = accumulate ? db[channel] + sum.total : sum.total
                }
            }
        }
        guard gradientWeight != nil || gradientInput != nil else { return }
        let partials = workspace
        let transposed = gradientInput == nil ? nil : g.transposedInputGradient
        let flipped = workspace + g.partialCount
        if transposed != nil { flipFilters(weight, g, into: flipped) }
        // The transposed convolution through Winograd where its shape takes it.
        let winogradFilters = transposed.flatMap { $0.usesWinograd ? flipped + o * length : nil }
        if let winogradFilters { Self.winogradFilters(flipped, outChannels: g.inChannels, inChannels: o, into: winogradFilters) }
        forEachChunk(g) { chunk, images in
            let patches = columns + chunk * g.chunkWorkspaceCount
            for n in images {
                let dy = gy + n * o * pixels
                if gradientWeight != nil {
                    let b = unfold(x + n * g.imageSize, image, into: patches)
                    gemm(transposeA: false, transposeB: true, m: o, n: length, k: pixels, dy, lda: pixels, b, ldb: pixels,
                         partials + chunk * o * length, ldc: length, accumulate: n != images.lowerBound, onThisThread: g.chunkCount > 1)
                }
                if let (dx, accumulate) = gradientInput {
                    let target = dx + n * g.imageSize
                    if image.isPointwise {
                        gemm(transposeA: true, transposeB: false, m: length, n: pixels, k: o, weight, lda: length, dy, ldb: pixels,
                             target, ldc: pixels, accumulate: accumulate, onThisThread: g.chunkCount > 1)
                    } else if let transposed, let winogradFilters {
                        winogradImage(dy, filters: winogradFilters, bias: nil, transposed, workspace: patches, target,
                                      accumulate: accumulate, onThisThread: g.chunkCount > 1)
                    } else if let transposed {
                        let b = unfold(dy, transposed, into: patches)
                        gemm(transposeA: false, transposeB: false, m: g.inChannels, n: transposed.pixels, k: transposed.patchLength,
                             flipped, lda: transposed.patchLength, b, ldb: transposed.pixels,
                             target, ldc: transposed.pixels, accumulate: accumulate, onThisThread: g.chunkCount > 1)
                    } else {
                        gemm(transposeA: true, transposeB: false, m: length, n: pixels, k: o, weight, lda: length, dy, ldb: pixels,
                             patches, ldc: pixels, accumulate: false, onThisThread: g.chunkCount > 1)
                        col2im(patches, image, target, accumulate: accumulate)
                    }
                }
            }
        }
        if let (dw, accumulate) = gradientWeight {
            let (count, chunks) = (o * length, g.chunkCount)
            Parallel.forEachRange(count, work: count * chunks) { entries in
                for e in entries {
                    var sum = partials[e]
                    for chunk in 1..<Swift.max(chunks, 1) { sum += partials[chunk * count + e] }
                    dw[e] = accumulate ? dw[e] + sum : sum
                }
            }
        }
    }

    /// `W′[c, o, ky, kx] = W[o, c, k−1−ky, k−1−kx]`: the filters of the convolution that maps
    /// an output gradient to its input gradient (stride 1, square kernel).
    @inlinable
    static func flipFilters<T: TensorScalar>(_ weight: UnsafePointer<T>, _ g: ConvolutionGeometry, into flipped: UnsafeMutablePointer<T>) {
        let (o, c, k) = (g.outChannels, g.inChannels, g.kernelHeight)
        for channel in 0..<c {
            for filter in 0..<o {
                let source = weight + (filter * c + channel) * k * k
                let target = flipped + (channel * o + filter) * k * k
                for index in 0..<(k * k) { target[index] = source[k * k - 1 - index] }
            }
        }
    }

    /// Calls `body` with each chunk of images and its index, chunks split across the cores.
    @inlinable @inline(__always)
    static func forEachChunk(_ g: ConvolutionGeometry, _ body: (_ chunk: Int, _ images: Range<Int>) -> Void) {
        let size = ConvolutionGeometry.imagesPerChunk
        Parallel.forEachRange(g.chunkCount, work: g.patchCount * g.patchLength * g.outChannels) { chunks in
            for chunk in chunks { body(chunk, (chunk * size)..<Swift.min(g.batch, (chunk + 1) * size)) }
        }
    }

    /// One image's patch matrix `[L, P]`: the image itself when the convolution is pointwise,
    /// else unfolded into `patches` (``ConvolutionGeometry/unfoldCount`` scalars of workspace).
    @inlinable @inline(__always)
    static func unfold<T: TensorScalar>(_ image: UnsafePointer<T>, _ g: ConvolutionGeometry, into patches: UnsafeMutablePointer<T>) -> UnsafePointer<T> {
        if g.isPointwise { return image }
        if g.stride == 1 {
            unfoldPadded(image, g, into: patches, padded: patches + g.patchLength * g.pixels)
        } else {
            im2col(image, g, patches)
        }
        return UnsafePointer(patches)
    }

    /// One image's stride-1 patch matrix through a zero-padded copy of the image: every run of
    /// the patch matrix is then a plain copy of `oW` scalars (no bounds, no padding to write),
    /// and an offset's `[oH, oW]` block reads `oH` rows of the padded image. `padded` holds
    /// ``ConvolutionGeometry/paddedImageCount`` scalars.
    @inlinable
    static func unfoldPadded<T: TensorScalar>(
        _ image: UnsafePointer<T>, _ g: ConvolutionGeometry, into patches: UnsafeMutablePointer<T>, padded: UnsafeMutablePointer<T>
    ) {
        let (h, w, p, oh, ow) = (g.height, g.width, g.padding, g.outHeight, g.outWidth)
        let (hp, wp) = (h + 2 * p, w + 2 * p)
        let source: UnsafePointer<T>
        if p == 0 {
            source = image
        } else {
            for c in 0..<g.inChannels {
                let plane = padded + c * hp * wp
                plane.update(repeating: 0, count: p * wp)
                for y in 0..<h {
                    let row = plane + (p + y) * wp
                    for i in 0..<p { row[i] = 0 }
                    copyRun(from: image + (c * h + y) * w, to: row + p, count: w)
                    for i in (p + w)..<wp { row[i] = 0 }
                }
                (plane + (p + h) * wp).update(repeating: 0, count: p * wp)
            }
            source = UnsafePointer(padded)
        }
        var out = patches
        for c in 0..<g.inChannels {
            for ky in 0..<g.kernelHeight {
                for kx in 0..<g.kernelWidth {
                    var row = source + (c * hp + ky) * wp + kx
                    for _ in 0..<oh {
                        copyRun(from: row, to: out, count: ow)
                        row += wp
                        out += ow
                    }
                }
            }
        }
    }
}

extension ConvolutionGeometry {
    /// Images whose weight gradients are summed together before the chunks are added in order.
    public static let imagesPerChunk = 8
    public var chunkCount: Int { (batch + Self.imagesPerChunk - 1) / Self.imagesPerChunk }
    public var pixels: Int { outHeight * outWidth }
    public var imageSize: Int { inChannels * height * width }
    /// Scalars of the per-chunk patch matrices the kernels unfold into: an image's input
    /// patches, or the output-gradient patches of the transposed convolution.
    public var workspaceCount: Int { chunkCount * chunkWorkspaceCount + (usesWinograd ? winogradFilterCount : 0) }
    /// Scalars of one chunk's workspace: what unfolding an image, or an image's output gradient
    /// for the transposed convolution, needs.
    public var chunkWorkspaceCount: Int {
        let transposed = transposedInputGradient
        return Swift.max(single.unfoldCount, transposed?.unfoldCount ?? 0, usesWinograd ? winogradImageCount : 0,
                         transposed.map { $0.usesWinograd ? $0.winogradImageCount : 0 } ?? 0)
    }
    /// Scalars an image's unfolding writes: its patch matrix, and for stride 1 the zero-padded
    /// image it is read from.
    public var unfoldCount: Int { isPointwise ? 0 : patchLength * pixels + (stride == 1 ? paddedImageCount : 0) }
    /// Scalars of one image zero-padded on every side.
    public var paddedImageCount: Int { inChannels * (height + 2 * padding) * (width + 2 * padding) }
    /// Scalars of the per-chunk weight-gradient sums.
    public var partialCount: Int { chunkCount * outChannels * patchLength }
    /// Scalars of the backward pass's workspace: the per-chunk weight-gradient sums, then the
    /// flipped filters of the transposed convolution.
    public var backwardWorkspaceCount: Int {
        guard let transposed = transposedInputGradient else { return partialCount }
        return partialCount + outChannels * patchLength + (transposed.usesWinograd ? transposed.winogradFilterCount : 0)
    }
    /// The convolution of one image's output gradient `[O, oH, oW]` that gives its input gradient
    /// `[C, H, W]`: stride 1, square kernel, padding `k − 1 − p` (so `p < k`); nil where that does
    /// not apply (strides, 1×1 convolutions, which need no unfolding, and other kernels), and
    /// the input gradient is folded back from patch gradients instead.
    public var transposedInputGradient: ConvolutionGeometry? {
        guard stride == 1, !isPointwise, kernelHeight == kernelWidth, padding < kernelHeight else { return nil }
        return ConvolutionGeometry(batch: 1, inChannels: outChannels, height: outHeight, width: outWidth, outChannels: inChannels,
                                   kernelHeight: kernelHeight, kernelWidth: kernelWidth, stride: 1, padding: kernelHeight - 1 - padding,
                                   path: path)
    }
    /// A 1×1 convolution with stride 1 and no padding: each image is its own patch matrix.
    public var isPointwise: Bool { kernelHeight == 1 && kernelWidth == 1 && stride == 1 && padding == 0 }
    /// The same convolution on one image.
    public var single: ConvolutionGeometry {
        ConvolutionGeometry(batch: 1, inChannels: inChannels, height: height, width: width, outChannels: outChannels,
                            kernelHeight: kernelHeight, kernelWidth: kernelWidth, stride: stride, padding: padding, path: path)
    }
}

/// The geometry of 2-D pooling over `[N, C, H, W]` with a square window and stride.
public struct PoolingGeometry: Hashable, Sendable {
    public let batch: Int, channels: Int, height: Int, width: Int
    public let window: Int, stride: Int

    public var outHeight: Int { (height - window) / stride + 1 }
    public var outWidth: Int { (width - window) / stride + 1 }
    public var outputShape: Shape { [batch, channels, outHeight, outWidth] }

    public static func of(input: Shape, window: Int, stride: Int) -> Result<PoolingGeometry, ShapeError> {
        guard input.rank == 4 else { return .failure(ShapeError("pooling needs input [N, C, H, W], got \(input)")) }
        guard window >= 1, stride >= 1, input[2] >= window, input[3] >= window else {
            return .failure(ShapeError("pooling window \(window) (stride \(stride)) does not fit input \(input)"))
        }
        // Max pooling records its argmax as Int32.
        guard input.count <= Int(Int32.max) else { return .failure(ShapeError("pooling input \(input) has more than 2³¹ − 1 elements")) }
        return .success(PoolingGeometry(batch: input[0], channels: input[1], height: input[2], width: input[3], window: window, stride: stride))
    }
}

extension Kernels {
    /// Max pooling; `argmax` receives, per output, the flat input index of its maximum (the
    /// first maximum in row-major window order; NaN wins, as in PyTorch).
    @inlinable
    public static func maxPool2d<T: TensorScalar>(
        _ x: UnsafePointer<T>, _ g: PoolingGeometry, _ out: UnsafeMutablePointer<T>, argmax: UnsafeMutablePointer<Int32>
    ) {
        let (oh, ow, planeSize) = (g.outHeight, g.outWidth, g.height * g.width)
        if g.window == 2 && g.stride == 2 { return maxPool2x2(x, g, out, argmax: argmax) }
        Parallel.forEachRange(g.batch * g.channels, work: g.batch * g.channels * planeSize) { planes in
            for plane in planes {
                let base = plane * planeSize
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        let corner = base + (oy * g.stride) * g.width + ox * g.stride
                        var bestIndex = corner
                        var best = x[corner]
                        var nanIndex = -1
                        for ky in 0..<g.window {
                            let rowStart = corner + ky * g.width
                            for kx in 0..<g.window {
                                // One comparison feeding selects, not branches: on real
                                // activations which value wins is unpredictable. NaN is rare,
                                // so its branch is predicted.
                                let value = x[rowStart + kx]
                                if value.isNaN && nanIndex < 0 { nanIndex = rowStart + kx }
                                let better = value > best
                                best = better ? value : best
                                bestIndex = better ? rowStart + kx : bestIndex
                            }
                        }
                        if nanIndex >= 0 { (best, bestIndex) = (x[nanIndex], nanIndex) }
                        let o = (plane * oh + oy) * ow + ox
                        out[o] = best
                        argmax[o] = Int32(truncatingIfNeeded: bestIndex)
                    }
                }
            }
        }
    }

    /// The 2×2 window with stride 2 of every CNN preset, unrolled: the same outputs and argmax
    /// as the general loop (first maximum in row-major order, the first NaN winning), without
    /// its window loops.
    @inlinable
    static func maxPool2x2<T: TensorScalar>(_ x: UnsafePointer<T>, _ g: PoolingGeometry, _ out: UnsafeMutablePointer<T>,
                                            argmax: UnsafeMutablePointer<Int32>) {
        let (oh, ow, planeSize) = (g.outHeight, g.outWidth, g.height * g.width)
        Parallel.forEachRange(g.batch * g.channels, work: g.batch * g.channels * planeSize) { planes in
            for plane in planes {
                for oy in 0..<oh {
                    let top = plane * planeSize + 2 * oy * g.width
                    let o = (plane * oh + oy) * ow
                    for ox in 0..<ow {
                        let i = top + 2 * ox
                        let (a, b, c, d) = (x[i], x[i + 1], x[i + g.width], x[i + g.width + 1])
                        var (best, index) = (a, i)
                        if b > best { (best, index) = (b, i + 1) }
                        if c > best { (best, index) = (c, i + g.width) }
                        if d > best { (best, index) = (d, i + g.width + 1) }
                        if best.isNaN || b.isNaN || c.isNaN || d.isNaN {
                            // NaN compares false: pick the first NaN in window order.
                            index = a.isNaN ? i : b.isNaN ? i + 1 : c.isNaN ? i + g.width : i + g.width + 1
                            best = x[index]
                        }
                        out[o + ox] = best
                        argmax[o + ox] = Int32(truncatingIfNeeded: index)
                    }
                }
            }
        }
    }

    /// Gradient of max pooling: each output's gradient goes to its input maximum.
    @inlinable
    public static func maxPool2dBackward<T: TensorScalar>(
        gradientOutput gy: UnsafePointer<T>, argmax: UnsafePointer<Int32>, _ g: PoolingGeometry,
        _ dx: UnsafeMutablePointer<T>, accumulate: Bool
    ) {
        let (outputs, planeSize) = (g.outHeight * g.outWidth, g.height * g.width)
        // Planes are split across threads; an output's maximum lies in its own plane.
        Parallel.forEachRange(g.batch * g.channels, work: g.batch * g.channels * planeSize) { planes in
            if !accumulate { (dx + planes.lowerBound * planeSize).update(repeating: 0, count: planes.count * planeSize) }
            for o in (planes.lowerBound * outputs)..<(planes.upperBound * outputs) { dx[Int(argmax[o])] += gy[o] }
        }
    }

    /// Average pooling.
    @inlinable
    public static func avgPool2d<T: TensorScalar>(_ x: UnsafePointer<T>, _ g: PoolingGeometry, _ out: UnsafeMutablePointer<T>) {
        let (oh, ow) = (g.outHeight, g.outWidth)
        let scale = 1 / T(g.window * g.window)
        for plane in 0..<(g.batch * g.channels) {
            let base = plane * g.height * g.width
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var total: T = 0
                    for ky in 0..<g.window {
                        for kx in 0..<g.window { total += x[base + (oy * g.stride + ky) * g.width + ox * g.stride + kx] }
                    }
                    out[(plane * oh + oy) * ow + ox] = total * scale
                }
            }
        }
    }

    /// Gradient of average pooling.
    @inlinable
    public static func avgPool2dBackward<T: TensorScalar>(
        gradientOutput gy: UnsafePointer<T>, _ g: PoolingGeometry, _ dx: UnsafeMutablePointer<T>, accumulate: Bool
    ) {
        if !accumulate { dx.update(repeating: 0, count: g.batch * g.channels * g.height * g.width) }
        let (oh, ow) = (g.outHeight, g.outWidth)
        let scale = 1 / T(g.window * g.window)
        for plane in 0..<(g.batch * g.channels) {
            let base = plane * g.height * g.width
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let value = gy[(plane * oh + oy) * ow + ox] * scale
                    for ky in 0..<g.window {
                        for kx in 0..<g.window { dx[base + (oy * g.stride + ky) * g.width + ox * g.stride + kx] += value }
                    }
                }
            }
        }
    }
}

extension Tensor {
    /// 2-D convolution of `[N, C, H, W]` input with `[O, C, kH, kW]` weight and optional `[O]` bias.
    public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0) -> Tensor {
        let geometry: ConvolutionGeometry
        switch ConvolutionGeometry.of(input: shape, weight: weight.shape, stride: stride, padding: padding) {
        case .success(let g): geometry = g
        case .failure(let error): preconditionFailure(error.description)
        }
        let columns = Tensor(uninitializedShape: [geometry.workspaceCount])
        let result = Tensor(uninitializedShape: geometry.outputShape)
        let (c, out) = (columns.storage.base, result.storage.base)
        withUnsafeBufferPointer { x in
            weight.withUnsafeBufferPointer { w in
                if let bias {
                    bias.withUnsafeBufferPointer { b in
                        Kernels.conv2d(x.baseAddress!, weight: w.baseAddress!, bias: b.baseAddress!, geometry, columns: c, out)
                    }
                } else {
                    Kernels.conv2d(x.baseAddress!, weight: w.baseAddress!, bias: nil, geometry, columns: c, out)
                }
            }
        }
        withExtendedLifetime(columns) {}
        return result
    }

    /// Max pooling with a square window (stride defaults to the window).
    public func maxPool2d(window: Int, stride: Int? = nil) -> Tensor {
        guard case .success(let g) = PoolingGeometry.of(input: shape, window: window, stride: stride ?? window) else {
            preconditionFailure("pooling window \(window) does not fit \(shape)")
        }
        let result = Tensor(uninitializedShape: g.outputShape)
        var argmax = [Int32](repeating: 0, count: g.outputShape.count)
        let out = result.storage.base
        withUnsafeBufferPointer { x in
            argmax.withUnsafeMutableBufferPointer { Kernels.maxPool2d(x.baseAddress!, g, out, argmax: $0.baseAddress!) }
        }
        return result
    }

    /// Average pooling with a square window (stride defaults to the window).
    public func avgPool2d(window: Int, stride: Int? = nil) -> Tensor {
        guard case .success(let g) = PoolingGeometry.of(input: shape, window: window, stride: stride ?? window) else {
            preconditionFailure("pooling window \(window) does not fit \(shape)")
        }
        let result = Tensor(uninitializedShape: g.outputShape)
        let out = result.storage.base
        withUnsafeBufferPointer { Kernels.avgPool2d($0.baseAddress!, g, out) }
        return result
    }
}
