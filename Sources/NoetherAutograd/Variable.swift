import NoetherTensor

/// A value recorded on a ``Tape``: the handle through which operations are chained and
/// gradients are read.
public struct Variable<Scalar: TensorScalar> {
    public unowned let tape: Tape<Scalar>
    /// The position of the value on its tape.
    public let index: Int

    init(tape: Tape<Scalar>, index: Int) {
        self.tape = tape
        self.index = index
    }

    /// The recorded value.
    public var value: Tensor<Scalar> { tape.values[index] }
    public var shape: Shape { tape.values[index].shape }
    /// The gradient of the last ``Tape/backward(from:)`` with respect to this value, if computed.
    public var gradient: Tensor<Scalar>? { tape.gradient(of: self) }
}
