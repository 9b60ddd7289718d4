extension Kernels {
    /// Sums a `[outer, length, inner]` view along its middle axis into `[outer, inner]`.
    @inlinable
    public static func sum<T: TensorScalar>(
        _ x: UnsafePointer<T>, outer: Int, length: Int, inner: Int,
        _ out: UnsafeMutablePointer<T>, accumulate: Bool
    ) {
        if !accumulate { out.update(repeating: 0, count: outer * inner) }
        for o in 0..<outer {
            let destination = out + o * inner
            let source = x + o * length * inner
            if inner == 1 {
                var total: T = 0
                for j in 0..<length { total += source[j] }
                destination[0] += total
            } else {
                // Blocks of 32 columns split over the cores; each column adds its rows in order,
                // so the bits do not depend on the split (a linear layer's bias gradient).
                let blocks = (inner + 31) / 32
                Parallel.forEachRange(blocks, work: length * inner) { range in
                    let (start, end) = (range.lowerBound * 32, Swift.min(inner, range.upperBound * 32))
                    for j in 0..<length {
                        let row = source + j * inner
                        for i in start..<end { destination[i] += row[i] }
                    }
                }
            }
        }
    }

    /// Broadcasts `[outer, inner]` back along a middle axis of extent `length`.
    @inlinable
    public static func expand<T: TensorScalar>(
        _ x: UnsafePointer<T>, outer: Int, length: Int, inner: Int,
        _ out: UnsafeMutablePointer<T>, scale: T, accumulate: Bool
    ) {
        for o in 0..<outer {
            let source = x + o * inner
            for j in 0..<length {
                let destination = out + (o * length + j) * inner
                if accumulate {
                    for i in 0..<inner { destination[i] += scale * source[i] }
                } else {
                    for i in 0..<inner { destination[i] = scale * source[i] }
                }
            }
        }
    }
}

extension Shape {
    /// The shape after reducing `axis`, kept with extent 1 or removed.
    public func reducing(axis: Int, keepingDimension: Bool) -> Shape {
        var dims = dimensions
        if keepingDimension { dims[axis] = 1 } else { dims.remove(at: axis) }
        return Shape(dims)
    }

    /// `(outer, length, inner)` of a reduction along `axis`.
    @inlinable
    public func split(at axis: Int) -> (outer: Int, length: Int, inner: Int) {
        var outer = 1
        var inner = 1
        for a in 0..<rank {
            if a < axis { outer &*= self[a] } else if a > axis { inner &*= self[a] }
        }
        return (outer, self[axis], inner)
    }
}

extension Tensor {
    /// The sum of all elements.
    @inlinable
    public func sum() -> Scalar {
        withUnsafeBufferPointer { x in
            var total: Scalar = 0
            for value in x { total += value }
            return total
        }
    }

    /// The mean of all elements.
    @inlinable
    public func mean() -> Scalar { count == 0 ? .nan : sum() / Scalar(count) }

    /// Sums along one axis.
    @inlinable
    public func sum(alongAxis axis: Int, keepingDimension: Bool = false) -> Tensor {
        let axis = shape.normalized(axis: axis)
        let (outer, length, inner) = shape.split(at: axis)
        let result = Tensor(uninitializedShape: shape.reducing(axis: axis, keepingDimension: keepingDimension))
        let out = result.storage.base
        withUnsafeBufferPointer {
            Kernels.sum($0.baseAddress!, outer: outer, length: length, inner: inner, out, accumulate: false)
        }
        return result
    }

    /// Means along one axis.
    @inlinable
    public func mean(alongAxis axis: Int, keepingDimension: Bool = false) -> Tensor {
        let extent = shape[shape.normalized(axis: axis)]
        return sum(alongAxis: axis, keepingDimension: keepingDimension) * (1 / Scalar(extent))
    }

    /// The maximum along one axis.
    @inlinable
    public func max(alongAxis axis: Int, keepingDimension: Bool = false) -> Tensor {
        let axis = shape.normalized(axis: axis)
        let (outer, length, inner) = shape.split(at: axis)
        precondition(length > 0, "max over an empty axis")
        let result = Tensor(uninitializedShape: shape.reducing(axis: axis, keepingDimension: keepingDimension))
        let out = result.storage.base
        withUnsafeBufferPointer { x in
            for o in 0..<outer {
                for i in 0..<inner {
                    var best = x[o * length * inner + i]
                    for j in 1..<Swift.max(length, 1) { best = Swift.max(best, x[(o * length + j) * inner + i]) }
                    out[o * inner + i] = best
                }
            }
        }
        return result
    }

    /// The index of the largest element of each row of the last axis (first index on ties).
    @inlinable
    public func argmaxAlongLastAxis() -> [Int] {
        let columns = shape.last
        guard columns > 0 else { return [] }
        return withUnsafeBufferPointer { x in
            (0..<(count / columns)).map { row in
                var best = 0
                for j in 1..<columns where x[row * columns + j] > x[row * columns + best] { best = j }
                return best
            }
        }
    }

    /// The largest element.
    @inlinable
    public func max() -> Scalar { withUnsafeBufferPointer { $0.max() ?? .nan } }

    /// The smallest element.
    @inlinable
    public func min() -> Scalar { withUnsafeBufferPointer { $0.min() ?? .nan } }

    /// The squared Euclidean (Frobenius) norm.
    @inlinable
    public func squaredNorm() -> Scalar {
        withUnsafeBufferPointer { x in
            var total: Scalar = 0
            for value in x { total += value * value }
            return total
        }
    }

    /// The Euclidean (Frobenius) norm.
    @inlinable
    public func norm() -> Scalar { squaredNorm().squareRoot() }

    /// The inner product with a tensor of the same element count.
    @inlinable
    public func dot(_ other: Tensor) -> Scalar {
        precondition(count == other.count, "dot of \(count) and \(other.count) elements")
        return withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                var total: Scalar = 0
                for i in 0..<a.count { total += a[i] * b[i] }
                return total
            }
        }
    }
}
