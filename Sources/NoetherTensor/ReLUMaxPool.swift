// ReLU followed by 2×2 max pooling with stride 2 — every CNN preset block ends so — in one pass
// each way. Apart, the two passes wrote and reread the whole activation map forward (ReLU's
// output) and backward (the pooling gradient, zeroed then scattered, and ReLU's product), where
// together only the pooled map and its argmax are written: the ReLU and pooling layers were
// ≈ 15 % of the CNN step's samples. The results are the bits of the two layers apart.

extension Kernels {
    /// `maxPool2d(relu(x))` with a 2×2 window and stride 2: the same outputs as the two passes
    /// apart. `argmax` receives, per output, the flat input index of the first maximum of
    /// `relu(x)` in row-major window order (what the pooling records on ReLU's output), as its
    /// bitwise complement (negative) when that maximum is 0 — where ReLU's derivative is 0.
    @inlinable
    public static func reluMaxPool2x2<T: TensorScalar>(
        _ x: UnsafePointer<T>, _ g: PoolingGeometry, _ out: UnsafeMutablePointer<T>, argmax: UnsafeMutablePointer<Int32>
    ) {
        let (oh, ow, w, planeSize) = (g.outHeight, g.outWidth, g.width, g.height * g.width)
        Parallel.forEachRange(g.batch * g.channels, work: g.batch * g.channels * planeSize) { planes in
            for plane in planes {
                for oy in 0..<oh {
                    let top = plane * planeSize + 2 * oy * w
                    let o = (plane * oh + oy) * ow
                    if T.self == Float.self {
                        let (xf, outf) = (UnsafeRawPointer(x).assumingMemoryBound(to: Float.self),
                                          UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self))
                        for ox in 0..<ow { reluMaxPoolKeys(xf, top + 2 * ox, width: w, outf + o + ox, argmax + o + ox) }
                    } else {
                        for ox in 0..<ow { reluMaxPoolWindow(x, top + 2 * ox, width: w, out + o + ox, argmax + o + ox) }
                    }
                }
            }
        }
    }

    /// One window at input index `i`: ReLU of its four entries, then the first maximum in
    /// row-major order (strict comparisons, as ``maxPool2d(_:_:_:argmax:)``; ReLU leaves no NaN).
    @inlinable @inline(__always)
    static func reluMaxPoolWindow<T: TensorScalar>(
        _ x: UnsafePointer<T>, _ i: Int, width w: Int, _ out: UnsafeMutablePointer<T>, _ argmax: UnsafeMutablePointer<Int32>
    ) {
        @inline(__always) func relu(_ v: T) -> T { v > 0 ? v : 0 }
        let (a, b, c, d) = (relu(x[i]), relu(x[i + 1]), relu(x[i + w]), relu(x[i + w + 1]))
        var (best, index) = (a, i)
        if b > best { (best, index) = (b, i + 1) }
        if c > best { (best, index) = (c, i + w) }
        if d > best { (best, index) = (d, i + w + 1) }
        out.pointee = best
        let position = Int32(truncatingIfNeeded: index)
        argmax.pointee = best > 0 ? position : ~position
    }

    /// ``reluMaxPoolWindow(_:_:width:_:_:)`` for Float without branches: ReLU's outputs are
    /// non-negative, so their bit patterns order like their values; each becomes the key
    /// `bits · 4 + (3 − k)` for its window position k, and the largest key is the first maximum.
    /// Written with comparisons, the maximum's branches were mispredicted on real activations
    /// (the fused pass took 2× the two passes apart).
    @inlinable @inline(__always)
    static func reluMaxPoolKeys(
        _ x: UnsafePointer<Float>, _ i: Int, width w: Int, _ out: UnsafeMutablePointer<Float>, _ argmax: UnsafeMutablePointer<Int32>
    ) {
        @inline(__always) func key(_ v: Float, _ rank: UInt64) -> UInt64 { UInt64((v > 0 ? v : 0).bitPattern) << 2 | rank }
        let top = Swift.max(key(x[i], 3), key(x[i + 1], 2))
        let bottom = Swift.max(key(x[i + w], 1), key(x[i + w + 1], 0))
        let best = Swift.max(top, bottom)
        let k = 3 - Int(best & 3)
        let value = Float(bitPattern: UInt32(truncatingIfNeeded: best >> 2))
        out.pointee = value
        let position = Int32(truncatingIfNeeded: i + (k & 1) + (k >> 1) * w)
        argmax.pointee = value > 0 ? position : ~position
    }

    /// Gradient of ``reluMaxPool2x2(_:_:_:argmax:)``: each output's gradient goes to its
    /// window's maximum times ReLU's derivative there, every other input gets zero — the bits of
    /// the pooling and ReLU gradients apart (`(0 + g)·1` or `(0 + g)·0` at the maximum, `0·f′`
    /// elsewhere, which is +0 whatever f′).
    @inlinable
    public static func reluMaxPool2x2Backward<T: TensorScalar>(
        gradientOutput gy: UnsafePointer<T>, argmax: UnsafePointer<Int32>, _ g: PoolingGeometry,
        _ dx: UnsafeMutablePointer<T>, accumulate: Bool
    ) {
        let (oh, ow, h, w, planeSize) = (g.outHeight, g.outWidth, g.height, g.width, g.height * g.width)
        Parallel.forEachRange(g.batch * g.channels, work: g.batch * g.channels * planeSize) { planes in
            guard accumulate else {
                // Zero, then the maxima: the zeros are the `0 · f′` of the layers apart.
                (dx + planes.lowerBound * planeSize).update(repeating: 0, count: planes.count * planeSize)
                for o in (planes.lowerBound * oh * ow)..<(planes.upperBound * oh * ow) {
                    let recorded = Int(argmax[o])
                    dx[recorded >= 0 ? recorded : ~recorded] = (0 + gy[o]) * (recorded >= 0 ? 1 : 0)
                }
                return
            }
            for plane in planes {
                let base = plane * planeSize
                for oy in 0..<oh {
                    let top = base + 2 * oy * w
                    let o = (plane * oh + oy) * ow
                    for ox in 0..<ow {
                        let recorded = Int(argmax[o + ox])
                        let index = recorded >= 0 ? recorded : ~recorded
                        let value = (0 + gy[o + ox]) * (recorded >= 0 ? 1 : 0)
                        let i = top + 2 * ox
                        dx[i] += i == index ? value : 0
                        dx[i + 1] += i + 1 == index ? value : 0
                        dx[i + w] += i + w == index ? value : 0
                        dx[i + w + 1] += i + w + 1 == index ? value : 0
                    }
                    // An odd width leaves a column no window covers.
                    for x in (2 * ow)..<w {
                        dx[top + x] += 0
                        dx[top + w + x] += 0
                    }
                }
                // An odd height leaves a row no window covers.
                for y in (2 * oh)..<h {
                    for x in 0..<w { dx[base + y * w + x] += 0 }
                }
            }
        }
    }
}
