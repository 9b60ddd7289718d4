import NoetherTensor

/// What a named parameter is for: decides its initialisation and which symmetries touch it.
public enum ParameterRole: String, Codable, Sendable {
    case weight, bias, normGain = "norm_gain", normBias = "norm_bias", gate
}

/// One named parameter of an architecture.
public struct ParameterDescriptor: Hashable, Sendable {
    public let name: String
    public let shape: Shape
    public let role: ParameterRole
    /// Inputs feeding each output unit (for initialisation scales).
    public let fanIn: Int
}

/// A model spec compiled once into its parameter layout and the sequence of blocks its forward
/// pass runs; blocks refer to parameters by position, so a forward pass does no name lookups.
public struct Architecture: Sendable {
    public let spec: ModelSpec
    /// Every parameter, in the order of ``Parameters``.
    public let layout: [ParameterDescriptor]
    /// The names of the representations a forward pass can capture, in depth order.
    public let representationNames: [String]
    let blocks: [Block]

    /// Compiles `spec`, or explains why it cannot be built.
    public init(_ spec: ModelSpec) throws(ModelSpecError) {
        var builder = Builder()
        switch spec {
        case .mlp(let s): try builder.buildMLP(s)
        case .deepLinear(let s):
            try builder.buildMLP(MLPSpec(input: s.input, hidden: s.hidden, output: s.output, activation: .identity, bias: false))
        case .cnn(let s): try builder.buildCNN(s)
        case .transformer(let s): try builder.buildTransformer(s)
        }
        self.spec = spec
        layout = builder.layout
        blocks = builder.blocks
        representationNames = builder.representations
    }

    /// The position of a parameter in the layout.
    public func position(of name: String) -> Int? { layout.firstIndex { $0.name == name } }
}

/// The attention block's parameters, by position.
struct EncoderBlockLayout: Sendable {
    var query = 0, queryBias = 0, key = 0, keyBias = 0, value = 0, valueBias = 0, out = 0, outBias = 0
    var norm1Gain = 0, norm1Bias = 0, feedForward1 = 0, feedForward1Bias = 0
    var feedForward2 = 0, feedForward2Bias = 0, norm2Gain = 0, norm2Bias = 0
    var heads = 1, width = 1, activation = UnaryFunction.gelu, epsilon = 1e-5
    /// [N, S, H, Dh] ↔ [N, H, S, Dh].
    let splitHeads = AxisPermutation([0, 2, 1, 3])
}

enum Block: Sendable {
    /// y = v ⊙ (W x) + b with an optional DCS gate v (a scalar or one per output).
    case linear(weight: Int, bias: Int?, gate: Int?)
    case activation(UnaryFunction)
    /// h + σ(v ⊙ (W h) + b)
    case residual(weight: Int, bias: Int?, gate: Int?, activation: UnaryFunction)
    case convolution(weight: Int, bias: Int?, stride: Int, padding: Int)
    case pool(maximum: Bool, window: Int)
    /// Reshapes each sample to `trailing`, keeping the batch axis.
    case reshape(trailing: Shape)
    case encoder(EncoderBlockLayout)
    case meanOverTokens
    /// Marks the current value as representation number `index`.
    case capture(Int)
}

private struct Builder {
    var layout: [ParameterDescriptor] = []
    var blocks: [Block] = []
    var representations: [String] = []

    mutating func add(_ name: String, _ shape: Shape, _ role: ParameterRole, fanIn: Int) -> Int {
        layout.append(ParameterDescriptor(name: name, shape: shape, role: role, fanIn: fanIn))
        return layout.count - 1
    }

    mutating func capture(_ name: String) {
        representations.append(name)
        blocks.append(.capture(representations.count - 1))
    }

    static func requirePositive(_ values: [Int], _ what: String) throws(ModelSpecError) {
        guard values.allSatisfy({ $0 > 0 }) else { throw ModelSpecError("\(what) must be positive, got \(values)") }
    }

    /// Dense layers `layers.{i}` from `input` through `hidden` to `output`.
    mutating func buildDense(prefix: String, input: Int, hidden: [Int], output: Int, activation: UnaryFunction,
                             bias: Bool, residual: Bool, gates: Gates = .none) {
        var width = input
        for (i, next) in (hidden + [output]).enumerated() {
            let name = "\(prefix).\(i)"
            let w = add("\(name).weight", [next, width], .weight, fanIn: width)
            let b = bias ? add("\(name).bias", [next], .bias, fanIn: width) : nil
            let g: Int? = switch gates {
            case .none: nil
            case .layer: add("\(name).gate", [1], .gate, fanIn: width)
            case .neuron: add("\(name).gate", [next], .gate, fanIn: width)
            }
            if i < hidden.count {
                if residual && next == width {
                    blocks.append(.residual(weight: w, bias: b, gate: g, activation: activation))
                } else {
                    blocks.append(.linear(weight: w, bias: b, gate: g))
                    blocks.append(.activation(activation))
                }
            } else {
                blocks.append(.linear(weight: w, bias: b, gate: g))
            }
            capture(name)
            width = next
        }
    }

    mutating func buildMLP(_ s: MLPSpec) throws(ModelSpecError) {
        try Self.requirePositive([s.input, s.output] + s.hidden, "mlp input, hidden and output sizes")
        buildDense(prefix: "layers", input: s.input, hidden: s.hidden, output: s.output,
                   activation: s.activation.function(leakySlope: s.leakySlope), bias: s.bias, residual: s.residual,
                   gates: s.gates)
    }

    mutating func buildCNN(_ s: CNNSpec) throws(ModelSpecError) {
        guard s.inputShape.count == 3 else {
            throw ModelSpecError("cnn input_shape must be [channels, height, width], got \(s.inputShape)")
        }
        try Self.requirePositive(s.inputShape + [s.output] + s.hidden, "cnn input_shape, hidden and output sizes")
        guard !s.convolutions.isEmpty else { throw ModelSpecError("a cnn needs at least one entry in convolutions") }
        let activation = s.activation.function(leakySlope: s.leakySlope)
        var (channels, height, width) = (s.inputShape[0], s.inputShape[1], s.inputShape[2])
        blocks.append(.reshape(trailing: Shape(s.inputShape)))
        for (i, conv) in s.convolutions.enumerated() {
            try Self.requirePositive([conv.channels, conv.kernel, conv.stride], "convolutions[\(i)] channels, kernel and stride")
            guard conv.padding >= 0 else { throw ModelSpecError("convolutions[\(i)].padding must be ≥ 0") }
            let fanIn = channels * conv.kernel * conv.kernel
            let w = add("convs.\(i).weight", [conv.channels, channels, conv.kernel, conv.kernel], .weight, fanIn: fanIn)
            let b = s.bias ? add("convs.\(i).bias", [conv.channels], .bias, fanIn: fanIn) : nil
            // Checked before dividing: Swift's division rounds towards zero, which would let a
            // kernel larger than the padded map through as a 1×1 output.
            guard conv.kernel <= height + 2 * conv.padding, conv.kernel <= width + 2 * conv.padding else {
                throw ModelSpecError("convolutions[\(i)]: a \(conv.kernel)×\(conv.kernel) kernel does not fit the \(height)×\(width) feature map with padding \(conv.padding)")
            }
            height = (height + 2 * conv.padding - conv.kernel) / conv.stride + 1
            width = (width + 2 * conv.padding - conv.kernel) / conv.stride + 1
            blocks.append(.convolution(weight: w, bias: b, stride: conv.stride, padding: conv.padding))
            blocks.append(.activation(activation))
            if conv.pool != .none {
                guard conv.poolWindow >= 1, conv.poolWindow <= height, conv.poolWindow <= width else {
                    throw ModelSpecError("convolutions[\(i)]: pool window \(conv.poolWindow) does not fit a \(height)×\(width) feature map")
                }
                blocks.append(.pool(maximum: conv.pool == .max, window: conv.poolWindow))
                height = (height - conv.poolWindow) / conv.poolWindow + 1
                width = (width - conv.poolWindow) / conv.poolWindow + 1
            }
            channels = conv.channels
            capture("convs.\(i)")
        }
        blocks.append(.reshape(trailing: [channels * height * width]))
        buildDense(prefix: "layers", input: channels * height * width, hidden: s.hidden, output: s.output,
                   activation: activation, bias: s.bias, residual: false)
    }

    mutating func buildTransformer(_ s: TransformerSpec) throws(ModelSpecError) {
        try Self.requirePositive([s.sequenceLength, s.tokenDimension, s.width, s.heads, s.depth, s.feedForward, s.output],
                                 "transformer sizes")
        guard s.width % s.heads == 0 else {
            throw ModelSpecError("transformer width \(s.width) is not divisible by heads \(s.heads)")
        }
        let d = s.width
        blocks.append(.reshape(trailing: [s.sequenceLength, s.tokenDimension]))
        let embed = add("embed.weight", [d, s.tokenDimension], .weight, fanIn: s.tokenDimension)
        let embedBias = add("embed.bias", [d], .bias, fanIn: s.tokenDimension)
        blocks.append(.linear(weight: embed, bias: embedBias, gate: nil))
        capture("embed")
        for i in 0..<s.depth {
            let p = "blocks.\(i)"
            var e = EncoderBlockLayout()
            e.query = add("\(p).attn.q_proj.weight", [d, d], .weight, fanIn: d)
            e.queryBias = add("\(p).attn.q_proj.bias", [d], .bias, fanIn: d)
            e.key = add("\(p).attn.k_proj.weight", [d, d], .weight, fanIn: d)
            e.keyBias = add("\(p).attn.k_proj.bias", [d], .bias, fanIn: d)
            e.value = add("\(p).attn.v_proj.weight", [d, d], .weight, fanIn: d)
            e.valueBias = add("\(p).attn.v_proj.bias", [d], .bias, fanIn: d)
            e.out = add("\(p).attn.out_proj.weight", [d, d], .weight, fanIn: d)
            e.outBias = add("\(p).attn.out_proj.bias", [d], .bias, fanIn: d)
            e.norm1Gain = add("\(p).norm1.weight", [d], .normGain, fanIn: d)
            e.norm1Bias = add("\(p).norm1.bias", [d], .normBias, fanIn: d)
            e.feedForward1 = add("\(p).mlp.fc1.weight", [s.feedForward, d], .weight, fanIn: d)
            e.feedForward1Bias = add("\(p).mlp.fc1.bias", [s.feedForward], .bias, fanIn: d)
            e.feedForward2 = add("\(p).mlp.fc2.weight", [d, s.feedForward], .weight, fanIn: s.feedForward)
            e.feedForward2Bias = add("\(p).mlp.fc2.bias", [d], .bias, fanIn: s.feedForward)
            e.norm2Gain = add("\(p).norm2.weight", [d], .normGain, fanIn: d)
            e.norm2Bias = add("\(p).norm2.bias", [d], .normBias, fanIn: d)
            e.heads = s.heads
            e.width = d
            e.activation = s.activation.function(leakySlope: 0.01)
            e.epsilon = s.layerNormEpsilon
            blocks.append(.encoder(e))
            capture(p)
        }
        blocks.append(.meanOverTokens)
        capture("pool")
        let head = add("head.weight", [s.output, d], .weight, fanIn: d)
        let headBias = add("head.bias", [s.output], .bias, fanIn: d)
        blocks.append(.linear(weight: head, bias: headBias, gate: nil))
        capture("head")
    }
}
