// Winograd's F(2×2, 3×3) (Lavin & Gray, 2015) computes each 2×2 block of a stride-1 3×3
// convolution's output from the 4×4 input tile under it with 16 multiply-adds per channel pair
// instead of 36: `Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A`. Over a whole image the 16 elementwise products
// are 16 GEMMs `M_e[O, T] = U_e[O, C] · V_e[C, T]` (T tiles), 2.25× fewer multiply-adds than the
// im2col GEMM's `9·C·O` per pixel. The transforms are additions only, but they move as many
// scalars as im2col's unfolding, in this build's SSE-wide loops, while the GEMMs run in
// OpenBLAS's AVX-512 kernels: Winograd wins only where im2col's patch matrix is large
// (``ConvolutionGeometry/winogradMinimumChannelPixels``). Images go through it one at a time inside
// the convolution's chunks, like the im2col path, so every image's bits are the same on any
// number of threads.

/// How the convolution kernels compute a convolution.
public enum ConvolutionPath: Hashable, Sendable {
    /// Unfolded patches (or the image itself for 1×1) times the filters: one GEMM per image.
    case im2col
    /// Winograd F(2×2, 3×3), where it applies (else im2col).
    case winograd
}

extension ConvolutionGeometry {
    /// The fewest input channels for which a stride-1 3×3 convolution runs through Winograd.
    public static let winogradMinimumChannels = 32
    /// The fewest output channels (the smallest measured to win is 16).
    public static let winogradMinimumOutputs = 16
    /// The fewest `inChannels · outHeight · outWidth` (a ninth of the scalars of one image's
    /// im2col patch matrix) for which it does. Measured (`noether bench --only
    /// convolution-paths`, docs/benchmarks.md): Winograd wins 20–45 % where an image's patch
    /// matrix is at least 147 456 scalars (576 KB in Float) with 32 or more input channels, and
    /// loses 15–60 % on every smaller one — all the 3×3 convolutions of the CNN and ResNet
    /// presets — where the GEMM of the patch matrix is cheap and Winograd's transforms are not.
    public static let winogradMinimumChannelPixels = 16_384

    /// Whether Winograd F(2×2, 3×3) can compute this convolution: stride 1 and a 3×3 kernel.
    public var winogradApplies: Bool { stride == 1 && kernelHeight == 3 && kernelWidth == 3 && outHeight >= 1 && outWidth >= 1 }

    /// Whether this convolution runs through Winograd: where it applies and its shape passes
    /// ``winogradMinimumChannels``, ``winogradMinimumOutputs`` and
    /// ``winogradMinimumChannelPixels``, unless ``path`` forces a path. A function of the shape only.
    public var usesWinograd: Bool {
        switch path {
        case .winograd?: winogradApplies
        case .im2col?: false
        case nil:
            winogradApplies && inChannels >= Self.winogradMinimumChannels && outChannels >= Self.winogradMinimumOutputs
                && inChannels * outHeight * outWidth >= Self.winogradMinimumChannelPixels
        }
    }

    /// Rows and columns of 2×2 output tiles (the last ones cut when the output is odd-sized).
    public var tileRows: Int { (outHeight + 1) / 2 }
    public var tileColumns: Int { (outWidth + 1) / 2 }
    /// Tiles of one image.
    public var tiles: Int { tileRows * tileColumns }
    /// Scalars one image's Winograd convolution works in: the transformed tiles `V[16, C, T]`,
    /// the products `M[16, O, T]`, and per padded row (`2·tileRows + 2`) of a channel its even
    /// and odd columns and their four column transforms (which also holds the output's two rows).
    public var winogradImageCount: Int {
        // + 16: slack for eight-lane loads past a row shorter than eight.
        16 * (inChannels + outChannels) * tiles + (2 * tileRows + 2) * (2 * (tileColumns + 1) + 4 * tileColumns) + 16
    }
    /// Scalars of the transformed filters `U[16, O, C]`.
    public var winogradFilterCount: Int { 16 * outChannels * inChannels }
}

extension Kernels {
    /// `U_e[o, c]`, `e = 4i + j`: the filters transformed, `G g Gᵀ` with
    /// `G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]`, for `[O, C, 3, 3]` weights.
    @inlinable
    public static func winogradFilters<T: TensorScalar>(_ weight: UnsafePointer<T>, outChannels o: Int, inChannels c: Int,
                                                        into u: UnsafeMutablePointer<T>) {
        let half: T = 0.5
        let stride = o * c
        for filter in 0..<(o * c) {
            let g = weight + filter * 9
            // Row i of t = G g (4 × 3) from the rows g0, g1, g2 of g.
            @inline(__always) func row(_ i: Int, _ column: Int) -> T {
                let (g0, g1, g2) = (g[column], g[3 + column], g[6 + column])
                switch i {
                case 0: return g0
                case 1: return (g0 + g1 + g2) * half
                case 2: return (g0 - g1 + g2) * half
                default: return g2
                }
            }
            for i in 0..<4 {
                let (t0, t1, t2) = (row(i, 0), row(i, 1), row(i, 2))
                u[(4 * i) * stride + filter] = t0
                u[(4 * i + 1) * stride + filter] = (t0 + t1 + t2) * half
                u[(4 * i + 2) * stride + filter] = (t0 - t1 + t2) * half
                u[(4 * i + 3) * stride + filter] = t2
            }
        }
    }

    /// Winograd F(2×2, 3×3) convolution of one image `[C, H, W]` (geometry `g`, any batch: only
    /// the image's sizes are read) with transformed filters `u` (``winogradFilters``):
    /// `out[O, oH, oW]` is set to the convolution plus `bias`, or has the convolution added when
    /// `accumulate`. `workspace` holds ``ConvolutionGeometry/winogradImageCount`` scalars.
    @inlinable
    public static func winogradImage<T: TensorScalar>(
        _ image: UnsafePointer<T>, filters u: UnsafePointer<T>, bias: UnsafePointer<T>?, _ g: ConvolutionGeometry,
        workspace: UnsafeMutablePointer<T>, _ out: UnsafeMutablePointer<T>, accumulate: Bool, onThisThread: Bool
    ) {
        let (c, o, tiles) = (g.inChannels, g.outChannels, g.tiles)
        let v = workspace, m = workspace + 16 * c * tiles, scratch = m + 16 * o * tiles
        winogradInputTiles(image, g, scratch: scratch, into: v)
        for e in 0..<16 {
            gemm(transposeA: false, transposeB: false, m: o, n: tiles, k: c, u + e * o * c, lda: c, v + e * c * tiles, ldb: tiles,
                 m + e * o * tiles, ldc: tiles, accumulate: false, onThisThread: onThisThread)
        }
        winogradOutput(m, g, bias: bias, scratch: scratch, out, accumulate: accumulate)
    }

    /// `V_e[c, t] = (Bᵀ d B)[i, j]`, `e = 4i + j`, for every channel and tile `t` of the image,
    /// `Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]]`. Tile `(ty, tx)` reads
    /// rows `2ty…2ty+3` and columns `2tx…2tx+3` of the zero-padded image. Each padded row is
    /// split into its even and odd columns, so `B` (the columns) maps contiguous runs over `tx`,
    /// and `Bᵀ` then combines four such rows: every loop runs over `tx` in eight lanes.
    @inlinable
    static func winogradInputTiles<T: TensorScalar>(
        _ image: UnsafePointer<T>, _ g: ConvolutionGeometry, scratch: UnsafeMutablePointer<T>, into v: UnsafeMutablePointer<T>
    ) {
        let (h, w, p, c) = (g.height, g.width, g.padding, g.inChannels)
        let (rows, columns, tiles) = (g.tileRows, g.tileColumns, g.tiles)
        let hp = 2 * rows + 2
        let stride = c * tiles
        // Per padded row: its even and odd columns (columns + 1 each), then B applied: 4 runs.
        let halves = columns + 1
        let split = scratch, transformed = scratch + hp * 2 * halves
        for channel in 0..<c {
            for r in 0..<hp {
                let (even, odd) = (split + 2 * r * halves, split + (2 * r + 1) * halves)
                let y = r - p
                if y < 0 || y >= h {
                    even.update(repeating: 0, count: halves)
                    odd.update(repeating: 0, count: halves)
                } else {
                    splitColumns(image + (channel * h + y) * w, width: w, padding: p, even: even, odd: odd, count: halves)
                }
                let out = transformed + 4 * r * columns
                lanes(columns) { tx, width in
                    let (e0, o0, e1, o1) = (load8(even + tx), load8(odd + tx), load8(even + tx + 1), load8(odd + tx + 1))
                    store8(e0 - e1, out + tx, width: width)
                    store8(o0 + e1, out + columns + tx, width: width)
                    store8(e1 - o0, out + 2 * columns + tx, width: width)
                    store8(o0 - o1, out + 3 * columns + tx, width: width)
                }
            }
            for ty in 0..<rows {
                let base = v + channel * tiles + ty * columns
                for j in 0..<4 {
                    let r0 = transformed + (4 * (2 * ty) + j) * columns
                    let (r1, r2, r3) = (r0 + 4 * columns, r0 + 8 * columns, r0 + 12 * columns)
                    let (v0, v1, v2, v3) = (base + j * stride, base + (4 + j) * stride, base + (8 + j) * stride, base + (12 + j) * stride)
                    lanes(columns) { tx, width in
                        let (d0, d1, d2, d3) = (load8(r0 + tx), load8(r1 + tx), load8(r2 + tx), load8(r3 + tx))
                        store8(d0 - d2, v0 + tx, width: width)
                        store8(d1 + d2, v1 + tx, width: width)
                        store8(d2 - d1, v2 + tx, width: width)
                        store8(d1 - d3, v3 + tx, width: width)
                    }
                }
            }
        }
    }

    /// `even[k] = row[2k − p]`, `odd[k] = row[2k + 1 − p]` for `k < count`, zero outside the row.
    /// Where both lie inside, sixteen scalars are loaded at once and split into their halves.
    @inlinable @inline(__always)
    static func splitColumns<T: TensorScalar>(
        _ row: UnsafePointer<T>, width w: Int, padding p: Int, even: UnsafeMutablePointer<T>, odd: UnsafeMutablePointer<T>, count: Int
    ) {
        // Inside for k in ⌈p/2⌉ ..< ⌊(w + p)/2⌋.
        let end = Swift.min(count, (w + p) / 2), start = Swift.min((p + 1) / 2, end)
        @inline(__always) func scalar(_ k: Int) {
            let (x0, x1) = (2 * k - p, 2 * k + 1 - p)
            even[k] = x0 >= 0 && x0 < w ? row[x0] : 0
            odd[k] = x1 >= 0 && x1 < w ? row[x1] : 0
        }
        for k in 0..<start { scalar(k) }
        guard end - start >= 8 else {
            for k in start..<count { scalar(k) }
            return
        }
        @inline(__always) func split(_ k: Int) {
            let pair = UnsafeRawPointer(row + 2 * k - p).loadUnaligned(as: SIMD16<T>.self)
            UnsafeMutableRawPointer(even + k).storeBytes(of: pair.evenHalf, as: SIMD8<T>.self)
            UnsafeMutableRawPointer(odd + k).storeBytes(of: pair.oddHalf, as: SIMD8<T>.self)
        }
        // The last eight end the inside part (overlapping the previous eight: the same copies).
        var k = start
        while k + 8 < end {
            split(k)
            k += 8
        }
        split(end - 8)
        for k in end..<count { scalar(k) }
    }

    /// Runs `body(start, width)` over `0..<count` in groups of eight lanes. A count of eight or
    /// more ends with the eight that end it (overlapping the previous group: the same lanes
    /// computed again from the same inputs give the same bits); a shorter count is one group of
    /// `width = count` whose loads read past the end (the workspace has slack, the extra lanes are
    /// dropped) and whose stores (``store8(_:_:width:)``) keep the first `width` lanes.
    @inlinable @inline(__always)
    static func lanes(_ count: Int, _ body: (_ start: Int, _ width: Int) -> Void) {
        guard count >= 8 else {
            if count > 0 { body(0, count) }
            return
        }
        var i = 0
        while i + 8 < count {
            body(i, 8)
            i += 8
        }
        body(count - 8, 8)
    }

    /// Stores the first `width` lanes of `v` at `p`.
    @inlinable @inline(__always)
    static func store8<T: TensorScalar>(_ v: SIMD8<T>, _ p: UnsafeMutablePointer<T>, width: Int) {
        if width == 8 {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<T>.self)
        } else {
            for lane in 0..<width { p[lane] = v[lane] }
        }
    }

    /// `Y = Aᵀ M A` per tile and output channel, `Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]]`, plus the
    /// bias, written (or added) into the image's `[O, oH, oW]` output; the cut half of an edge
    /// tile is dropped. A row of tiles is computed over `tx` in eight lanes into two interleaved
    /// output rows in `scratch` (`4 · tileColumns` scalars), then copied (or added).
    @inlinable
    static func winogradOutput<T: TensorScalar>(
        _ m: UnsafePointer<T>, _ g: ConvolutionGeometry, bias: UnsafePointer<T>?, scratch: UnsafeMutablePointer<T>,
        _ out: UnsafeMutablePointer<T>, accumulate: Bool
    ) {
        let (o, rows, columns, tiles) = (g.outChannels, g.tileRows, g.tileColumns, g.tiles)
        let (oh, ow) = (g.outHeight, g.outWidth)
        let stride = o * tiles
        let (upper, lower) = (scratch, scratch + 2 * columns)
        for channel in 0..<o {
            let offset = SIMD8<T>(repeating: bias?[channel] ?? 0)
            for ty in 0..<rows {
                let base = m + channel * tiles + ty * columns
                lanes(columns) { tx, width in
                    @inline(__always) func entry(_ i: Int, _ j: Int) -> SIMD8<T> { load8(base + (4 * i + j) * stride + tx) }
                    // Columns: a_i0 = m_i0 + m_i1 + m_i2, a_i1 = m_i1 − m_i2 − m_i3; then rows alike.
                    let a0 = (entry(0, 0) + entry(0, 1) + entry(0, 2), entry(0, 1) - entry(0, 2) - entry(0, 3))
                    let a1 = (entry(1, 0) + entry(1, 1) + entry(1, 2), entry(1, 1) - entry(1, 2) - entry(1, 3))
                    let a2 = (entry(2, 0) + entry(2, 1) + entry(2, 2), entry(2, 1) - entry(2, 2) - entry(2, 3))
                    let a3 = (entry(3, 0) + entry(3, 1) + entry(3, 2), entry(3, 1) - entry(3, 2) - entry(3, 3))
                    let (y00, y01) = (a0.0 + a1.0 + a2.0 + offset, a0.1 + a1.1 + a2.1 + offset)
                    let (y10, y11) = (a1.0 - a2.0 - a3.0 + offset, a1.1 - a2.1 - a3.1 + offset)
                    if width == 8 {
                        var (first, second) = (SIMD16<T>(), SIMD16<T>())
                        (first.evenHalf, first.oddHalf, second.evenHalf, second.oddHalf) = (y00, y01, y10, y11)
                        UnsafeMutableRawPointer(upper + 2 * tx).storeBytes(of: first, as: SIMD16<T>.self)
                        UnsafeMutableRawPointer(lower + 2 * tx).storeBytes(of: second, as: SIMD16<T>.self)
                    } else {
                        for lane in 0..<width {
                            let x = 2 * (tx + lane)
                            (upper[x], upper[x + 1]) = (y00[lane], y01[lane])
                            (lower[x], lower[x + 1]) = (y10[lane], y11[lane])
                        }
                    }
                }
                let top = out + (channel * oh + 2 * ty) * ow
                for row in 0..<Swift.min(2, oh - 2 * ty) {
                    let (source, target) = (row == 0 ? upper : lower, top + row * ow)
                    if accumulate {
                        for x in 0..<ow { target[x] += source[x] }
                    } else {
                        copyRun(from: source, to: target, count: ow)
                    }
                }
            }
        }
    }
}
