import NoetherTensor

extension Tape {
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func matmul(_ a: Variable<Scalar>, _ b: Variable<Scalar>, transposeA: Bool, transposeB: Bool) -> Variable<Scalar> {
        let geometry: MatrixProductGeometry
        switch MatrixProductGeometry.of(a.shape, b.shape, transposeA: transposeA, transposeB: transposeB) {
        case .success(let g): geometry = g
        case .failure(let error): preconditionFailure(error.description)
        }
        let result = output(geometry.outputShape)
        let (pa, pb, pc) = (pointer(a.index), pointer(b.index), result.unsafeBaseAddress)
        let (m, n, k) = (geometry.m, geometry.n, geometry.k)
        for i in 0..<geometry.batch {
            gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                 pa + i * m * k, geometry.sharedRight ? pb : pb + i * k * n, pc + i * m * n, accumulate: false)
        }
        return record(result, .matmul(a.index, b.index, geometry),
                      needsGradient: needsGradient[a.index] || needsGradient[b.index])
    }

    func backwardMatmul(_ a: Int, _ b: Int, _ g: MatrixProductGeometry, gradient dc: UnsafePointer<Scalar>) {
        let (m, n, k) = (g.m, g.n, g.k)
        let (tA, tB) = (g.transposeA, g.transposeB)
        if let (da, accumulate) = gradientTarget(a) {
            let pb = pointer(b)
            for i in 0..<g.batch {
                let (dci, bi, dai) = (dc + i * m * n, g.sharedRight ? pb : pb + i * k * n, da + i * m * k)
                if tA {
                    // A is [k, m]: dA = op(B) · dCᵀ
                    gemm(transposeA: tB, transposeB: true, m: k, n: m, k: n, bi, dci, dai, accumulate: accumulate)
                } else {
                    // dA = dC · op(B)ᵀ
                    gemm(transposeA: false, transposeB: !tB, m: m, n: k, k: n, dci, bi, dai, accumulate: accumulate)
                }
            }
        }
        if let (db, accumulate) = gradientTarget(b) {
            let pa = pointer(a)
            // One scratch buffer serves every batch entry's shared-rows product (they run in turn).
            let partials = !tA ? sharedRowsScratch(m: tB ? n : k, n: tB ? k : n, k: m) : nil
            for i in 0..<g.batch {
                let (dci, ai) = (dc + i * m * n, pa + i * m * k)
                // A shared right operand gathers the gradient of every batch entry.
                let dbi = g.sharedRight ? db : db + i * k * n
                let add = accumulate || (g.sharedRight && i > 0)
                if tB {
                    // B is [n, k]: dB = dCᵀ · op(A)
                    if tA {
                        gemm(transposeA: true, transposeB: true, m: n, n: k, k: m, dci, ai, dbi, accumulate: add)
                    } else {
                        gemmSharingRows(m: n, n: k, k: m, dci, ai, dbi, accumulate: add, partials: partials)
                    }
                } else if tA {
                    // dB = op(A)ᵀ · dC = A · dC
                    gemm(transposeA: false, transposeB: false, m: k, n: n, k: m, ai, dci, dbi, accumulate: add)
                } else {
                    // dB = Aᵀ · dC
                    gemmSharingRows(m: k, n: n, k: m, ai, dci, dbi, accumulate: add, partials: partials)
                }
            }
        }
    }

    /// `C[m, n] (+)= A[k, m]ᵀ · B[k, n]`, cut along the `k` shared rows when they are long (a
    /// weight gradient over a token batch), noted when products are being recorded.
    ///
    /// - Parameter partials: scratch from ``sharedRowsScratch(m:n:k:)`` for this shape (nil: one
    ///   is taken for this call).
    func gemmSharingRows(m: Int, n: Int, k: Int, _ a: UnsafePointer<Scalar>, _ b: UnsafePointer<Scalar>,
                         _ c: UnsafeMutablePointer<Scalar>, accumulate: Bool, partials: UnsafeMutablePointer<Scalar>? = nil) {
        noteProducts(1, m: m, n: n, k: k, transposeA: true, transposeB: false, cutAlongSharedRows: true)
        let scratch = partials ?? sharedRowsScratch(m: m, n: n, k: k)
        Kernels.sharedRowsProduct(a, b, m: m, n: n, k: k, c, accumulate: accumulate, partials: scratch)
    }

    /// The partial-products scratch of a shared-rows product: a tape buffer, reused by position
    /// across steps (one entry when the product is not cut).
    func sharedRowsScratch(m: Int, n: Int, k: Int) -> UnsafeMutablePointer<Scalar> {
        output([Swift.max(1, Kernels.sharedRowsPartialCount(m: m, n: n, k: k))]).unsafeBaseAddress
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func linear(_ x: Variable<Scalar>, weight: Variable<Scalar>, bias: Variable<Scalar>?) -> Variable<Scalar> {
        let (xShape, wShape) = (x.shape, weight.shape)
        precondition(wShape.rank == 2 && xShape.rank >= 1 && xShape.last == wShape[1],
                     "linear: input \(xShape) does not match weight \(wShape) ([out, in])")
        let (outFeatures, inFeatures) = (wShape[0], wShape[1])
        var outShape = xShape
        outShape[xShape.rank - 1] = outFeatures
        let result = output(outShape)
        if let bias {
            precondition(bias.shape.count == outFeatures, "linear: bias \(bias.shape) does not match \(outFeatures) outputs")
        }
        linearForward(LinearGeometry(rows: xShape.count / max(inFeatures, 1), inFeatures: inFeatures, outFeatures: outFeatures),
                      x: pointer(x.index), weight: pointer(weight.index), bias: bias.map { UnsafePointer(pointer($0.index)) },
                      into: result.unsafeBaseAddress)
        let needs = needsGradient[x.index] || needsGradient[weight.index] || (bias.map { needsGradient[$0.index] } ?? false)
        return record(result, .linear(input: x.index, weight: weight.index, bias: bias?.index), needsGradient: needs)
    }

    func backwardLinear(input x: Int, weight w: Int, bias b: Int?, gradient g: UnsafePointer<Scalar>) {
        let (outFeatures, inFeatures) = (values[w].shape[0], values[w].shape[1])
        let geometry = LinearGeometry(rows: values[x].count / max(inFeatures, 1), inFeatures: inFeatures, outFeatures: outFeatures)
        linearBackward(geometry, gradient: g, x: pointer(x), weight: pointer(w),
                       bias: b.flatMap(gradientTarget), weightGradient: gradientTarget(w), inputGradient: gradientTarget(x))
    }

    /// The sizes of one fully connected product: `[rows, in] · [out, in]ᵀ`.
    struct LinearGeometry {
        let rows: Int, inFeatures: Int, outFeatures: Int
    }

    /// `out = x · Wᵀ + b`: the bias rows first, the product added onto them.
    func linearForward(_ g: LinearGeometry, x: UnsafePointer<Scalar>, weight: UnsafePointer<Scalar>, bias: UnsafePointer<Scalar>?,
                       into out: UnsafeMutablePointer<Scalar>) {
        if let bias {
            for r in 0..<g.rows { (out + r * g.outFeatures).update(from: bias, count: g.outFeatures) }
        }
        gemm(transposeA: false, transposeB: true, m: g.rows, n: g.outFeatures, k: g.inFeatures, x, weight, out, accumulate: bias != nil)
    }

    /// The gradients of `x · Wᵀ + b` from the output's gradient `g`, written to (or added onto) the targets given.
    func linearBackward(
        _ geometry: LinearGeometry, gradient g: UnsafePointer<Scalar>, x: UnsafePointer<Scalar>, weight: UnsafePointer<Scalar>,
        bias db: GradientTarget?, weightGradient dw: GradientTarget?, inputGradient dx: GradientTarget?
    ) {
        let (rows, inFeatures, outFeatures) = (geometry.rows, geometry.inFeatures, geometry.outFeatures)
        if let (db, accumulate) = db {
            Kernels.sum(g, outer: 1, length: rows, inner: outFeatures, db, accumulate: accumulate)
        }
        if let (dw, accumulate) = dw {
            // dW[out, in] = gᵀ[out, rows] · x[rows, in]
            gemmSharingRows(m: outFeatures, n: inFeatures, k: rows, g, x, dw, accumulate: accumulate)
        }
        if let (dx, accumulate) = dx {
            // dx[rows, in] = g[rows, out] · W[out, in]
            gemm(transposeA: false, transposeB: false, m: rows, n: inFeatures, k: outFeatures, g, weight, dx, accumulate: accumulate)
        }
    }
}

extension Variable {
    /// The matrix product `op(self) · op(other)`; leading axes are batch axes (see
    /// `Tensor.matmul`).
    public func matmul(_ other: Variable, transposeSelf: Bool = false, transposeOther: Bool = false) -> Variable {
        tape.matmul(self, other, transposeA: transposeSelf, transposeB: transposeOther)
    }

    /// A fully connected layer in PyTorch's orientation: `self · weightᵀ + bias` over the last
    /// axis, with `weight` of shape `[out, in]`.
    @_specialize(where Scalar == Float)
    public func linear(weight: Variable, bias: Variable? = nil) -> Variable {
        tape.linear(self, weight: weight, bias: bias)
    }
}
