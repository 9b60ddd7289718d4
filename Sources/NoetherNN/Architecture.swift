import NoetherAutograd
import NoetherTensor

/// What a named parameter is for: decides its initialisation and which symmetries touch it.
public enum ParameterRole: String, Codable, Sendable {
    case weight, bias, normGain = "norm_gain", normBias = "norm_bias", gate
    /// Token embeddings, learned positions and class tokens: drawn N(0, σ²) with a fixed σ.
    case embedding
    /// BatchNorm's running statistics: state saved with the parameters, never trained.
    case runningMean = "running_mean", runningVariance = "running_variance"

    /// Whether an optimiser updates it (running statistics are moved by the forward pass instead).
    public var isTrainable: Bool { self != .runningMean && self != .runningVariance }
}

/// One named parameter of an architecture.
public struct ParameterDescriptor: Hashable, Sendable {
    public let name: String
    public let shape: Shape
    public let role: ParameterRole
    /// Inputs feeding each output unit (for initialisation scales).
    public let fanIn: Int
    /// The standard deviation it is drawn with when that does not follow from the fan-in (embeddings).
    public let fixedStandardDeviation: Double?

    public init(name: String, shape: Shape, role: ParameterRole, fanIn: Int, fixedStandardDeviation: Double? = nil) {
        (self.name, self.shape, self.role, self.fanIn, self.fixedStandardDeviation) = (name, shape, role, fanIn, fixedStandardDeviation)
    }
}

/// A model spec compiled once into its parameter layout, the forward steps of its layers and
/// what its layers state about their symmetries. Steps refer to parameters by position, so a
/// forward pass does no name lookups.
public struct Architecture: Sendable {
    public let spec: ModelSpec
    /// Every parameter, in the order of ``Parameters``.
    public let layout: [ParameterDescriptor]
    /// The names of the representations a forward pass can capture, in depth order.
    public let representationNames: [String]
    /// The slices each layer writes, reads and follows, for the symmetry catalogue.
    public let symmetryStructure: SymmetryStructure
    /// The shape of one input sample (inputs arrive flattened).
    public let inputShape: [Int]
    /// Outputs per row: classes, or regression targets.
    public let outputCount: Int
    /// Output rows per sample: 1, or the scored positions of a sequence model.
    public let outputsPerSample: Int
    /// When the inputs are token ids, their vocabulary (ids lie in `0..<vocabulary`).
    public let inputVocabulary: Int?
    let steps: [any CompiledLayer]

    /// Compiles `spec`, or explains why it cannot be built.
    public init(_ spec: ModelSpec) throws(ModelSpecError) {
        let graph = try spec.graph
        guard !graph.input.isEmpty, graph.input.allSatisfy({ $0 > 0 }) else {
            throw ModelSpecError("the model's input shape must be non-empty and positive, got \(graph.input)")
        }
        var builder = GraphBuilder(input: graph.input)
        if graph.input.count > 1 { builder.append(ReshapeStep(trailing: Shape(graph.input))) }
        for layer in graph.resolvedLayers { try builder.build(layer) }
        guard builder.shape.count == 1 else {
            throw ModelSpecError("the model ends with \(builder.shape) per sample; end it with a dense layer (after flatten, a pool or scored_positions)")
        }
        self.spec = spec
        layout = builder.layout
        representationNames = builder.representations
        steps = StepFusion.fuse(builder.steps)
        inputShape = graph.input
        outputCount = builder.shape[0]
        outputsPerSample = builder.outputsPerSample
        inputVocabulary = builder.inputVocabulary
        symmetryStructure = builder.finish()
    }

    /// The position of a parameter in the layout.
    public func position(of name: String) -> Int? { layout.firstIndex { $0.name == name } }

    /// The number of input features per sample.
    public var inputCount: Int { inputShape.reduce(1, *) }

    /// Random inputs `[samples, inputCount]`: token ids for a token model, N(0, 1) features otherwise.
    public func randomInputs<Scalar: TensorScalar>(_ samples: Int, using generator: inout RandomGenerator) -> Tensor<Scalar> {
        guard let vocabulary = inputVocabulary else { return .normal([samples, inputCount], using: &generator) }
        return Tensor(shape: [samples, inputCount], scalars: (0..<(samples * inputCount)).map { _ in Scalar(generator.index(below: vocabulary)) })
    }

    /// Runs the model on a batch of flattened inputs `[N, inputCount]` in evaluation mode.
    ///
    /// - Parameters:
    ///   - input: the batch, recorded on a tape.
    ///   - parameters: the parameters recorded on the same tape, in layout order.
    ///   - mode: how BatchNorm and dropout behave.
    ///   - capture: called with each representation's index (into ``representationNames``)
    ///     and value as the pass reaches it, e.g. to read ∂ℓ/∂h after the backward pass.
    /// - Returns: the outputs `[N · outputsPerSample, outputCount]` (logits or predictions).
    public func forward<Scalar: TensorScalar>(
        _ input: Variable<Scalar>, parameters: [Variable<Scalar>], mode: ForwardMode = .evaluation,
        capture: ((Int, Variable<Scalar>) -> Void)? = nil
    ) -> Variable<Scalar> {
        var pass = ForwardPass(parameters: parameters, mode: mode, capture: capture)
        return forward(input, pass: &pass)
    }

    /// Runs the model with an explicit pass (training mode, a dropout stream, BatchNorm statistics).
    public func forward<Scalar: TensorScalar>(_ input: Variable<Scalar>, pass: inout ForwardPass<Scalar>) -> Variable<Scalar> {
        precondition(pass.parameters.count == layout.count, "\(pass.parameters.count) parameters for a layout of \(layout.count)")
        return run(steps, input, &pass)
    }
}
