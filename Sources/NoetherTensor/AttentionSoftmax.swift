extension Kernels {
    /// One row of attention scores, in place: the first `visible` entries are scaled and
    /// replaced by their softmax, the rest (keys a causal mask hides) by 0 — exactly what a
    /// softmax gives a −∞ score. Element-wise passes are separate loops and the row's maximum
    /// and sum run on eight accumulators, so the loops vectorise (with `activationExp`,
    /// branch-free for Float); a row's result depends only on the row, never on the threads.
    @inlinable
    public static func maskedSoftmaxRow<T: TensorScalar>(_ row: UnsafeMutablePointer<T>, visible: Int, columns: Int, scale: T) {
        for j in 0..<visible { row[j] *= scale }
        var largest = laneMaximum(row, count: visible)
        if !largest.isFinite { largest = 0 }
        for j in 0..<visible { row[j] = T.activationExp(row[j] - largest) }
        let inverse = 1 / laneSum(visible) { row[$0] }
        for j in 0..<visible { row[j] *= inverse }
        for j in visible..<columns { row[j] = 0 }
    }

    /// The scores' gradient from the probabilities' gradient of one row, in place:
    /// `gradient ← scale · p ⊙ (gradient − ⟨gradient, p⟩)` (softmax's derivative times the
    /// scores' scale).
    @inlinable
    public static func scaledSoftmaxBackwardRow<T: TensorScalar>(probabilities p: UnsafePointer<T>, _ gradient: UnsafeMutablePointer<T>, columns: Int, scale: T) {
        let inner = laneSum(columns) { gradient[$0] * p[$0] }
        for j in 0..<columns { gradient[j] = p[j] * (gradient[j] - inner) * scale }
    }

    /// Σ term(j) for j < count, in ``LaneSum``'s fixed order (eight lanes, then the rest), so
    /// the reduction vectorises instead of waiting on one running sum.
    @inlinable @inline(__always)
    public static func laneSum<T: TensorScalar>(_ count: Int, _ term: (Int) -> T) -> T {
        var sum = LaneSum<T>()
        sum.add(count: count, vector: { j in
            SIMD8(term(j), term(j + 1), term(j + 2), term(j + 3), term(j + 4), term(j + 5), term(j + 6), term(j + 7))
        }, scalar: term)
        return sum.total
    }

    /// The largest of `count` values (−∞ for none), on eight accumulators.
    @inlinable @inline(__always)
    public static func laneMaximum<T: TensorScalar>(_ x: UnsafePointer<T>, count: Int) -> T {
        var a0 = -T.infinity, a1 = -T.infinity, a2 = -T.infinity, a3 = -T.infinity
        var a4 = -T.infinity, a5 = -T.infinity, a6 = -T.infinity, a7 = -T.infinity
        var j = 0
        while j + 8 <= count {
            a0 = Swift.max(a0, x[j]); a1 = Swift.max(a1, x[j + 1]); a2 = Swift.max(a2, x[j + 2]); a3 = Swift.max(a3, x[j + 3])
            a4 = Swift.max(a4, x[j + 4]); a5 = Swift.max(a5, x[j + 5]); a6 = Swift.max(a6, x[j + 6]); a7 = Swift.max(a7, x[j + 7])
            j += 8
        }
        while j < count {
            a0 = Swift.max(a0, x[j])
            j += 1
        }
        return Swift.max(Swift.max(Swift.max(a0, a1), Swift.max(a2, a3)), Swift.max(Swift.max(a4, a5), Swift.max(a6, a7)))
    }
}
