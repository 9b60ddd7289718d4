import NoetherAutograd
import NoetherNN
import NoetherTensor

/// The loss of a model on a fixed batch as a function of its parameters, with its gradient:
/// what Hessian–vector products, mirror stability and reduced models differentiate.
public struct LossFunction<Scalar: TensorScalar> {
    public let architecture: Architecture
    public let loss: LossKind
    public let inputs: Tensor<Scalar>
    public let targets: Targets<Scalar>
    /// The parameter names, in the order the tensor lists use.
    public var names: [String] { architecture.layout.map(\.name) }

    public init(architecture: Architecture, loss: LossKind, inputs: Tensor<Scalar>, targets: Targets<Scalar>) {
        (self.architecture, self.loss, self.inputs, self.targets) = (architecture, loss, inputs, targets)
    }

    /// ℓ(θ) and ∇ℓ(θ) (without weight decay), parameters in layout order.
    public func valueAndGradient(_ point: [Tensor<Scalar>]) -> (Scalar, [Tensor<Scalar>]) {
        let tape = Tape<Scalar>()
        let bound = point.map { tape.parameter($0) }
        let value = loss.apply(architecture.forward(tape.constant(inputs), parameters: bound), targets)
        tape.backward(from: value)
        return (value.value.scalar, bound.map { tape.gradient(of: $0) ?? Tensor.zeros($0.shape) })
    }

    /// ∇ℓ(θ) + γθ: the gradient of L_γ = ℓ + (γ/2)‖θ‖².
    public func gradient(_ point: [Tensor<Scalar>], weightDecay: Scalar = 0) -> [Tensor<Scalar>] {
        let (_, g) = valueAndGradient(point)
        return weightDecay == 0 ? g : zip(g, point).map { $0 + $1 * weightDecay }
    }

    /// The parameters as a list in layout order.
    public func point(_ parameters: Parameters<Scalar>) -> [Tensor<Scalar>] {
        names.map { parameters[$0] ?? Tensor.zeros([0]) }
    }
}
