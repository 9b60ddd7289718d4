import NoetherTensor

/// DCS gates (adding a symmetry on purpose): each layer computes v ⊙ (W x) + b with a learnable
/// gate v — one scalar per layer or one per output neuron — initialised to 1. Under weight
/// decay, gates of layers or neurons the task does not need go to 0.
public enum Gates: String, Codable, Sendable {
    case none, layer, neuron
}

/// A fully connected network: `input → hidden… → output`, the activation after every hidden
/// layer. With `residual`, a hidden layer whose input and output widths agree computes
/// h + σ(W h + b) instead of σ(W h + b).
public struct MLPSpec: Hashable, Sendable, Codable {
    public var input: Int
    public var hidden: [Int]
    public var output: Int
    public var activation: Activation
    public var bias: Bool
    public var residual: Bool
    public var leakySlope: Double
    public var gates: Gates

    public init(input: Int, hidden: [Int], output: Int, activation: Activation = .relu, bias: Bool = true,
                residual: Bool = false, leakySlope: Double = 0.01, gates: Gates = .none) {
        (self.input, self.hidden, self.output, self.activation) = (input, hidden, output, activation)
        (self.bias, self.residual, self.leakySlope, self.gates) = (bias, residual, leakySlope, gates)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            input: try c.decode(Int.self, forKey: .input),
            hidden: try c.decodeIfPresent([Int].self, forKey: .hidden) ?? [],
            output: try c.decode(Int.self, forKey: .output),
            activation: try c.decodeIfPresent(Activation.self, forKey: .activation) ?? .relu,
            bias: try c.decodeIfPresent(Bool.self, forKey: .bias) ?? true,
            residual: try c.decodeIfPresent(Bool.self, forKey: .residual) ?? false,
            leakySlope: try c.decodeIfPresent(Double.self, forKey: .leakySlope) ?? 0.01,
            gates: try c.decodeIfPresent(Gates.self, forKey: .gates) ?? .none)
    }
}

extension MLPSpec {
    /// `layers.{i}`: dense, then the activation (captured as `layers.{i}`); a hidden layer
    /// that keeps its width becomes `h + σ(W h + b)` when `residual` is set.
    public var graph: GraphSpec {
        var layers: [GraphLayer] = []
        let sizes = hidden + [output]
        func isResidual(_ i: Int) -> Bool { residual && i < hidden.count && (i == 0 ? input : sizes[i - 1]) == sizes[i] }
        // A run of residual layers first…last after layer first − 1 forms the stream `layers.{first−1}-{last}`.
        func streamLabel(_ i: Int) -> String {
            var (first, last) = (i, i)
            while first > 0 && isResidual(first - 1) { first -= 1 }
            while isResidual(last + 1) { last += 1 }
            return "layers.\(first - 1)-\(last)"
        }
        for (i, next) in sizes.enumerated() {
            let name = "layers.\(i)"
            let dense = GraphLayer(DenseLayer(units: next, bias: bias, gate: gates), name: name)
            let activation = GraphLayer(ActivationLayer(self.activation, leakySlope: leakySlope), name: "\(name).activation")
            if i == hidden.count {
                layers.append(GraphLayer(dense.spec, name: name, capture: name))
            } else if isResidual(i) {
                layers.append(GraphLayer(ResidualLayer(branch: [dense, activation], stream: streamLabel(i)), name: "\(name).residual", capture: name))
            } else {
                layers += [dense, GraphLayer(activation.spec, name: activation.name, capture: name)]
            }
        }
        return GraphSpec(input: [input], layers: layers)
    }
}
