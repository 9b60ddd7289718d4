import NoetherAutograd
import NoetherTensor

/// A residual connection: `x + branch(x)`, or `shortcut(x) + branch(x)` when the shortcut
/// changes the shape (a ResNet's downsampling 1×1 convolution and BatchNorm).
///
/// Symmetry slices: the branch's output units join the stream's, so everything that writes
/// into or reads from the stream permutes together; reads inside the branch are inner to the
/// stream. `stream` names the stream in the catalogue (default `residual_stream`).
public struct ResidualLayer: LayerSpec {
    public static let kind = "residual"
    public var branch: [GraphLayer]
    public var shortcut: [GraphLayer]?
    public var stream: String?

    public init(branch: [GraphLayer], shortcut: [GraphLayer]? = nil, stream: String? = nil) {
        (self.branch, self.shortcut, self.stream) = (branch, shortcut, stream)
    }

    public func build(into graph: inout GraphBuilder) throws(ModelSpecError) {
        guard !branch.isEmpty else { throw ModelSpecError("residual '\(graph.name)' has an empty branch") }
        let name = graph.name
        let steps = try graph.residual(branch: branch.named(prefix: "\(name).branch"), shortcut: shortcut?.named(prefix: "\(name).shortcut"),
                                       stream: stream ?? "residual_stream")
        graph.append(ResidualStep(branch: steps.branch, shortcut: steps.shortcut))
    }
}

struct ResidualStep: CompiledLayer {
    let branch: [any CompiledLayer]
    let shortcut: [any CompiledLayer]?

    func forward<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ pass: inout ForwardPass<Scalar>) -> Variable<Scalar> {
        let base = shortcut.map { run($0, x, &pass) } ?? x
        return base + run(branch, x, &pass)
    }
}
