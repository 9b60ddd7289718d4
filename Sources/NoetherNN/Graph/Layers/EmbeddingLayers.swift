import NoetherAutograd
import NoetherTensor

/// A token embedding (PyTorch's `nn.Embedding`: `weight` `[vocabulary, width]`, drawn
/// N(0, 1)): integer ids `[S]` → `[S, width]`. Its columns write the stream's units.
public struct EmbeddingLayer: LayerSpec {
    public static let kind = "embedding"
    public var vocabulary: Int
    public var width: Int

    public init(vocabulary: Int, width: Int) { (self.vocabulary, self.width) = (vocabulary, width) }

    public func build(into graph: inout GraphBuilder) throws(ModelSpecError) {
        guard vocabulary > 0, width > 0 else { throw ModelSpecError("embedding '\(graph.name)': vocabulary and width must be positive") }
        guard graph.shape.count == 1 else { throw ModelSpecError("embedding '\(graph.name)' needs token ids [S] per sample, got \(graph.shape)") }
        graph.readTokens(vocabulary: vocabulary)
        let table = graph.parameter("weight", shape: [vocabulary, width], role: .embedding, fanIn: 1, standardDeviation: 1)
        graph.append(EmbeddingStep(table: table))
        graph.writeNewUnits(width, by: [GraphBuilder.Writer("weight", axis: 1, isTranslatable: false)])
        graph.reshape(to: [graph.shape[0], width])
    }
}

struct EmbeddingStep: CompiledLayer {
    let table: Int
    func forward<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ pass: inout ForwardPass<Scalar>) -> Variable<Scalar> {
        x.embeddingLookup(in: pass[table])
    }
}

/// The output head tied to a token embedding: logits = h Eᵀ with E the embedding `embedding`
/// names (GPT-2's and many small LMs' weight tying). It reads the stream through the same
/// columns the embedding writes, so the stream keeps only orthogonal symmetries.
public struct TiedOutputLayer: LayerSpec {
    public static let kind = "tied_output"
    /// The name of the embedding layer.
    public var embedding: String

    public init(embedding: String) { self.embedding = embedding }

    public func build(into graph: inout GraphBuilder) throws(ModelSpecError) {
        let name = "\(embedding).weight"
        guard let table = graph.layout.firstIndex(where: { $0.name == name && $0.role == .embedding }) else {
            throw ModelSpecError("tied_output '\(graph.name)': no embedding layer named '\(embedding)' before it")
        }
        let shape = graph.layout[table].shape
        guard graph.units == shape[1] else {
            throw ModelSpecError("tied_output '\(graph.name)': the stream is \(graph.units) wide but '\(embedding)' is \(shape[1])")
        }
        graph.append(TiedOutputStep(table: table))
        graph.read(fullName: name, axis: 1)
        graph.writeNewUnits(shape[0], by: [GraphBuilder.Writer(fullName: name, axis: 0, isTranslatable: false)])
        graph.reshape(to: Array(graph.shape.dropLast()) + [shape[0]])
    }
}

struct TiedOutputStep: CompiledLayer {
    let table: Int
    func forward<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ pass: inout ForwardPass<Scalar>) -> Variable<Scalar> {
        x.linear(weight: pass[table])
    }
}

/// Learned absolute positions added to `[S, D]` tokens (`weight` `[S, D]`, drawn N(0, 0.02²)).
public struct LearnedPositionsLayer: LayerSpec {
    public static let kind = "learned_positions"

    public init() {}

    public func build(into graph: inout GraphBuilder) throws(ModelSpecError) {
        guard graph.shape.count == 2 else { throw ModelSpecError("learned_positions '\(graph.name)' needs [tokens, width] per sample, got \(graph.shape)") }
        let table = graph.parameter("weight", shape: [graph.shape[0], graph.shape[1]], role: .embedding, fanIn: 1, standardDeviation: 0.02)
        graph.append(AddParameterStep(parameter: table))
        graph.writeIntoCurrentUnits(by: [GraphBuilder.Writer("weight", axis: 1, isTranslatable: false)])
    }
}

struct AddParameterStep: CompiledLayer {
    let parameter: Int
    func forward<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ pass: inout ForwardPass<Scalar>) -> Variable<Scalar> { x + pass[parameter] }
}

/// A learned class token put before the tokens (`token` `[1, 1, D]`, timm's `cls_token`):
/// `[S, D]` → `[S + 1, D]`.
public struct ClassTokenLayer: LayerSpec {
    public static let kind = "class_token"

    public init() {}

    public func build(into graph: inout GraphBuilder) throws(ModelSpecError) {
        guard graph.shape.count == 2 else { throw ModelSpecError("class_token '\(graph.name)' needs [tokens, width] per sample, got \(graph.shape)") }
        let width = graph.shape[1]
        let token = graph.parameter("token", shape: [1, 1, width], role: .embedding, fanIn: 1, standardDeviation: 0.02)
        graph.append(ClassTokenStep(token: token))
        graph.writeIntoCurrentUnits(by: [GraphBuilder.Writer("token", axis: 2, isTranslatable: false)])
        graph.reshape(to: [graph.shape[0] + 1, width])
    }
}

struct ClassTokenStep: CompiledLayer {
    let token: Int
    func forward<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ pass: inout ForwardPass<Scalar>) -> Variable<Scalar> {
        let (n, width) = (x.shape[0], x.shape[2])
        let tokens = x.tape.constant(Tensor<Scalar>.zeros([n, 1, width])) + pass[token]
        return tokens.concatenated(with: x, alongAxis: 1)
    }
}
