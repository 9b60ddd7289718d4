import NoetherAutograd
import NoetherTensor

/// Max pooling over `window`×`window` patches of `[C, H, W]` maps (stride = window by default).
/// It commutes with permutations and positive rescaling of channels, not with sign flips.
public struct MaxPoolLayer: LayerSpec {
    public static let kind = "max_pool"
    public var window: Int
    public var stride: Int?

    public init(window: Int = 2, stride: Int? = nil) { (self.window, self.stride) = (window, stride) }

    public func build(into graph: inout GraphBuilder) throws(ModelSpecError) {
        try PoolGeometry.apply(window: window, stride: stride, kind: Self.kind, to: &graph)
        graph.append(PoolStep(maximum: true, window: window, stride: stride))
        graph.applyElementwise([.permutation, .positiveScaling])
    }
}

/// Average pooling over `window`×`window` patches: linear in each channel, so every symmetry
/// of the channels survives it.
public struct AveragePoolLayer: LayerSpec {
    public static let kind = "avg_pool"
    public var window: Int
    public var stride: Int?

    public init(window: Int = 2, stride: Int? = nil) { (self.window, self.stride) = (window, stride) }

    public func build(into graph: inout GraphBuilder) throws(ModelSpecError) {
        try PoolGeometry.apply(window: window, stride: stride, kind: Self.kind, to: &graph)
        graph.append(PoolStep(maximum: false, window: window, stride: stride))
    }
}

/// The mean of each channel over its map: `[C, H, W]` → `[C]` (PyTorch's
/// `AdaptiveAvgPool2d(1)` then `flatten`). Linear per channel.
public struct GlobalAveragePoolLayer: LayerSpec {
    public static let kind = "global_avg_pool"

    public init() {}

    public func build(into graph: inout GraphBuilder) throws(ModelSpecError) {
        guard graph.shape.count == 3 else {
            throw ModelSpecError("global_avg_pool '\(graph.name)' needs [channels, height, width] per sample, got \(graph.shape)")
        }
        graph.append(GlobalAveragePoolStep())
        graph.reshape(to: [graph.shape[0]])
    }
}

enum PoolGeometry {
    static func apply(window: Int, stride: Int?, kind: String, to graph: inout GraphBuilder) throws(ModelSpecError) {
        guard graph.shape.count == 3 else {
            throw ModelSpecError("\(kind) '\(graph.name)' needs [channels, height, width] per sample, got \(graph.shape)")
        }
        let step = stride ?? window
        let (height, width) = (graph.shape[1], graph.shape[2])
        guard window >= 1, step >= 1, window <= height, window <= width else {
            throw ModelSpecError("\(kind) '\(graph.name)': pool window \(window) does not fit a \(height)×\(width) feature map")
        }
        graph.reshape(to: [graph.shape[0], (height - window) / step + 1, (width - window) / step + 1])
    }
}

struct PoolStep: CompiledLayer {
    let maximum: Bool, window: Int, stride: Int?

    func forward<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ pass: inout ForwardPass<Scalar>) -> Variable<Scalar> {
        maximum ? x.maxPool2d(window: window, stride: stride) : x.avgPool2d(window: window, stride: stride)
    }
}

struct GlobalAveragePoolStep: CompiledLayer {
    func forward<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ pass: inout ForwardPass<Scalar>) -> Variable<Scalar> {
        let (n, c) = (x.shape[0], x.shape[1])
        return x.reshaped([n, c, x.shape.count / max(n * c, 1)]).mean(alongAxis: 2)
    }
}
