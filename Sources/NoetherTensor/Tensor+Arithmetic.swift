extension Tensor {
    /// Applies a binary operation with numpy broadcasting.
    @inlinable
    public func combined(with other: Tensor, _ operation: BinaryOperation) -> Tensor {
        guard let outShape = Shape.broadcast(shape, other.shape) else {
            preconditionFailure("shapes \(shape) and \(other.shape) do not broadcast")
        }
        let result = Tensor(uninitializedShape: outShape)
        let out = result.storage.base
        withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                Kernels.binary(operation, a.baseAddress!, shape, b.baseAddress!, other.shape, out, outShape)
            }
        }
        return result
    }

    /// Applies an element-wise function.
    @inlinable
    public func map(_ function: UnaryFunction) -> Tensor {
        let result = Tensor(uninitializedShape: shape)
        let out = result.storage.base
        withUnsafeBufferPointer { Kernels.apply(function, $0.baseAddress!, out, count: count) }
        return result
    }

    @inlinable
    public static func + (a: Tensor, b: Tensor) -> Tensor { a.combined(with: b, .add) }
    @inlinable
    public static func - (a: Tensor, b: Tensor) -> Tensor { a.combined(with: b, .subtract) }
    @inlinable
    public static func * (a: Tensor, b: Tensor) -> Tensor { a.combined(with: b, .multiply) }
    @inlinable
    public static func / (a: Tensor, b: Tensor) -> Tensor { a.combined(with: b, .divide) }
    @inlinable
    public static func + (a: Tensor, b: Scalar) -> Tensor { a.map(.shift(Double(b))) }
    @inlinable
    public static func - (a: Tensor, b: Scalar) -> Tensor { a.map(.shift(-Double(b))) }
    @inlinable
    public static func * (a: Tensor, b: Scalar) -> Tensor { a.map(.scale(Double(b))) }
    @inlinable
    public static func * (a: Scalar, b: Tensor) -> Tensor { b.map(.scale(Double(a))) }
    @inlinable
    public static func / (a: Tensor, b: Scalar) -> Tensor { a.map(.scale(1 / Double(b))) }
    @inlinable
    public static prefix func - (a: Tensor) -> Tensor { a.map(.negate) }

    @inlinable
    public static func += (a: inout Tensor, b: Tensor) {
        if a.shape == b.shape {
            a.withUnsafeMutableBufferPointer { x in
                b.withUnsafeBufferPointer { y in for i in 0..<x.count { x[i] += y[i] } }
            }
        } else {
            a = a + b
        }
    }

    @inlinable
    public static func -= (a: inout Tensor, b: Tensor) {
        if a.shape == b.shape {
            a.withUnsafeMutableBufferPointer { x in
                b.withUnsafeBufferPointer { y in for i in 0..<x.count { x[i] -= y[i] } }
            }
        } else {
            a = a - b
        }
    }

    @inlinable
    public static func *= (a: inout Tensor, b: Scalar) {
        a.withUnsafeMutableBufferPointer { x in for i in 0..<x.count { x[i] *= b } }
    }

    /// Adds `alpha · other` in place (same shape).
    @inlinable
    public mutating func add(_ other: Tensor, scaledBy alpha: Scalar) {
        precondition(shape == other.shape, "shapes \(shape) and \(other.shape) differ")
        withUnsafeMutableBufferPointer { x in
            other.withUnsafeBufferPointer { y in for i in 0..<x.count { x[i] += alpha * y[i] } }
        }
    }

    /// Every element with `body` applied, written in place.
    @inlinable
    public mutating func transform(_ body: (Scalar) -> Scalar) {
        withUnsafeMutableBufferPointer { x in for i in 0..<x.count { x[i] = body(x[i]) } }
    }

    /// Whether every element is finite (no NaN or infinity).
    @inlinable
    public var isFinite: Bool {
        withUnsafeBufferPointer { x in
            for value in x where !value.isFinite { return false }
            return true
        }
    }

    /// Whether every element is within `tolerance` (absolute plus relative to `other`).
    @inlinable
    public func isApproximatelyEqual(to other: Tensor, absoluteTolerance: Scalar, relativeTolerance: Scalar = 0) -> Bool {
        guard shape == other.shape else { return false }
        return withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                for i in 0..<a.count {
                    let difference = Swift.abs(a[i] - b[i])
                    guard difference <= absoluteTolerance + relativeTolerance * Swift.abs(b[i]) else { return false }
                }
                return true
            }
        }
    }

    /// The largest absolute element-wise difference to `other` (same shape).
    @inlinable
    public func maxAbsoluteDifference(to other: Tensor) -> Scalar {
        precondition(shape == other.shape, "shapes \(shape) and \(other.shape) differ")
        return withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                var largest: Scalar = 0
                for i in 0..<a.count { largest = Swift.max(largest, Swift.abs(a[i] - b[i])) }
                return largest
            }
        }
    }
}
