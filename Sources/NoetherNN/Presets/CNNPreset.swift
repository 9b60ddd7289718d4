/// How a convolution block downsamples after its activation.
public enum Pooling: String, Codable, Sendable {
    case none, max, avg
}

/// One convolution block: conv → activation → optional pooling.
public struct ConvolutionLayerSpec: Hashable, Sendable, Codable {
    public var channels: Int
    public var kernel: Int
    public var stride: Int
    public var padding: Int
    public var pool: Pooling
    public var poolWindow: Int

    public init(channels: Int, kernel: Int = 3, stride: Int = 1, padding: Int? = nil, pool: Pooling = .max, poolWindow: Int = 2) {
        (self.channels, self.kernel, self.stride) = (channels, kernel, stride)
        self.padding = padding ?? kernel / 2
        (self.pool, self.poolWindow) = (pool, poolWindow)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kernel = try c.decodeIfPresent(Int.self, forKey: .kernel) ?? 3
        self.init(
            channels: try c.decode(Int.self, forKey: .channels), kernel: kernel,
            stride: try c.decodeIfPresent(Int.self, forKey: .stride) ?? 1,
            padding: try c.decodeIfPresent(Int.self, forKey: .padding),
            pool: try c.decodeIfPresent(Pooling.self, forKey: .pool) ?? .max,
            poolWindow: try c.decodeIfPresent(Int.self, forKey: .poolWindow) ?? 2)
    }
}

/// A small convolutional network: convolution blocks, then fully connected layers on the
/// flattened features.
public struct CNNSpec: Hashable, Sendable, Codable {
    /// `[channels, height, width]` of one input.
    public var inputShape: [Int]
    public var convolutions: [ConvolutionLayerSpec]
    public var hidden: [Int]
    public var output: Int
    public var activation: Activation
    public var bias: Bool
    public var leakySlope: Double

    public init(inputShape: [Int], convolutions: [ConvolutionLayerSpec], hidden: [Int] = [], output: Int,
                activation: Activation = .relu, bias: Bool = true, leakySlope: Double = 0.01) {
        (self.inputShape, self.convolutions, self.hidden, self.output) = (inputShape, convolutions, hidden, output)
        (self.activation, self.bias, self.leakySlope) = (activation, bias, leakySlope)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            inputShape: try c.decode([Int].self, forKey: .inputShape),
            convolutions: try c.decode([ConvolutionLayerSpec].self, forKey: .convolutions),
            hidden: try c.decodeIfPresent([Int].self, forKey: .hidden) ?? [],
            output: try c.decode(Int.self, forKey: .output),
            activation: try c.decodeIfPresent(Activation.self, forKey: .activation) ?? .relu,
            bias: try c.decodeIfPresent(Bool.self, forKey: .bias) ?? true,
            leakySlope: try c.decodeIfPresent(Double.self, forKey: .leakySlope) ?? 0.01)
    }
}

extension CNNSpec {
    /// `convs.{i}`: convolution, activation and pooling (captured as `convs.{i}`), then a
    /// flatten and the dense layers `layers.{i}`.
    public var graph: GraphSpec {
        get throws(ModelSpecError) {
            guard inputShape.count == 3 else {
                throw ModelSpecError("cnn input_shape must be [channels, height, width], got \(inputShape)")
            }
            guard inputShape.allSatisfy({ $0 > 0 }), output > 0, hidden.allSatisfy({ $0 > 0 }) else {
                throw ModelSpecError("cnn input_shape, hidden and output sizes must be positive, got \(inputShape), \(hidden), \(output)")
            }
            guard !convolutions.isEmpty else { throw ModelSpecError("a cnn needs at least one entry in convolutions") }
            var layers: [GraphLayer] = []
            for (i, conv) in convolutions.enumerated() {
                let name = "convs.\(i)"
                layers.append(GraphLayer(ConvolutionLayer(channels: conv.channels, kernel: conv.kernel, stride: conv.stride, padding: conv.padding, bias: bias),
                                         name: name))
                let activation = GraphLayer(ActivationLayer(self.activation, leakySlope: leakySlope), name: "\(name).activation",
                                            capture: conv.pool == .none ? name : nil)
                layers.append(activation)
                switch conv.pool {
                case .none: break
                case .max: layers.append(GraphLayer(MaxPoolLayer(window: conv.poolWindow), name: "\(name).pool", capture: name))
                case .avg: layers.append(GraphLayer(AveragePoolLayer(window: conv.poolWindow), name: "\(name).pool", capture: name))
                }
            }
            layers.append(GraphLayer(FlattenLayer(), name: "flatten"))
            // The dense part reads whatever the flatten gives; its input size is not used.
            let dense = MLPSpec(input: 1, hidden: hidden, output: output, activation: activation, bias: bias, leakySlope: leakySlope).graph
            return GraphSpec(input: inputShape, layers: layers + dense.layers)
        }
    }
}
