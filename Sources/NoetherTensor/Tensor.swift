/// A dense, row-major array of `Float` or `Double` with value semantics.
///
/// Copies share storage until one of them is mutated. Every element-wise operation broadcasts
/// by numpy's rules; matrix products, convolutions and decompositions go to OpenBLAS/LAPACK.
public struct Tensor<Scalar: TensorScalar>: @unchecked Sendable {
    @usableFromInline var storedShape: Shape
    /// The extents of the axes.
    @inlinable public var shape: Shape { storedShape }
    @usableFromInline var storage: TensorStorage<Scalar>

    /// The number of elements.
    @inlinable public var count: Int { shape.count }
    /// The number of axes.
    @inlinable public var rank: Int { shape.rank }

    /// Wraps existing storage; `storage.capacity` must hold `shape.count` elements.
    @inlinable
    public init(shape: Shape, storage: TensorStorage<Scalar>) {
        precondition(storage.capacity >= shape.count, "storage too small for shape \(shape)")
        storedShape = shape
        self.storage = storage
    }

    /// A tensor of the given shape whose elements are not yet set; fill it before reading.
    @inlinable
    public init(uninitializedShape shape: Shape) {
        self.init(shape: shape, storage: TensorStorage(capacity: shape.count))
    }

    /// A tensor with every element equal to `value`.
    @inlinable
    public init(repeating value: Scalar, shape: Shape) {
        self.init(uninitializedShape: shape)
        storage.base.update(repeating: value, count: shape.count)
    }

    /// A tensor of zeros.
    @inlinable
    public static func zeros(_ shape: Shape) -> Tensor { Tensor(repeating: 0, shape: shape) }

    /// A tensor of ones.
    @inlinable
    public static func ones(_ shape: Shape) -> Tensor { Tensor(repeating: 1, shape: shape) }

    /// A tensor holding `scalars` in row-major order.
    public init(shape: Shape, scalars: some Collection<Scalar>) {
        precondition(scalars.count == shape.count,
                     "\(scalars.count) scalars do not fill shape \(shape) (\(shape.count) elements)")
        self.init(uninitializedShape: shape)
        var index = 0
        for value in scalars {
            storage.base[index] = value
            index += 1
        }
    }

    /// A rank-1 tensor.
    public init(_ scalars: [Scalar]) { self.init(shape: [scalars.count], scalars: scalars) }

    /// A rank-0 tensor.
    public init(scalar: Scalar) { self.init(shape: .scalar, scalars: [scalar]) }

    /// A rank-2 tensor from rows of equal length.
    public init(rows: [[Scalar]]) {
        let columns = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == columns }, "rows of unequal length")
        self.init(shape: [rows.count, columns], scalars: rows.flatMap { $0 })
    }

    /// The identity matrix of size `n`.
    public static func identity(_ n: Int) -> Tensor {
        var result = Tensor.zeros([n, n])
        result.withUnsafeMutableBufferPointer { buffer in
            for i in 0..<n { buffer[i * n + i] = 1 }
        }
        return result
    }

    /// Converts the element type.
    @inlinable
    public init<Other: TensorScalar>(_ other: Tensor<Other>) {
        self.init(uninitializedShape: other.shape)
        let destination = storage.base
        other.withUnsafeBufferPointer { source in
            for i in 0..<source.count { destination[i] = Scalar(source[i]) }
        }
    }

    /// The elements in row-major order.
    public var scalars: [Scalar] { withUnsafeBufferPointer { Array($0) } }

    /// The single element of a one-element tensor.
    public var scalar: Scalar {
        precondition(count == 1, "scalar of a tensor with \(count) elements")
        return storage.base[0]
    }

    /// Element access by a full index.
    public subscript(_ indices: Int...) -> Scalar {
        get { storage.base[offset(of: indices)] }
        set {
            let position = offset(of: indices)
            makeUnique()
            storage.base[position] = newValue
        }
    }

    func offset(of indices: [Int]) -> Int {
        precondition(indices.count == rank, "\(indices.count) indices for rank \(rank)")
        var position = 0
        for axis in 0..<rank {
            precondition(indices[axis] >= 0 && indices[axis] < shape[axis], "index out of range")
            position = position * shape[axis] + indices[axis]
        }
        return position
    }

    /// Calls `body` with the elements; the pointer is valid only inside `body`.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try withExtendedLifetime(storage) {
            try body(UnsafeBufferPointer(start: storage.base, count: count))
        }
    }

    /// Calls `body` with mutable elements, copying shared storage first.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Scalar>) throws -> R
    ) rethrows -> R {
        makeUnique()
        return try withExtendedLifetime(storage) {
            try body(UnsafeMutableBufferPointer(start: storage.base, count: count))
        }
    }

    /// Ensures this tensor's storage is not shared, copying it if it is.
    @inlinable
    public mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            let copy = TensorStorage<Scalar>(capacity: count)
            copy.base.update(from: storage.base, count: count)
            storage = copy
        }
    }

    /// The address of the first element, for kernels that manage aliasing themselves: valid
    /// while this tensor's storage lives, and writing through it bypasses copy-on-write.
    @inlinable public var unsafeBaseAddress: UnsafeMutablePointer<Scalar> { storage.base }

    /// Whether this tensor shares its storage with no other value.
    @inlinable
    public mutating func isUniquelyReferenced() -> Bool { isKnownUniquelyReferenced(&storage) }

    /// The same elements viewed with another shape of equal element count (no copy).
    public func reshaped(_ newShape: Shape) -> Tensor {
        precondition(newShape.count == count, "cannot reshape \(shape) to \(newShape)")
        return Tensor(shape: newShape, storage: storage)
    }

    /// Changes this tensor's shape in place; the element count must stay the same.
    public mutating func reshape(_ newShape: Shape) {
        precondition(newShape.count == count, "cannot reshape \(shape) to \(newShape)")
        storedShape = newShape
    }

    /// Whether the two tensors hold the same shape and exactly the same elements.
    public func bitwiseEquals(_ other: Tensor) -> Bool {
        guard shape == other.shape else { return false }
        return withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                for i in 0..<a.count where a[i].bitPattern != b[i].bitPattern { return false }
                return true
            }
        }
    }
}

extension BinaryFloatingPoint where RawSignificand: FixedWidthInteger {
    /// The IEEE representation, for bitwise comparisons.
    @usableFromInline var bitPattern: UInt64 {
        UInt64(truncatingIfNeeded: significandBitPattern)
            | UInt64(exponentBitPattern) << UInt64(Self.significandBitCount)
            | (sign == .minus ? 1 << 63 : 0)
    }
}

extension Tensor: Equatable {
    /// Same shape and equal elements (NaN never equals).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        guard lhs.shape == rhs.shape else { return false }
        return lhs.withUnsafeBufferPointer { a in
            rhs.withUnsafeBufferPointer { b in
                for i in 0..<a.count where a[i] != b[i] { return false }
                return true
            }
        }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor<\(Scalar.self)>\(shape)[\(preview)\(count > 8 ? ", …" : "")]"
    }
}

extension Tensor: Codable {
    private enum CodingKeys: String, CodingKey { case shape, scalars }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let shape = try container.decode(Shape.self, forKey: .shape)
        let scalars = try container.decode([Scalar].self, forKey: .scalars)
        guard scalars.count == shape.count else {
            throw DecodingError.dataCorruptedError(
                forKey: .scalars, in: container,
                debugDescription: "\(scalars.count) scalars for shape \(shape)")
        }
        self.init(shape: shape, scalars: scalars)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(shape, forKey: .shape)
        try container.encode(scalars, forKey: .scalars)
    }
}
