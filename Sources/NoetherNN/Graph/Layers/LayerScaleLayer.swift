import NoetherAutograd
import NoetherTensor

/// A learned per-feature scale y = γ ⊙ x (CaiT's LayerScale: `gamma` `[D]`, starting at 1),
/// usually at the end of a residual branch.
///
/// Symmetry slices: γ follows its units under permutation; scaling each unit on its own, it
/// keeps per-unit rescaling and sign flips but no rotation.
public struct LayerScaleLayer: LayerSpec {
    public static let kind = "layer_scale"

    public init() {}

    public func build(into graph: inout GraphBuilder) throws(ModelSpecError) {
        guard graph.shape.count <= 2 else { throw ModelSpecError("layer_scale '\(graph.name)' scales features or tokens, got \(graph.shape) per sample") }
        let gamma = graph.parameter("gamma", shape: [graph.units], role: .gate, fanIn: graph.units)
        graph.append(LayerScaleStep(gamma: gamma))
        graph.follow("gamma", axis: 0)
        graph.applyElementwise([.permutation, .positiveScaling, .signFlip])
    }
}

struct LayerScaleStep: CompiledLayer {
    let gamma: Int

    func forward<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ pass: inout ForwardPass<Scalar>) -> Variable<Scalar> { x * pass[gamma] }
}
