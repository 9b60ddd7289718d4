import NoetherTensor

extension Tape {
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func sum(_ x: Variable<Scalar>, mean: Bool) -> Variable<Scalar> {
        let result = output(.scalar)
        let input = values[x.index]
        result.unsafeBaseAddress[0] = mean ? input.mean() : input.sum()
        return record(result, mean ? .mean(input: x.index) : .sum(input: x.index), needsGradient: needsGradient[x.index])
    }

    func backwardSum(input x: Int, mean: Bool, gradient g: UnsafePointer<Scalar>) {
        guard let (dx, accumulate) = gradientTarget(x) else { return }
        let n = values[x].count
        let value = mean ? g[0] / Scalar(max(n, 1)) : g[0]
        if accumulate { for i in 0..<n { dx[i] += value } } else { dx.update(repeating: value, count: n) }
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func sum(_ x: Variable<Scalar>, alongAxis axis: Int, keepingDimension: Bool) -> Variable<Scalar> {
        let shape = x.shape
        let axis = shape.normalized(axis: axis)
        let (outer, length, inner) = shape.split(at: axis)
        let result = output(shape.reducing(axis: axis, keepingDimension: keepingDimension))
        Kernels.sum(pointer(x.index), outer: outer, length: length, inner: inner, result.unsafeBaseAddress, accumulate: false)
        return record(result, .sumAlong(input: x.index, axis: axis), needsGradient: needsGradient[x.index])
    }

    func backwardSumAlong(input x: Int, axis: Int, gradient g: UnsafePointer<Scalar>) {
        guard let (dx, accumulate) = gradientTarget(x) else { return }
        let (outer, length, inner) = values[x].shape.split(at: axis)
        Kernels.expand(g, outer: outer, length: length, inner: inner, dx, scale: 1, accumulate: accumulate)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func reshape(_ x: Variable<Scalar>, _ shape: Shape) -> Variable<Scalar> {
        precondition(shape.count == x.shape.count, "cannot reshape \(x.shape) to \(shape)")
        // Recorded values are never mutated, so the output may share the input's buffer.
        return record(values[x.index].reshaped(shape), .reshape(input: x.index), needsGradient: needsGradient[x.index])
    }

    func backwardReshape(input x: Int, gradient g: UnsafePointer<Scalar>) {
        guard let (dx, accumulate) = gradientTarget(x) else { return }
        let n = values[x].count
        if accumulate { for i in 0..<n { dx[i] += g[i] } } else { dx.update(from: g, count: n) }
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func permute(_ x: Variable<Scalar>, _ permutation: AxisPermutation) -> Variable<Scalar> {
        let shape = x.shape
        precondition(permutation.rank == shape.rank, "permutation of rank \(permutation.rank) for shape \(shape)")
        var outShape = shape
        for i in 0..<shape.rank { outShape[i] = shape[permutation.axes[i]] }
        let result = output(outShape)
        Kernels.permute(pointer(x.index), shape: shape, permutation, result.unsafeBaseAddress, accumulate: false)
        return record(result, .permute(input: x.index, permutation), needsGradient: needsGradient[x.index])
    }

    func backwardPermute(input x: Int, output: Int, _ permutation: AxisPermutation, gradient g: UnsafePointer<Scalar>) {
        guard let (dx, accumulate) = gradientTarget(x) else { return }
        Kernels.permute(g, shape: values[output].shape, permutation.inverse, dx, accumulate: accumulate)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func slice(_ x: Variable<Scalar>, axis: Int, range: Range<Int>) -> Variable<Scalar> {
        let shape = x.shape
        let axis = shape.normalized(axis: axis)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[axis], "slice \(range) out of range for axis \(axis) of \(shape)")
        var outShape = shape
        outShape[axis] = range.count
        let result = output(outShape)
        let (outer, length, inner) = shape.split(at: axis)
        Kernels.slice(pointer(x.index), outer: outer, length: length, inner: inner,
                      start: range.lowerBound, sliceLength: range.count, result.unsafeBaseAddress, reverse: false)
        return record(result, .slice(input: x.index, axis: axis, start: range.lowerBound), needsGradient: needsGradient[x.index])
    }

    func backwardSlice(input x: Int, output: Int, axis: Int, start: Int, gradient g: UnsafePointer<Scalar>) {
        guard let (dx, accumulate) = gradientTarget(x) else { return }
        let shape = values[x].shape
        if !accumulate { dx.update(repeating: 0, count: shape.count) }
        let (outer, length, inner) = shape.split(at: axis)
        Kernels.slice(dx, outer: outer, length: length, inner: inner, start: start,
                      sliceLength: values[output].shape[axis], UnsafeMutablePointer(mutating: g), reverse: true)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func concatenate(_ a: Variable<Scalar>, _ b: Variable<Scalar>, axis: Int) -> Variable<Scalar> {
        let (aShape, bShape) = (a.shape, b.shape)
        let axis = aShape.normalized(axis: axis)
        var expected = bShape
        expected[axis] = aShape[axis]
        precondition(aShape.rank == bShape.rank && expected == aShape, "cannot concatenate \(aShape) and \(bShape) along axis \(axis)")
        var outShape = aShape
        outShape[axis] = aShape[axis] + bShape[axis]
        let result = output(outShape)
        let (outer, length, inner) = outShape.split(at: axis)
        // Copy each operand's block into place: out[o, start..<start+len, :] = part[o, :, :].
        func place(_ part: Int, start: Int, partLength: Int) {
            let source = pointer(part)
            for o in 0..<outer {
                (result.unsafeBaseAddress + (o * length + start) * inner)
                    .update(from: source + o * partLength * inner, count: partLength * inner)
            }
        }
        place(a.index, start: 0, partLength: aShape[axis])
        place(b.index, start: aShape[axis], partLength: bShape[axis])
        return record(result, .concatenate(a.index, b.index, axis: axis),
                      needsGradient: needsGradient[a.index] || needsGradient[b.index])
    }

    func backwardConcatenate(_ a: Int, _ b: Int, output: Int, axis: Int, gradient g: UnsafePointer<Scalar>) {
        let outShape = values[output].shape
        let (outer, length, inner) = outShape.split(at: axis)
        let aLength = values[a].shape[axis]
        func propagate(to part: Int, start: Int, partLength: Int) {
            guard let (dx, accumulate) = gradientTarget(part) else { return }
            for o in 0..<outer {
                let source = g + (o * length + start) * inner
                let destination = dx + o * partLength * inner
                if accumulate {
                    for i in 0..<(partLength * inner) { destination[i] += source[i] }
                } else {
                    destination.update(from: source, count: partLength * inner)
                }
            }
        }
        propagate(to: a, start: 0, partLength: aLength)
        propagate(to: b, start: aLength, partLength: length - aLength)
    }
}

extension Variable {
    /// The sum of all elements, as a scalar.
    public func sum() -> Variable { tape.sum(self, mean: false) }
    /// The mean of all elements, as a scalar.
    public func mean() -> Variable { tape.sum(self, mean: true) }
    /// Sums along one axis.
    public func sum(alongAxis axis: Int, keepingDimension: Bool = false) -> Variable {
        tape.sum(self, alongAxis: axis, keepingDimension: keepingDimension)
    }
    /// Means along one axis.
    public func mean(alongAxis axis: Int, keepingDimension: Bool = false) -> Variable {
        let extent = shape[shape.normalized(axis: axis)]
        return sum(alongAxis: axis, keepingDimension: keepingDimension) * (1 / Scalar(extent))
    }
    /// The same elements with another shape.
    public func reshaped(_ shape: Shape) -> Variable { tape.reshape(self, shape) }
    /// Axes reordered: result axis i is axis `axes[i]`.
    public func permuted(_ axes: [Int]) -> Variable { tape.permute(self, AxisPermutation(axes)) }
    /// Axes reordered by a stored permutation (allocation-free).
    public func permuted(_ permutation: AxisPermutation) -> Variable { tape.permute(self, permutation) }
    /// The matrix transpose.
    public func transposed() -> Variable { tape.permute(self, AxisPermutation([1, 0])) }
    /// The entries `range` of one axis.
    public func slice(alongAxis axis: Int, _ range: Range<Int>) -> Variable { tape.slice(self, axis: axis, range: range) }
    /// Joins two values along an axis.
    public func concatenated(with other: Variable, alongAxis axis: Int) -> Variable {
        tape.concatenate(self, other, axis: axis)
    }
}
