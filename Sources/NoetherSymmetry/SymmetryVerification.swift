import NoetherAutograd
import NoetherNN
import NoetherTensor

/// How well a group element leaves a model unchanged.
public struct VerificationResult: Sendable {
    public let spec: SymmetrySpec
    /// max |f(g·θ) − f(θ)| / max |f(θ)| over a batch of random inputs; for translations the
    /// change of the softmax probabilities instead (the logits themselves shift).
    public let residual: Double
    /// |L(g·θ) − L(θ)| / max(|L(θ)|, 1) for the model's loss on random targets.
    public let lossResidual: Double

    public func holds(tolerance: Double) -> Bool { residual < tolerance && lossResidual < tolerance }
}

extension SymmetrySpec {
    /// Applies a random group element and measures how much the outputs and loss change.
    ///
    /// - Parameters:
    ///   - model: the architecture and parameters (e.g. random ones).
    ///   - loss: the loss to check (translations need cross-entropy).
    ///   - samples: how many random inputs to compare on.
    public func verify<Scalar: TensorScalar>(
        on model: Model<Scalar>, loss: LossKind, samples: Int = 8, using generator: inout RandomGenerator
    ) -> VerificationResult {
        verify(element: randomElement(using: &generator), on: model, loss: loss, samples: samples, using: &generator)
    }

    /// Measures how much a given group element changes the outputs and loss.
    public func verify<Scalar: TensorScalar>(
        element: GroupElement, on model: Model<Scalar>, loss: LossKind, samples: Int = 8, using generator: inout RandomGenerator
    ) -> VerificationResult {
        let architecture = model.architecture
        let inputs: Tensor<Scalar> = architecture.randomInputs(samples, using: &generator)
        let (outputs, rows) = (architecture.outputCount, samples * architecture.outputsPerSample)
        let targets: Targets<Scalar> = loss == .crossEntropy
            ? .classes((0..<rows).map { _ in Int32(generator.index(below: outputs)) })
            : .values(Tensor.normal([rows, outputs], using: &generator))
        var moved = model
        moved.parameters = apply(element, to: model.parameters)
        // BatchNorm with the batch's statistics: its scale symmetries hold in train mode.
        let (before, after) = (Self.outputs(model, inputs), Self.outputs(moved, inputs))
        let compared = kind == .translation ? (before.softmax(), after.softmax()) : (before, after)
        let scale = Swift.max(Double(compared.0.map(.abs).max()), 1e-30)
        let residual = Double(compared.0.maxAbsoluteDifference(to: compared.1)) / scale
        let (lossBefore, lossAfter) = (Self.loss(model, inputs, targets, loss), Self.loss(moved, inputs, targets, loss))
        return VerificationResult(spec: self, residual: residual, lossResidual: abs(lossAfter - lossBefore) / Swift.max(abs(lossBefore), 1))
    }

    static func outputs<Scalar: TensorScalar>(_ model: Model<Scalar>, _ inputs: Tensor<Scalar>) -> Tensor<Scalar> {
        let tape = Tape<Scalar>()
        let bound = model.parameters.tensors.values.map { tape.constant($0) }
        return model.architecture.forward(tape.constant(inputs), parameters: Array(bound), mode: .batchStatistics).value
    }

    static func loss<Scalar: TensorScalar>(_ model: Model<Scalar>, _ inputs: Tensor<Scalar>, _ targets: Targets<Scalar>, _ kind: LossKind) -> Double {
        let tape = Tape<Scalar>()
        let bound = model.parameters.tensors.values.map { tape.constant($0) }
        let outputs = model.architecture.forward(tape.constant(inputs), parameters: Array(bound), mode: .batchStatistics)
        return Double(kind.apply(outputs, targets).value.scalar)
    }
}
