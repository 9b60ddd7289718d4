import NoetherAutograd
import NoetherTensor

/// Inverted dropout (PyTorch's `nn.Dropout`), seeded: the mask comes from the forward pass's
/// dropout stream, which the trainer derives from the run's seed and step. The identity in
/// evaluation, so it has every symmetry.
public struct DropoutLayer: LayerSpec {
    public static let kind = "dropout"
    public var probability: Double

    public init(probability: Double) { self.probability = probability }

    public func build(into graph: inout GraphBuilder) throws(ModelSpecError) {
        guard probability >= 0, probability < 1 else {
            throw ModelSpecError("dropout '\(graph.name)': probability must be in [0, 1), got \(probability)")
        }
        graph.append(DropoutStep(probability: probability))
    }
}

struct DropoutStep: CompiledLayer {
    let probability: Double

    func forward<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ pass: inout ForwardPass<Scalar>) -> Variable<Scalar> {
        guard pass.mode == .training, probability > 0 else { return x }
        return x.dropout(probability: probability, training: true, using: &pass.dropout)
    }
}
