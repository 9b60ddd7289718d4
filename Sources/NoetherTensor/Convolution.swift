/// The geometry of a 2-D convolution on `[N, C, H, W]` inputs with `[O, C, kH, kW]` weights
/// (PyTorch's layout), square stride and zero padding.
public struct ConvolutionGeometry: Hashable, Sendable {
    public let batch: Int, inChannels: Int, height: Int, width: Int
    public let outChannels: Int, kernelHeight: Int, kernelWidth: Int
    public let stride: Int, padding: Int

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

    /// The GEMMs of a forward pass and, with `backward`, of the weight and input gradients.
    public var forwardProduct: MatrixProductGeometry {
        MatrixProductGeometry.unchecked(m: patchCount, n: outChannels, k: patchLength, transposeA: false, transposeB: true)
    }
}

extension MatrixProductGeometry {
    /// A single (unbatched) product of known compatible sizes.
    public static func unchecked(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool) -> MatrixProductGeometry {
        MatrixProductGeometry(m: m, n: n, k: k, batch: 1, sharedRight: true,
                              transposeA: transposeA, transposeB: transposeB, outputShape: [m, n])
    }
}

extension Kernels {
    /// Unfolds input patches into rows: `columns[(n, oy, ox), (c, ky, kx)]`.
    @inlinable
    public static func im2col<T: TensorScalar>(_ x: UnsafePointer<T>, _ g: ConvolutionGeometry, _ columns: UnsafeMutablePointer<T>) {
        let (oh, ow, length) = (g.outHeight, g.outWidth, g.patchLength)
        for n in 0..<g.batch {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let row = columns + ((n * oh + oy) * ow + ox) * length
                    var j = 0
                    for c in 0..<g.inChannels {
                        let plane = x + (n * g.inChannels + c) * g.height * g.width
                        for ky in 0..<g.kernelHeight {
                            let iy = oy * g.stride + ky - g.padding
                            let inside = iy >= 0 && iy < g.height
                            for kx in 0..<g.kernelWidth {
                                let ix = ox * g.stride + kx - g.padding
                                row[j] = inside && ix >= 0 && ix < g.width ? plane[iy * g.width + ix] : 0
                                j += 1
                            }
                        }
                    }
                }
            }
        }
    }

    /// Folds patch gradients back onto the input, adding overlapping contributions.
    @inlinable
    public static func col2im<T: TensorScalar>(_ columns: UnsafePointer<T>, _ g: ConvolutionGeometry, _ dx: UnsafeMutablePointer<T>, accumulate: Bool) {
        if !accumulate { dx.update(repeating: 0, count: g.batch * g.inChannels * g.height * g.width) }
        let (oh, ow, length) = (g.outHeight, g.outWidth, g.patchLength)
        for n in 0..<g.batch {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let row = columns + ((n * oh + oy) * ow + ox) * length
                    var j = 0
                    for c in 0..<g.inChannels {
                        let plane = dx + (n * g.inChannels + c) * g.height * g.width
                        for ky in 0..<g.kernelHeight {
                            let iy = oy * g.stride + ky - g.padding
                            for kx in 0..<g.kernelWidth {
                                let ix = ox * g.stride + kx - g.padding
                                if iy >= 0 && iy < g.height && ix >= 0 && ix < g.width {
                                    plane[iy * g.width + ix] += row[j]
                                }
                                j += 1
                            }
                        }
                    }
                }
            }
        }
    }

    /// Forward convolution. `columns` (patchCount × patchLength) receives the unfolded input,
    /// `product` (patchCount × outChannels) is workspace.
    @inlinable
    public static func conv2d<T: TensorScalar>(
        _ x: UnsafePointer<T>, weight: UnsafePointer<T>, bias: UnsafePointer<T>?, _ g: ConvolutionGeometry,
        columns: UnsafeMutablePointer<T>, product: UnsafeMutablePointer<T>, _ out: UnsafeMutablePointer<T>
    ) {
        im2col(x, g, columns)
        matmul(columns, weight, g.forwardProduct, product, accumulate: false)
        // product is [N, P, O]; the output is [N, O, P].
        let pixels = g.outHeight * g.outWidth
        let o = g.outChannels
        for n in 0..<g.batch {
            transpose(product + n * pixels * o, rows: pixels, columns: o, out + n * o * pixels, accumulate: false)
            if let bias {
                for channel in 0..<o {
                    let plane = out + (n * o + channel) * pixels
                    let value = bias[channel]
                    for p in 0..<pixels { plane[p] += value }
                }
            }
        }
    }

    /// Gradients of a convolution. `gradientProduct` (patchCount × outChannels) and
    /// `gradientColumns` (patchCount × patchLength) are workspace; `columns` is the forward's.
    @inlinable
    public static func conv2dBackward<T: TensorScalar>(
        gradientOutput gy: UnsafePointer<T>, columns: UnsafePointer<T>, weight: UnsafePointer<T>,
        _ g: ConvolutionGeometry, gradientProduct: UnsafeMutablePointer<T>,
        gradientColumns: UnsafeMutablePointer<T>,
        gradientInput: (pointer: UnsafeMutablePointer<T>, accumulate: Bool)?,
        gradientWeight: (pointer: UnsafeMutablePointer<T>, accumulate: Bool)?,
        gradientBias: (pointer: UnsafeMutablePointer<T>, accumulate: Bool)?
    ) {
        let pixels = g.outHeight * g.outWidth
        let o = g.outChannels
        for n in 0..<g.batch {
            transpose(gy + n * o * pixels, rows: o, columns: pixels, gradientProduct + n * pixels * o, accumulate: false)
        }
        if let (db, accumulate) = gradientBias {
            if !accumulate { db.update(repeating: 0, count: o) }
            for n in 0..<g.batch {
                for channel in 0..<o {
                    let plane = gy + (n * o + channel) * pixels
                    var total: T = 0
                    for p in 0..<pixels { total += plane[p] }
                    db[channel] += total
                }
            }
        }
        if let (dw, accumulate) = gradientWeight {
            // dW[O, L] = gYᵀ[O, P] · columns[P, L]
            let product = MatrixProductGeometry.unchecked(m: o, n: g.patchLength, k: g.patchCount, transposeA: true, transposeB: false)
            matmul(gradientProduct, columns, product, dw, accumulate: accumulate)
        }
        if let (dx, accumulate) = gradientInput {
            // dColumns[P, L] = gY[P, O] · W[O, L]
            let product = MatrixProductGeometry.unchecked(m: g.patchCount, n: g.patchLength, k: o, transposeA: false, transposeB: false)
            matmul(gradientProduct, weight, product, gradientColumns, accumulate: false)
            col2im(gradientColumns, g, dx, accumulate: accumulate)
        }
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
        return .success(PoolingGeometry(batch: input[0], channels: input[1], height: input[2], width: input[3], window: window, stride: stride))
    }
}

extension Kernels {
    /// Max pooling; `argmax` receives, per output, the flat input index of its maximum.
    @inlinable
    public static func maxPool2d<T: TensorScalar>(
        _ x: UnsafePointer<T>, _ g: PoolingGeometry, _ out: UnsafeMutablePointer<T>, argmax: UnsafeMutablePointer<Int32>
    ) {
        let (oh, ow) = (g.outHeight, g.outWidth)
        for plane in 0..<(g.batch * g.channels) {
            let base = plane * g.height * g.width
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var bestIndex = base + (oy * g.stride) * g.width + ox * g.stride
                    var best = x[bestIndex]
                    for ky in 0..<g.window {
                        for kx in 0..<g.window {
                            let index = base + (oy * g.stride + ky) * g.width + ox * g.stride + kx
                            if x[index] > best || best.isNaN {
                                best = x[index]
                                bestIndex = index
                            }
                        }
                    }
                    let o = (plane * oh + oy) * ow + ox
                    out[o] = best
                    argmax[o] = Int32(bestIndex)
                }
            }
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
        let columns = Tensor(uninitializedShape: [geometry.patchCount, geometry.patchLength])
        let product = Tensor(uninitializedShape: [geometry.patchCount, geometry.outChannels])
        let result = Tensor(uninitializedShape: geometry.outputShape)
        let (c, p, out) = (columns.storage.base, product.storage.base, result.storage.base)
        withUnsafeBufferPointer { x in
            weight.withUnsafeBufferPointer { w in
                if let bias {
                    bias.withUnsafeBufferPointer { b in
                        Kernels.conv2d(x.baseAddress!, weight: w.baseAddress!, bias: b.baseAddress!, geometry, columns: c, product: p, out)
                    }
                } else {
                    Kernels.conv2d(x.baseAddress!, weight: w.baseAddress!, bias: nil, geometry, columns: c, product: p, out)
                }
            }
        }
        withExtendedLifetime((columns, product)) {}
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
