import NoetherTensor

extension Tensor where Scalar == Double {
    /// Each column minus its mean (rows are samples).
    func centeredColumns() -> Tensor<Double> { self - mean(alongAxis: 0, keepingDimension: true) }

    /// Each row scaled to unit norm (zero rows stay zero).
    func unitRows() -> Tensor<Double> {
        let norms = (self * self).sum(alongAxis: 1, keepingDimension: true).map(.sqrt)
        var safe = norms
        safe.transform { $0 > 0 ? 1 / $0 : 0 }
        return self * safe
    }

    /// The Frobenius inner product ⟨A, B⟩.
    func frobenius(_ other: Tensor<Double>) -> Double { dot(other) }

    /// The sum of the diagonal of a square matrix.
    var trace: Double {
        let n = Swift.min(shape[0], shape[1])
        return withUnsafeBufferPointer { x in (0..<n).reduce(0.0) { $0 + x[$1 * shape[1] + $1] } }
    }
}

/// A validated representation centred by its column means, with its smaller Gram matrix —
/// XXᵀ when there are fewer samples than features, else XᵀX — which the rank (its
/// eigenvalues are the squared singular values) and the ridge probe (its normal equations)
/// both start from.
struct CentredGram {
    let centred: Tensor<Double>
    let mean: Tensor<Double>
    let gram: Tensor<Double>
    var ofRows: Bool { centred.shape[0] < centred.shape[1] }

    init(_ x: Tensor<Double>) {
        mean = x.mean(alongAxis: 0, keepingDimension: true)
        centred = x - mean
        gram = centred.gramMatrix(ofRows: centred.shape[0] < centred.shape[1])
    }
}

/// Checks a representation matrix: rank 2, finite, with the expected number of rows.
func validated(_ x: Tensor<Double>, name: String, rows: Int? = nil) throws(RepresentationError) -> Tensor<Double> {
    guard x.rank == 2 else { throw RepresentationError("\(name) must be a matrix (samples × features), got shape \(x.shape)") }
    if let rows, x.shape[0] != rows {
        throw RepresentationError("\(name) has \(x.shape[0]) samples, expected \(rows) (the same inputs in the same order)")
    }
    guard x.shape[0] > 0, x.shape[1] > 0 else { throw RepresentationError("\(name) is empty (shape \(x.shape))") }
    guard x.isFinite else { throw RepresentationError("\(name) contains NaN or infinite values") }
    // Products of larger values overflow to ∞ and then give plausible-looking 0 or NaN scores.
    let largest = x.withUnsafeBufferPointer { $0.reduce(0.0) { Swift.max($0, abs($1)) } }
    guard largest <= 1e100 else {
        throw RepresentationError("\(name) holds values up to \(largest), too large to square; scale it down")
    }
    return x
}
