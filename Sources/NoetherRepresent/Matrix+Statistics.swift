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
}

/// Checks a representation matrix: rank 2, finite, with the expected number of rows.
func validated(_ x: Tensor<Double>, name: String, rows: Int? = nil) throws(RepresentationError) -> Tensor<Double> {
    guard x.rank == 2 else { throw RepresentationError("\(name) must be a matrix (samples × features), got shape \(x.shape)") }
    if let rows, x.shape[0] != rows {
        throw RepresentationError("\(name) has \(x.shape[0]) samples, expected \(rows) (the same inputs in the same order)")
    }
    guard x.shape[0] > 0, x.shape[1] > 0 else { throw RepresentationError("\(name) is empty (shape \(x.shape))") }
    guard x.isFinite else { throw RepresentationError("\(name) contains NaN or infinite values") }
    return x
}
