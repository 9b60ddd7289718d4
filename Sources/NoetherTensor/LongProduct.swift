// Products with a tiny output and a huge shared dimension — above all the weight gradient of a
// convolution with few input channels, `dW[O, L] = dY[O, N·P] · columns[L, N·P]ᵀ` with L = 9 and
// N·P = 100 352 — are where BLAS is weakest: it splits the work over the output, so one core
// runs it, and it repacks all of K (10 GFLOP/s measured for that product, 7 % of a CNN step).
// Here K is cut into fixed chunks whose partial products run on every core and are then added
// in chunk order, so the result does not depend on the number of threads.
extension Kernels {
    /// The length of a chunk of the shared dimension: a chunk's rows of both operands stay in
    /// the core's L2 cache.
    public static let longProductChunk = 2048

    /// Whether `C[m, n] = A[m, k] · B[n, k]ᵀ` is better served by `longProduct` than by BLAS.
    @inlinable
    public static func prefersLongProduct(m: Int, n: Int, k: Int) -> Bool {
        m * n <= 512 && k >= 8 * longProductChunk
    }

    /// `C[m, n] (+)= A[m, k] · B[n, k]ᵀ` for row-major `A` and `B` (rows of length `k`).
    @inlinable
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func longProduct<T: TensorScalar>(
        _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, m: Int, n: Int, k: Int,
        _ c: UnsafeMutablePointer<T>, accumulate: Bool
    ) {
        let outputs = m * n
        let chunks = (k + longProductChunk - 1) / longProductChunk
        withUnsafeTemporaryAllocation(of: T.self, capacity: Swift.max(chunks * outputs, 1)) { partials in
            let partials = partials.baseAddress.unsafelyUnwrapped
            Parallel.forEachRange(chunks, work: outputs * k) { range in
                for chunk in range {
                    let start = chunk * longProductChunk
                    let length = Swift.min(longProductChunk, k - start)
                    let out = partials + chunk * outputs
                    for i in 0..<m {
                        var j = 0
                        while j + 4 <= n {
                            dotProducts4(a + i * k + start, b + j * k + start, stride: k, length: length, out + i * n + j)
                            j += 4
                        }
                        while j < n {
                            out[i * n + j] = dotProduct(a + i * k + start, b + j * k + start, length: length)
                            j += 1
                        }
                    }
                }
            }
            for index in 0..<outputs {
                var sum: T = accumulate ? c[index] : 0
                for chunk in 0..<chunks { sum += partials[chunk * outputs + index] }
                c[index] = sum
            }
        }
    }

    /// `x · y` over `length` elements.
    @inlinable @inline(__always)
    static func dotProduct<T: TensorScalar>(_ x: UnsafePointer<T>, _ y: UnsafePointer<T>, length: Int) -> T {
        var accumulator = SIMD8<T>()
        var q = 0
        while q + 8 <= length {
            accumulator += load8(x + q) * load8(y + q)
            q += 8
        }
        var sum = accumulator.sum()
        while q < length {
            sum += x[q] * y[q]
            q += 1
        }
        return sum
    }

    /// The four products of row `x` with rows `y`, `y + stride`, `y + 2·stride`, `y + 3·stride`
    /// — `x` is read once for the four.
    @inlinable @inline(__always)
    static func dotProducts4<T: TensorScalar>(
        _ x: UnsafePointer<T>, _ y: UnsafePointer<T>, stride: Int, length: Int, _ out: UnsafeMutablePointer<T>
    ) {
        var (s0, s1, s2, s3) = (SIMD8<T>(), SIMD8<T>(), SIMD8<T>(), SIMD8<T>())
        var q = 0
        while q + 8 <= length {
            let v = load8(x + q)
            s0 += v * load8(y + q)
            s1 += v * load8(y + stride + q)
            s2 += v * load8(y + 2 * stride + q)
            s3 += v * load8(y + 3 * stride + q)
            q += 8
        }
        var sums = (s0.sum(), s1.sum(), s2.sum(), s3.sum())
        while q < length {
            let v = x[q]
            sums.0 += v * y[q]
            sums.1 += v * y[stride + q]
            sums.2 += v * y[2 * stride + q]
            sums.3 += v * y[3 * stride + q]
            q += 1
        }
        (out[0], out[1], out[2], out[3]) = sums
    }

    @inlinable @inline(__always)
    public static func load8<T: TensorScalar>(_ p: UnsafePointer<T>) -> SIMD8<T> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<T>.self)
    }
}
