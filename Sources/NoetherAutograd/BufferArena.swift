import NoetherTensor

/// Recycles tensor buffers between repetitions of the same computation.
///
/// A training step asks for the same sequence of buffer sizes every time. The arena remembers
/// the buffer it handed out at each position of that sequence; on the next repetition it hands
/// the same buffer out again if nothing outside the arena still holds it and it is large enough
/// (it may be larger than asked: a tensor's storage may exceed its shape). In the steady state a
/// step therefore allocates nothing, and a tensor the caller kept is never overwritten.
public final class BufferArena<Scalar: TensorScalar> {
    // Unchecked exclusivity, as the tape's arrays (see `Tape`): one owner thread, no re-entry.
    @exclusivity(unchecked) private var slots: [TensorStorage<Scalar>] = []
    @exclusivity(unchecked) private var cursor = 0
    /// How many buffers the arena had to allocate (rather than reuse) since it was made.
    public private(set) var freshAllocations = 0

    public init() {}

    /// A tensor of `shape` with unspecified contents.
    public func tensor(_ shape: Shape) -> Tensor<Scalar> {
        let count = shape.count
        defer { cursor += 1 }
        if cursor < slots.count {
            // A larger buffer serves too: evaluation alternates between the training set's and
            // the test set's row counts on one tape, and an exact-size rule made every one of
            // those calls allocate (and page-fault in) fresh buffers.
            if slots[cursor].capacity >= count, isKnownUniquelyReferenced(&slots[cursor]) {
                return Tensor(shape: shape, storage: slots[cursor])
            }
            freshAllocations += 1
            slots[cursor] = TensorStorage(capacity: count)
            return Tensor(shape: shape, storage: slots[cursor])
        }
        freshAllocations += 1
        slots.append(TensorStorage(capacity: count))
        return Tensor(shape: shape, storage: slots[cursor])
    }

    /// Starts a new repetition: buffers are handed out again from the first position.
    public func rewind() { cursor = 0 }

    /// Forgets every buffer.
    public func removeAll() {
        slots.removeAll()
        cursor = 0
    }
}
