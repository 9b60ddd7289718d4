import NoetherAutograd
import NoetherTensor

/// The training objective.
public enum LossKind: String, Codable, Sendable {
    /// Mean squared error over all outputs (PyTorch's `MSELoss()`).
    case mse
    /// Mean cross-entropy of logits against class labels (PyTorch's `CrossEntropyLoss()`).
    case crossEntropy = "cross_entropy"
}

/// What a batch is trained towards: class labels or real-valued targets.
public enum Targets<Scalar: TensorScalar>: Sendable {
    case classes([Int32])
    case values(Tensor<Scalar>)

    /// The number of samples.
    public var count: Int {
        switch self {
        case .classes(let labels): labels.count
        case .values(let tensor): tensor.rank == 0 ? 1 : tensor.shape[0]
        }
    }
}

extension LossKind {
    /// Records the loss of `outputs` against `targets` on the outputs' tape.
    public func apply<Scalar>(_ outputs: Variable<Scalar>, _ targets: Targets<Scalar>) -> Variable<Scalar> {
        switch (self, targets) {
        case (.crossEntropy, .classes(let labels)):
            return outputs.crossEntropy(labels: labels)
        case (.mse, .values(let values)):
            return outputs.meanSquaredError(to: outputs.tape.constant(values))
        case (.mse, .classes(let labels)):
            // Regression onto one-hot codes, a common baseline for classification.
            let classes = outputs.shape.last
            var oneHot = Tensor<Scalar>.zeros([labels.count, classes])
            oneHot.withUnsafeMutableBufferPointer { buffer in
                for (row, label) in labels.enumerated() { buffer[row * classes + Int(label)] = 1 }
            }
            return outputs.meanSquaredError(to: outputs.tape.constant(oneHot))
        case (.crossEntropy, .values):
            preconditionFailure("cross-entropy needs class labels; validate the data against the loss first")
        }
    }
}
