import NoetherAutograd
import NoetherTensor

/// Flattens each sample to one axis (PyTorch's `nn.Flatten`). Channel maps keep their channels'
/// symmetries: each channel then owns a block of H·W features.
public struct FlattenLayer: LayerSpec {
    public static let kind = "flatten"

    public init() {}

    public func build(into graph: inout GraphBuilder) throws(ModelSpecError) {
        let count = graph.shape.reduce(1, *)
        graph.append(ReshapeStep(trailing: [count]))
        graph.flattenChannels()
    }
}

/// Turns `[C, H, W]` maps into `H·W` tokens of width C (a ViT's patch embedding after its
/// strided convolution): the channels become the token features.
public struct ToTokensLayer: LayerSpec {
    public static let kind = "to_tokens"

    public init() {}

    public func build(into graph: inout GraphBuilder) throws(ModelSpecError) {
        guard graph.shape.count == 3 else {
            throw ModelSpecError("to_tokens '\(graph.name)' needs [channels, height, width] per sample, got \(graph.shape)")
        }
        graph.append(ToTokensStep())
        graph.reshape(to: [graph.shape[1] * graph.shape[2], graph.shape[0]])
    }
}

struct ToTokensStep: CompiledLayer {
    func forward<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ pass: inout ForwardPass<Scalar>) -> Variable<Scalar> {
        let (n, c) = (x.shape[0], x.shape[1])
        return x.reshaped([n, c, x.shape.count / max(n * c, 1)]).permuted([0, 2, 1])
    }
}

/// The mean over tokens: `[S, D]` → `[D]`.
public struct MeanPoolLayer: LayerSpec {
    public static let kind = "mean_pool"

    public init() {}

    public func build(into graph: inout GraphBuilder) throws(ModelSpecError) {
        guard graph.shape.count == 2 else { throw ModelSpecError("mean_pool '\(graph.name)' needs [tokens, width] per sample, got \(graph.shape)") }
        graph.append(MeanPoolStep())
        graph.reshape(to: [graph.shape[1]])
    }
}

struct MeanPoolStep: CompiledLayer {
    func forward<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ pass: inout ForwardPass<Scalar>) -> Variable<Scalar> { x.mean(alongAxis: 1) }
}

/// One token of each sequence: `[S, D]` → `[D]` (a ViT's class token, `index` 0).
public struct SelectTokenLayer: LayerSpec {
    public static let kind = "select_token"
    public var index: Int

    public init(index: Int = 0) { self.index = index }

    public init(from decoder: Decoder) throws {
        self.init(index: try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(Int.self, forKey: .index) ?? 0)
    }

    public func build(into graph: inout GraphBuilder) throws(ModelSpecError) {
        guard graph.shape.count == 2, (0..<graph.shape[0]).contains(index) else {
            throw ModelSpecError("select_token '\(graph.name)': token \(index) of \(graph.shape) per sample does not exist")
        }
        graph.append(SelectTokenStep(index: index))
        graph.reshape(to: [graph.shape[1]])
    }
}

struct SelectTokenStep: CompiledLayer {
    let index: Int
    func forward<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ pass: inout ForwardPass<Scalar>) -> Variable<Scalar> {
        x.slice(alongAxis: 1, index..<(index + 1)).reshaped([x.shape[0], x.shape[2]])
    }
}

/// The outputs at the scored positions of each sequence, one row per position: `[S, C]` →
/// `[N·P, C]` rows for the cross-entropy against P labels per sample (next-token prediction
/// scores every position, an answer task the last).
public struct ScoredPositionsLayer: LayerSpec {
    public static let kind = "scored_positions"
    /// The first scored position and how many follow it; nil count: to the end.
    public var from: Int
    public var count: Int?

    public init(from: Int = 0, count: Int? = nil) { (self.from, self.count) = (from, count) }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(from: try c.decodeIfPresent(Int.self, forKey: .from) ?? 0, count: try c.decodeIfPresent(Int.self, forKey: .count))
    }

    public func build(into graph: inout GraphBuilder) throws(ModelSpecError) {
        guard graph.shape.count == 2 else {
            throw ModelSpecError("scored_positions '\(graph.name)' needs [tokens, classes] per sample, got \(graph.shape)")
        }
        let length = graph.shape[0]
        let positions = from..<(from + (count ?? (length - from)))
        guard from >= 0, !positions.isEmpty, positions.upperBound <= length else {
            throw ModelSpecError("scored_positions '\(graph.name)': positions \(positions) do not lie in a sequence of \(length)")
        }
        graph.append(ScoredPositionsStep(positions: positions))
        graph.scorePositions(positions.count)
        graph.reshape(to: [graph.shape[1]])
    }
}

struct ScoredPositionsStep: CompiledLayer {
    let positions: Range<Int>
    func forward<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ pass: inout ForwardPass<Scalar>) -> Variable<Scalar> {
        let kept = positions == 0..<x.shape[1] ? x : x.slice(alongAxis: 1, positions)
        return kept.reshaped([x.shape[0] * positions.count, x.shape[2]])
    }
}
