/// A deep linear network: `input → hidden… → output` with no activation and no bias; its
/// loss has the rotation symmetry of every consecutive pair of layers.
public struct DeepLinearSpec: Hashable, Sendable, Codable {
    public var input: Int
    public var hidden: [Int]
    public var output: Int

    public init(input: Int, hidden: [Int], output: Int) {
        (self.input, self.hidden, self.output) = (input, hidden, output)
    }
}

extension DeepLinearSpec {
    /// An MLP with identity activations and no biases.
    public var graph: GraphSpec {
        MLPSpec(input: input, hidden: hidden, output: output, activation: .identity, bias: false).graph
    }
}
