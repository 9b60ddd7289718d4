/// The extents of a tensor's axes, stored inline so that making a tensor allocates nothing for
/// its shape. Row-major: the last axis varies fastest.
public struct Shape: Hashable, Sendable, CustomStringConvertible, ExpressibleByArrayLiteral {
    /// The largest rank a tensor can have: enough for batched attention `[B, H, S, D]` with room.
    public static let maxRank = 6

    @usableFromInline var extents: InlineArray<6, Int>
    /// The number of axes.
    @usableFromInline var storedRank: Int
    /// The number of axes.
    @inlinable public var rank: Int { storedRank }

    /// A shape of the given rank with every extent 1.
    @inlinable
    public init(onesOfRank rank: Int) {
        precondition(rank >= 0 && rank <= Shape.maxRank, "rank \(rank) out of range")
        extents = .init(repeating: 1)
        storedRank = rank
    }

    @inlinable
    public init(_ dimensions: some Collection<Int>) {
        precondition(dimensions.count <= Shape.maxRank, "rank \(dimensions.count) exceeds \(Shape.maxRank)")
        precondition(dimensions.allSatisfy { $0 >= 0 }, "negative dimension in \(Array(dimensions))")
        extents = .init(repeating: 0)
        storedRank = dimensions.count
        for (axis, extent) in dimensions.enumerated() { extents[axis] = extent }
    }

    @inlinable
    public init(arrayLiteral elements: Int...) { self.init(elements) }

    /// The shape of a scalar (rank 0, one element).
    public static let scalar = Shape([Int]())

    @inlinable
    public subscript(axis: Int) -> Int {
        get {
            precondition(axis >= 0 && axis < rank, "axis \(axis) out of range for rank \(rank)")
            return extents[axis]
        }
        set {
            precondition(axis >= 0 && axis < rank, "axis \(axis) out of range for rank \(rank)")
            extents[axis] = newValue
        }
    }

    /// The number of elements: the product of the extents (1 for a scalar).
    @inlinable
    public var count: Int {
        var product = 1
        for axis in 0..<rank { product &*= extents[axis] }
        return product
    }

    /// The extents as an array.
    public var dimensions: [Int] { (0..<rank).map { extents[$0] } }

    /// The last extent, or 1 for a scalar.
    @inlinable public var last: Int { rank == 0 ? 1 : extents[rank - 1] }

    /// Resolves a possibly negative axis (`-1` is the last) to `0..<rank`.
    @inlinable
    public func normalized(axis: Int) -> Int {
        let resolved = axis < 0 ? axis + rank : axis
        precondition(resolved >= 0 && resolved < rank, "axis \(axis) out of range for rank \(rank)")
        return resolved
    }

    /// Row-major strides in elements.
    @inlinable
    public var strides: InlineArray<6, Int> {
        var result = InlineArray<6, Int>(repeating: 0)
        var stride = 1
        var axis = rank - 1
        while axis >= 0 {
            result[axis] = stride
            stride &*= extents[axis]
            axis -= 1
        }
        return result
    }

    /// The product of the extents before `axis` (rows) and from `axis` on (columns).
    @inlinable
    public func flattened(at axis: Int) -> (outer: Int, inner: Int) {
        var outer = 1
        var inner = 1
        for a in 0..<rank {
            if a < axis { outer &*= extents[a] } else { inner &*= extents[a] }
        }
        return (outer, inner)
    }

    public var description: String { "[" + dimensions.map(String.init).joined(separator: ", ") + "]" }

    public static func == (lhs: Shape, rhs: Shape) -> Bool {
        guard lhs.rank == rhs.rank else { return false }
        for axis in 0..<lhs.rank where lhs.extents[axis] != rhs.extents[axis] { return false }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(rank)
        for axis in 0..<rank { hasher.combine(extents[axis]) }
    }

    /// The shape both operands broadcast to (numpy rules), or nil if they are incompatible.
    public static func broadcast(_ a: Shape, _ b: Shape) -> Shape? {
        let rank = max(a.rank, b.rank)
        var result = Shape(onesOfRank: rank)
        for offset in 0..<rank {
            let da = offset < a.rank ? a.extents[a.rank - 1 - offset] : 1
            let db = offset < b.rank ? b.extents[b.rank - 1 - offset] : 1
            guard da == db || da == 1 || db == 1 else { return nil }
            result.extents[rank - 1 - offset] = da == 1 ? db : da
        }
        return result
    }
}

extension Shape: Codable {
    public init(from decoder: Decoder) throws {
        let dimensions = try [Int](from: decoder)
        guard dimensions.count <= Shape.maxRank, dimensions.allSatisfy({ $0 >= 0 }) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "a shape needs at most \(Shape.maxRank) non-negative extents, got \(dimensions)"))
        }
        self.init(dimensions)
    }

    public func encode(to encoder: Encoder) throws { try dimensions.encode(to: encoder) }
}
