import NoetherAutograd
import NoetherTensor

/// An element-wise activation (`{kind: activation, function: relu}`). Its symmetry slice is
/// what it commutes with: rescaling survives positively homogeneous functions, sign flips odd
/// ones, rotations only the identity.
public struct ActivationLayer: LayerSpec {
    public static let kind = "activation"
    public var function: Activation
    public var leakySlope: Double

    public init(_ function: Activation, leakySlope: Double = 0.01) {
        (self.function, self.leakySlope) = (function, leakySlope)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(try c.decode(Activation.self, forKey: .function), leakySlope: try c.decodeIfPresent(Double.self, forKey: .leakySlope) ?? 0.01)
    }

    public func build(into graph: inout GraphBuilder) throws(ModelSpecError) {
        graph.append(ActivationStep(function: function.function(leakySlope: leakySlope)))
        graph.applyElementwise(Equivariance(function))
    }
}

struct ActivationStep: CompiledLayer {
    let function: UnaryFunction

    @_specialize(where Scalar == Float)
    func forward<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ pass: inout ForwardPass<Scalar>) -> Variable<Scalar> {
        function == .identity ? x : x.map(function)
    }
}
