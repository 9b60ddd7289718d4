import NoetherAutograd
import NoetherTensor

/// A layer's forward step, compiled once with its parameters' positions, so a forward pass
/// does no name lookups.
public protocol CompiledLayer: Sendable {
    func forward<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ pass: inout ForwardPass<Scalar>) -> Variable<Scalar>
}

/// How a forward pass treats the layers that behave differently in training.
public enum ForwardMode: Sendable {
    /// BatchNorm normalises with the batch's statistics (and reports them); dropout drops.
    case training
    /// BatchNorm uses its running statistics; dropout is the identity.
    case evaluation
    /// BatchNorm normalises with the batch's statistics, dropout is the identity: the function
    /// whose symmetries are checked (a BatchNorm's scale symmetry holds in train mode).
    case batchStatistics
}

/// The state of one forward pass: the parameters on the tape, the mode, the dropout stream,
/// the batch statistics BatchNorm layers report, and where representations go.
public struct ForwardPass<Scalar: TensorScalar> {
    public let parameters: [Variable<Scalar>]
    public let mode: ForwardMode
    public var dropout: RandomGenerator
    /// Each BatchNorm's batch statistics, with the positions of its running mean and
    /// variance, in the order the layers ran (training mode only).
    public internal(set) var batchStatistics: [ReportedStatistics] = []
    let capture: ((Int, Variable<Scalar>) -> Void)?

    public init(parameters: [Variable<Scalar>], mode: ForwardMode = .evaluation, dropout: RandomGenerator = RandomGenerator(seed: 0),
                capture: ((Int, Variable<Scalar>) -> Void)? = nil) {
        (self.parameters, self.mode, self.dropout, self.capture) = (parameters, mode, dropout, capture)
    }

    /// The parameter at a layout position.
    public subscript(position: Int) -> Variable<Scalar> { parameters[position] }

    /// One BatchNorm's batch statistics and where its running estimates live.
    public struct ReportedStatistics {
        public let mean: Int
        public let variance: Int
        public let momentum: Double
        public let statistics: BatchStatistics<Scalar>
    }

    mutating func report(mean: Int, variance: Int, momentum: Double, _ statistics: BatchStatistics<Scalar>) {
        batchStatistics.append(ReportedStatistics(mean: mean, variance: variance, momentum: momentum, statistics: statistics))
    }
}

/// Runs steps in order.
func run<Scalar: TensorScalar>(_ steps: [any CompiledLayer], _ x: Variable<Scalar>, _ pass: inout ForwardPass<Scalar>) -> Variable<Scalar> {
    var x = x
    for step in steps { x = step.forward(x, &pass) }
    return x
}

/// Hands the current value to the pass's capture callback.
struct CaptureStep: CompiledLayer {
    let index: Int
    func forward<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ pass: inout ForwardPass<Scalar>) -> Variable<Scalar> {
        pass.capture?(index, x)
        return x
    }
}

/// Reshapes each sample to `trailing`, keeping the batch axis.
struct ReshapeStep: CompiledLayer {
    let trailing: Shape
    func forward<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ pass: inout ForwardPass<Scalar>) -> Variable<Scalar> {
        var shape = Shape(onesOfRank: trailing.rank + 1)
        shape[0] = x.shape.count / max(trailing.count, 1)
        for axis in 0..<trailing.rank { shape[axis + 1] = trailing[axis] }
        return x.reshaped(shape)
    }
}
