import NoetherTensor

/// A reverse-mode autodiff tape, built as operations run.
///
/// Record values with ``parameter(_:)`` or ``constant(_:)``, chain operations on the returned
/// ``Variable``s, call ``backward(from:)`` on a scalar, then read ``gradient(of:)`` for any
/// recorded value — parameters and intermediate activations alike. ``reset()`` clears the tape
/// for the next step and recycles its buffers, so a repeated step allocates nothing once warm.
///
/// Performance note: the operations are generic over the scalar type and called from other
/// modules, where they could not be specialised; each entry point therefore carries
/// `@_specialize` for `Float` and `Double`, which makes the generic entry jump to code compiled
/// for the concrete type (and its kernels inlined), so element loops never go through witness
/// tables. The tape's own bookkeeping (recording, reset, gradient look-up) carries it too:
/// unspecialised, each call asked the runtime for the metadata of `[Operation<Scalar>]` and its
/// kin, which was the largest overhead of a small model's step (E1's 20-32-1 net).
///
/// The bookkeeping arrays (not the index buffers) opt out of dynamic exclusivity checks: a tape
/// belongs to one thread at a time, and no method holds an access to one of them across a call
/// that could reach the same array; the checks (a runtime call per access) were ~4 % of a small
/// model's step.
public final class Tape<Scalar: TensorScalar> {
    @exclusivity(unchecked) var values: [Tensor<Scalar>] = []
    @exclusivity(unchecked) var operations: [Operation<Scalar>] = []
    @exclusivity(unchecked) var needsGradient: [Bool] = []
    @exclusivity(unchecked) var gradients: [Tensor<Scalar>?] = []
    /// Tensors an operation saved for its backward pass.
    @exclusivity(unchecked) var auxiliary: [Tensor<Scalar>] = []
    /// Integer buffers an operation saved (labels, argmax positions), reused by position.
    /// Checked: operations hold access to these inside closures, where an overlapping
    /// `indexBuffer(count:)` must trap rather than reallocate under a live pointer.
    var indexBuffers: [[Int32]] = []
    @exclusivity(unchecked) var indexCursor = 0
    let arena = BufferArena<Scalar>()

    /// When set, every matrix product the tape runs is appended to ``matrixProducts``: the
    /// GEMMs of a step, from which a benchmark measures the step's floor.
    public var recordsMatrixProducts = false
    public internal(set) var matrixProducts: [MatrixProductGeometry] = []

    public init() {}

    /// How many buffers the tape has had to allocate rather than recycle.
    public var freshAllocations: Int { arena.freshAllocations }

    /// The number of recorded values.
    public var count: Int { values.count }

    /// Clears the tape, keeping its buffers for reuse by the next, similar computation.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func reset() {
        values.removeAll(keepingCapacity: true)
        operations.removeAll(keepingCapacity: true)
        needsGradient.removeAll(keepingCapacity: true)
        gradients.removeAll(keepingCapacity: true)
        auxiliary.removeAll(keepingCapacity: true)
        matrixProducts.removeAll(keepingCapacity: true)
        indexCursor = 0
        arena.rewind()
    }

    /// Records a trainable value: gradients flow to it.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func parameter(_ value: Tensor<Scalar>) -> Variable<Scalar> {
        record(value, .leaf, needsGradient: true)
    }

    /// Records a value that gradients do not flow to (inputs, targets).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func constant(_ value: Tensor<Scalar>) -> Variable<Scalar> {
        record(value, .leaf, needsGradient: false)
    }

    /// Records a value, choosing whether gradients flow to it (e.g. ∂ℓ/∂x for an input).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func variable(_ value: Tensor<Scalar>, requiresGradient: Bool) -> Variable<Scalar> {
        record(value, .leaf, needsGradient: requiresGradient)
    }

    /// The value recorded at a variable.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func value(of variable: Variable<Scalar>) -> Tensor<Scalar> { values[variable.index] }

    /// The gradient of the last backward pass with respect to `variable`, or nil if it does not
    /// depend on a value that requires gradients (or no backward pass ran).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func gradient(of variable: Variable<Scalar>) -> Tensor<Scalar>? {
        variable.index < gradients.count ? gradients[variable.index] : nil
    }

    /// Drops the tape's references to its leaf values, so their owners can update them in place
    /// without a copy; gradients stay readable until ``reset()``.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func releaseLeaves() {
        for i in operations.indices {
            if case .leaf = operations[i] { values[i] = Tensor(shape: .scalar, storage: emptyStorage) }
        }
    }

    private let emptyStorage = TensorStorage<Scalar>(capacity: 1)

    // MARK: Recording

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func record(_ value: Tensor<Scalar>, _ operation: Operation<Scalar>, needsGradient: Bool) -> Variable<Scalar> {
        values.append(value)
        operations.append(operation)
        self.needsGradient.append(needsGradient)
        return Variable(tape: self, index: values.count - 1)
    }

    /// A buffer for an operation's output.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func output(_ shape: Shape) -> Tensor<Scalar> { arena.tensor(shape) }

    /// Saves a tensor for the backward pass; returns its position.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func save(_ tensor: Tensor<Scalar>) -> Int {
        auxiliary.append(tensor)
        return auxiliary.count - 1
    }

    /// An integer buffer of `count` entries, reused by position across steps.
    func indexBuffer(count: Int) -> Int {
        if indexCursor == indexBuffers.count { indexBuffers.append([]) }
        let slot = indexCursor
        indexCursor += 1
        if indexBuffers[slot].count != count {
            indexBuffers[slot] = [Int32](repeating: 0, count: count)
        }
        return slot
    }

    func requiresGradient(_ index: Int) -> Bool { needsGradient[index] }

    /// A gradient buffer, and whether it already holds a partial sum to add to.
    typealias GradientTarget = (pointer: UnsafeMutablePointer<Scalar>, accumulate: Bool)

    /// Where to write the gradient of value `index`: nil when it needs none; `accumulate` says
    /// whether the buffer already holds a partial sum to add to.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func gradientTarget(_ index: Int) -> GradientTarget? {
        guard needsGradient[index] else { return nil }
        if let existing = gradients[index] { return (existing.unsafeBaseAddress, true) }
        let buffer = arena.tensor(values[index].shape)
        gradients[index] = buffer
        return (buffer.unsafeBaseAddress, false)
    }

    /// Pointer access to a recorded value.
    @inline(__always)
    func pointer(_ index: Int) -> UnsafeMutablePointer<Scalar> { values[index].unsafeBaseAddress }

    @inline(__always)
    func auxiliaryPointer(_ index: Int) -> UnsafeMutablePointer<Scalar> { auxiliary[index].unsafeBaseAddress }

    /// Notes `count` products of one shape when products are being recorded (for kernels that
    /// run their products on several threads, where the tape cannot be touched).
    func noteProducts(_ count: Int, m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, cutAlongSharedRows: Bool = false) {
        guard recordsMatrixProducts else { return }
        var product = MatrixProductGeometry.unchecked(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
        product.cutAlongSharedRows = cutAlongSharedRows
        for _ in 0..<count { matrixProducts.append(product) }
    }

    /// `C (+)= op(A) · op(B)` through BLAS (in blocks independent of the thread count), noted when products are being recorded.
    func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        _ a: UnsafePointer<Scalar>, _ b: UnsafePointer<Scalar>, _ c: UnsafeMutablePointer<Scalar>,
        accumulate: Bool
    ) {
        if recordsMatrixProducts {
            matrixProducts.append(.unchecked(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB))
        }
        Kernels.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                     a, lda: transposeA ? m : k, b, ldb: transposeB ? k : n, c, ldc: n, accumulate: accumulate)
    }
}
