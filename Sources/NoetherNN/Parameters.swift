import NoetherTensor
import OrderedCollections

/// A model's trainable values: an ordered map from PyTorch-style names (`layers.0.weight`) to
/// tensors, in the orientation PyTorch uses (`Linear.weight` is `[out, in]`).
///
/// A value: copies never share state, so a symmetry action is a function
/// `Parameters -> Parameters` and two models never alias.
public struct Parameters<Scalar: TensorScalar>: Sendable, Equatable {
    public var tensors: OrderedDictionary<String, Tensor<Scalar>>

    public init(_ tensors: OrderedDictionary<String, Tensor<Scalar>> = [:]) { self.tensors = tensors }

    /// The names, in order.
    public var names: [String] { Array(tensors.keys) }
    /// The number of named tensors.
    public var count: Int { tensors.count }
    /// The total number of scalars.
    public var scalarCount: Int { tensors.values.reduce(0) { $0 + $1.count } }

    public subscript(name: String) -> Tensor<Scalar>? {
        get { tensors[name] }
        set { tensors[name] = newValue }
    }

    /// The tensor at a position of the order.
    public subscript(position position: Int) -> Tensor<Scalar> {
        get { tensors.values[position] }
        set { tensors.values[position] = newValue }
    }

    /// The same names with each tensor transformed.
    public func mapTensors(_ transform: (String, Tensor<Scalar>) throws -> Tensor<Scalar>) rethrows -> Parameters {
        var result = self
        for (index, name) in tensors.keys.enumerated() {
            result.tensors.values[index] = try transform(name, tensors.values[index])
        }
        return result
    }

    /// The parameters converted to another precision.
    @inlinable
    public func converted<Other: TensorScalar>(to _: Other.Type) -> Parameters<Other> {
        Parameters<Other>(OrderedDictionary(uniqueKeysWithValues: tensors.map { ($0.key, Tensor<Other>($0.value)) }))
    }

    /// The Euclidean norm of all parameters together.
    @inlinable
    public func norm() -> Scalar { tensors.values.reduce(0) { $0 + $1.squaredNorm() }.squareRoot() }

    /// Whether every tensor is bit-for-bit identical to the other's.
    public func bitwiseEquals(_ other: Parameters) -> Bool {
        tensors.keys == other.tensors.keys && zip(tensors.values, other.tensors.values).allSatisfy { $0.bitwiseEquals($1) }
    }
}
