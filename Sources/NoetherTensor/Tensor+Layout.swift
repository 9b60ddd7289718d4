extension Shape {
    /// The shape with its axes reordered: result axis i is this shape's axis `axes[i]`.
    public func permuted(_ axes: [Int]) -> Shape {
        precondition(axes.count == rank && Set(axes) == Set(0..<rank), "\(axes) is not a permutation of the axes of \(self)")
        return Shape(axes.map { self[$0] })
    }
}

/// An axis order stored inline (so recording a permutation on the tape allocates nothing).
public struct AxisPermutation: Hashable, Sendable {
    public var axes: InlineArray<6, Int>
    public let rank: Int

    public init(_ axes: [Int]) {
        precondition(axes.count <= Shape.maxRank && Set(axes) == Set(0..<axes.count), "\(axes) is not a permutation")
        self.axes = .init(repeating: 0)
        rank = axes.count
        for (i, axis) in axes.enumerated() { self.axes[i] = axis }
    }

    public var array: [Int] { (0..<rank).map { axes[$0] } }

    /// The permutation that undoes this one.
    public var inverse: AxisPermutation {
        var result = self
        for i in 0..<rank { result.axes[axes[i]] = i }
        return result
    }

    public static func == (lhs: AxisPermutation, rhs: AxisPermutation) -> Bool { lhs.array == rhs.array }
    public func hash(into hasher: inout Hasher) { hasher.combine(array) }
}

extension Kernels {
    /// out = x with axes permuted; `out` has shape `shape` permuted by `permutation`.
    @inlinable
    public static func permute<T: TensorScalar>(
        _ x: UnsafePointer<T>, shape: Shape, _ permutation: AxisPermutation,
        _ out: UnsafeMutablePointer<T>, accumulate: Bool
    ) {
        let rank = shape.rank
        guard rank > 0 else {
            if accumulate { out[0] += x[0] } else { out[0] = x[0] }
            return
        }
        if rank == 2 && permutation.axes[0] == 1 {
            transpose(x, rows: shape[0], columns: shape[1], out, accumulate: accumulate)
            return
        }
        // Walk the output in order; source strides are the input strides in output axis order.
        let inputStrides = shape.strides
        var outShape = shape
        var sourceStrides = InlineArray<6, Int>(repeating: 0)
        for i in 0..<rank {
            outShape[i] = shape[permutation.axes[i]]
            sourceStrides[i] = inputStrides[permutation.axes[i]]
        }
        let length = outShape[rank - 1]
        let lastStride = sourceStrides[rank - 1]
        let rows = length == 0 ? 0 : outShape.count / length
        var index = InlineArray<6, Int>(repeating: 0)
        var offset = 0
        for row in 0..<rows {
            let destination = out + row * length
            if accumulate {
                for j in 0..<length { destination[j] += x[offset + j * lastStride] }
            } else {
                for j in 0..<length { destination[j] = x[offset + j * lastStride] }
            }
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                offset += sourceStrides[axis]
                if index[axis] < outShape[axis] { break }
                offset -= sourceStrides[axis] * outShape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }

    /// Cache-blocked matrix transpose: out[c, r] = x[r, c].
    @inlinable
    public static func transpose<T: TensorScalar>(
        _ x: UnsafePointer<T>, rows: Int, columns: Int, _ out: UnsafeMutablePointer<T>, accumulate: Bool
    ) {
        let block = 32
        for r0 in stride(from: 0, to: rows, by: block) {
            let r1 = Swift.min(r0 + block, rows)
            for c0 in stride(from: 0, to: columns, by: block) {
                let c1 = Swift.min(c0 + block, columns)
                for r in r0..<r1 {
                    for c in c0..<c1 {
                        if accumulate { out[c * rows + r] += x[r * columns + c] } else { out[c * rows + r] = x[r * columns + c] }
                    }
                }
            }
        }
    }

    /// Copies the `[outer, length, inner]` block `start..<start+sliceLength` of the middle axis
    /// into `out` (or, with `reverse`, adds `out`'s block back into `x`'s positions).
    @inlinable
    public static func slice<T: TensorScalar>(
        _ x: UnsafeMutablePointer<T>, outer: Int, length: Int, inner: Int,
        start: Int, sliceLength: Int, _ out: UnsafeMutablePointer<T>, reverse: Bool
    ) {
        let run = sliceLength * inner
        for o in 0..<outer {
            let source = x + (o * length + start) * inner
            let destination = out + o * run
            if reverse {
                for i in 0..<run { source[i] += destination[i] }
            } else {
                destination.update(from: source, count: run)
            }
        }
    }
}

extension Tensor {
    /// The matrix transpose of a rank-2 tensor.
    @inlinable
    public func transposed() -> Tensor {
        precondition(rank == 2, "transposed() needs a matrix, got \(shape)")
        return permuted([1, 0])
    }

    /// The tensor with its axes reordered: result axis i is axis `axes[i]` of this tensor.
    @inlinable
    public func permuted(_ axes: [Int]) -> Tensor {
        let outShape = shape.permuted(axes)
        let result = Tensor(uninitializedShape: outShape)
        let out = result.storage.base
        withUnsafeBufferPointer {
            Kernels.permute($0.baseAddress!, shape: shape, AxisPermutation(axes), out, accumulate: false)
        }
        return result
    }

    /// The elements `range` of one axis.
    @inlinable
    public func slice(alongAxis axis: Int, _ range: Range<Int>) -> Tensor {
        let axis = shape.normalized(axis: axis)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[axis], "slice \(range) out of range for axis \(axis) of \(shape)")
        var outShape = shape
        outShape[axis] = range.count
        let result = Tensor(uninitializedShape: outShape)
        let out = result.storage.base
        let (outer, length, inner) = shape.split(at: axis)
        withUnsafeBufferPointer {
            Kernels.slice(UnsafeMutablePointer(mutating: $0.baseAddress!), outer: outer, length: length, inner: inner,
                          start: range.lowerBound, sliceLength: range.count, out, reverse: false)
        }
        return result
    }

    /// Joins tensors along an axis; all other extents must agree.
    @inlinable
    public static func concatenate(_ parts: [Tensor], alongAxis axis: Int) -> Tensor {
        precondition(!parts.isEmpty, "concatenate needs at least one tensor")
        let first = parts[0].shape
        let axis = first.normalized(axis: axis)
        var outShape = first
        outShape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
        for part in parts {
            var expected = part.shape
            expected[axis] = first[axis]
            precondition(expected == first, "cannot concatenate \(part.shape) with \(first) along axis \(axis)")
        }
        // The scatter adds, so start from zeros.
        let result = Tensor.zeros(outShape)
        let (outer, length, inner) = outShape.split(at: axis)
        var start = 0
        for part in parts {
            let partLength = part.shape[axis]
            part.withUnsafeBufferPointer { source in
                Kernels.slice(result.storage.base, outer: outer, length: length, inner: inner,
                              start: start, sliceLength: partLength,
                              UnsafeMutablePointer(mutating: source.baseAddress!), reverse: true)
            }
            start += partLength
        }
        return result
    }

    /// The rows (entries of axis 0) at `indices`, in that order.
    @inlinable
    public func gatherRows(_ indices: some Collection<Int>) -> Tensor {
        var outShape = shape
        outShape[0] = indices.count
        var result = Tensor(uninitializedShape: outShape)
        gatherRows(indices, into: &result)
        return result
    }

    /// Writes the rows at `indices` into `destination`, whose first extent is `indices.count`.
    @inlinable
    public func gatherRows(_ indices: some Collection<Int>, into destination: inout Tensor) {
        // A loop over an unspecialised `some Collection` (a batch's ArraySlice seen from another
        // module) asks the runtime for generic metadata at every element: it was 45 % of a small
        // MLP's training step. The copy loop therefore runs over contiguous Ints only.
        let copied = indices.withContiguousStorageIfAvailable { gatherRows(contiguous: $0, into: &destination) }
        if copied == nil { Array(indices).withUnsafeBufferPointer { gatherRows(contiguous: $0, into: &destination) } }
    }

    @inlinable
    func gatherRows(contiguous indices: UnsafeBufferPointer<Int>, into destination: inout Tensor) {
        let rows = shape[0]
        let rowLength = shape.count / Swift.max(rows, 1)
        precondition(destination.count == indices.count * rowLength, "destination does not fit the gathered rows")
        destination.withUnsafeMutableBufferPointer { out in
            withUnsafeBufferPointer { x in
                for position in 0..<indices.count {
                    let row = indices[position]
                    precondition(row >= 0 && row < rows, "row \(row) out of range")
                    (out.baseAddress! + position * rowLength).update(from: x.baseAddress! + row * rowLength, count: rowLength)
                }
            }
        }
    }
}
