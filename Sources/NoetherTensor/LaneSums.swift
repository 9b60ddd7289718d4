/// Sums in eight lanes. A scalar `sum += x[i]` chain cannot vectorise (reassociating would
/// change its bits), so it waits on every add's latency; eight lanes over each run's full groups
/// of eight and one scalar over the rest is a fixed order too — the same bits on any thread,
/// for any split of the work that keeps the runs — and runs at the speed of the loads.
public struct LaneSum<T: TensorScalar> {
    @usableFromInline var lanes = SIMD8<T>()
    @usableFromInline var rest: T = 0

    @inlinable public init() {}

    /// The sum so far: the lanes added in `SIMD8.sum()`'s order, then the rest.
    @inlinable public var total: T { lanes.sum() + rest }

    /// Adds `f(i)` for `i` in `0..<count`, where `vector(i)` gives `f(i..<i+8)`.
    @inlinable @inline(__always)
    public mutating func add(count: Int, vector: (Int) -> SIMD8<T>, scalar: (Int) -> T) {
        var i = 0
        while i + 8 <= count {
            lanes += vector(i)
            i += 8
        }
        while i < count {
            rest += scalar(i)
            i += 1
        }
    }

    /// Adds `x[0..<count]`.
    @inlinable @inline(__always)
    public mutating func add(_ x: UnsafePointer<T>, count: Int) {
        add(count: count, vector: { Kernels.load8(x + $0) }, scalar: { x[$0] })
    }
}
