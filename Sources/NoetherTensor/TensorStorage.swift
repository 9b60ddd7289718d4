/// A fixed-capacity, 64-byte-aligned buffer of scalars shared by tensors until one of them
/// writes (copy on write).
public final class TensorStorage<Scalar: TensorScalar>: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Scalar>
    public let capacity: Int

    /// Allocates uninitialised memory for `capacity` scalars.
    public init(capacity: Int) {
        self.capacity = capacity
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(capacity, 1) * MemoryLayout<Scalar>.stride, alignment: 64)
        base = raw.bindMemory(to: Scalar.self, capacity: max(capacity, 1))
    }

    deinit { UnsafeMutableRawPointer(base).deallocate() }
}
