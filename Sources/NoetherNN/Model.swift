import NoetherAutograd
import NoetherTensor

/// A model: an architecture description and its parameters, both values.
public struct Model<Scalar: TensorScalar>: Sendable {
    public let architecture: Architecture
    public var parameters: Parameters<Scalar>

    public var spec: ModelSpec { architecture.spec }

    /// A model with freshly initialised parameters.
    public init(_ spec: ModelSpec, initializer: InitializerSpec = InitializerSpec(), generator: RandomGenerator) throws(ModelSpecError) {
        architecture = try Architecture(spec)
        parameters = initializer.initialize(architecture, using: generator)
    }

    /// A model with given parameters, which must match the architecture's layout exactly.
    public init(_ spec: ModelSpec, parameters: Parameters<Scalar>) throws(ModelSpecError) {
        architecture = try Architecture(spec)
        for descriptor in architecture.layout {
            guard let tensor = parameters[descriptor.name] else {
                throw ModelSpecError("parameter '\(descriptor.name)' is missing (expected shape \(descriptor.shape))")
            }
            guard tensor.shape == descriptor.shape else {
                throw ModelSpecError("parameter '\(descriptor.name)' has shape \(tensor.shape), the model expects \(descriptor.shape)")
            }
        }
        let expected = Set(architecture.layout.map(\.name))
        if let extra = parameters.names.first(where: { !expected.contains($0) }) {
            throw ModelSpecError("parameter '\(extra)' is not part of this \(spec.kindName) model")
        }
        // Keep the layout's order.
        var ordered = Parameters<Scalar>()
        for descriptor in architecture.layout { ordered[descriptor.name] = parameters[descriptor.name] }
        self.parameters = ordered
    }

    /// The outputs on a batch `[N, inputCount]`.
    public func callAsFunction(_ inputs: Tensor<Scalar>) -> Tensor<Scalar> {
        Self.predict(architecture: architecture, parameters: parameters, inputs: inputs, tape: Tape())
    }

    static func predict(architecture: Architecture, parameters: Parameters<Scalar>, inputs: Tensor<Scalar>, tape: Tape<Scalar>) -> Tensor<Scalar> {
        tape.reset()
        let bound = (0..<parameters.count).map { tape.constant(parameters[position: $0]) }
        let output = architecture.forward(tape.constant(inputs), parameters: bound).value
        tape.reset()
        return output
    }
}
