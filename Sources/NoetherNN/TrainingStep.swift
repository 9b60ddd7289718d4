import NoetherAutograd
import NoetherTensor

/// The mechanics of one optimisation step — forward, loss, backward, update — on a tape whose
/// buffers are reused from step to step, so a warm step allocates nothing.
///
/// A reference type because it owns that workspace; the model itself (`Parameters`) and the
/// optimiser state stay values owned by the caller.
public final class TrainingStep<Scalar: TensorScalar> {
    public let architecture: Architecture
    public let loss: LossKind
    public let tape = Tape<Scalar>()
    /// Evaluation has its own tape so that it does not disturb the training tape's buffer reuse.
    private let evaluationTape = Tape<Scalar>()
    private var bound: [Variable<Scalar>] = []
    /// Fixed offsets θ₀ added to the parameters in the forward pass (syre): the loss is
    /// ℓ(θ + θ₀) while the optimiser and its weight decay act on θ. Nil entries: no offset.
    public var anchors: [Tensor<Scalar>?] = []
    /// Reused buffers for θ + θ₀.
    private var shifted: [Tensor<Scalar>] = []
    /// The stream dropout masks come from: step t draws from `dropoutStream.derived("t")`, so
    /// a resumed run draws the same masks.
    public var dropoutStream = RandomGenerator(seed: 0).derived("dropout")
    /// The BatchNorm statistics of the last training step, until the running estimates take them.
    private var reported: [ForwardPass<Scalar>.ReportedStatistics] = []

    public init(architecture: Architecture, loss: LossKind) {
        self.architecture = architecture
        self.loss = loss
    }

    /// Records the forward pass and loss on a cleared tape, runs the backward pass and returns
    /// the loss; gradients are then readable through ``gradient(at:)`` and the tape.
    ///
    /// - Parameter capture: receives each representation as the forward pass reaches it.
    /// - Parameter mode: BatchNorm normalises with the batch's statistics unless `.evaluation`;
    ///   dropout drops only in `.training`.
    // Specialised: called from other modules, the generic body asks the runtime for type
    // metadata at every operation, which dominated small models' steps (E1's 20-32-1 net).
    @discardableResult
    @_specialize(where Scalar == Float)
    public func computeGradients(
        _ parameters: Parameters<Scalar>, inputs: Tensor<Scalar>, targets: Targets<Scalar>,
        mode: ForwardMode = .batchStatistics, dropout: RandomGenerator? = nil,
        capture: ((Int, Variable<Scalar>) -> Void)? = nil
    ) -> Scalar {
        tape.reset()
        bound.removeAll(keepingCapacity: true)
        for position in 0..<parameters.count {
            if position < anchors.count, let anchor = anchors[position] {
                bound.append(tape.parameter(shift(parameters[position: position], by: anchor, position: position)))
            } else {
                bound.append(tape.parameter(parameters[position: position]))
            }
        }
        var pass = ForwardPass(parameters: bound, mode: mode, dropout: dropout ?? dropoutStream, capture: capture)
        let outputs = architecture.forward(tape.constant(inputs), pass: &pass)
        reported = pass.batchStatistics
        let objective = loss.apply(outputs, targets)
        tape.backward(from: objective)
        return objective.value.scalar
    }

    /// θ + θ₀ written into a buffer kept for this position (allocated once).
    private func shift(_ theta: Tensor<Scalar>, by anchor: Tensor<Scalar>, position: Int) -> Tensor<Scalar> {
        while shifted.count <= position { shifted.append(Tensor.zeros([0])) }
        if shifted[position].shape != theta.shape { shifted[position] = Tensor(uninitializedShape: theta.shape) }
        shifted[position].withUnsafeMutableBufferPointer { out in
            theta.withUnsafeBufferPointer { t in
                anchor.withUnsafeBufferPointer { a in
                    for i in 0..<out.count { out[i] = t[i] + a[i] }
                }
            }
        }
        return shifted[position]
    }

    /// The parameters the model computes with: θ + θ₀ where anchors are set.
    @_specialize(where Scalar == Float)
    public func effective(_ parameters: Parameters<Scalar>) -> Parameters<Scalar> {
        guard anchors.contains(where: { $0 != nil }) else { return parameters }
        var result = parameters
        for position in 0..<min(parameters.count, anchors.count) {
            if let anchor = anchors[position] { result[position: position] = parameters[position: position] + anchor }
        }
        return result
    }

    /// The gradient of the last ``computeGradients(_:inputs:targets:capture:)`` with respect to
    /// the parameter at a layout position.
    public func gradient(at position: Int) -> Tensor<Scalar>? {
        position < bound.count ? tape.gradient(of: bound[position]) : nil
    }

    /// One step: gradients of the loss on this batch, then an optimiser update in place.
    /// Returns the batch loss before the update.
    @discardableResult
    @_specialize(where Scalar == Float)
    public func step(
        _ parameters: inout Parameters<Scalar>, optimizer: inout Optimizer<Scalar>,
        inputs: Tensor<Scalar>, targets: Targets<Scalar>, learningRate: Double
    ) -> Scalar {
        let value = computeGradients(parameters, inputs: inputs, targets: targets, mode: .training,
                                     dropout: dropoutStream.derived("\(optimizer.step)"))
        // The tape's references to the parameters would force a copy on update.
        tape.releaseLeaves()
        for report in reported {
            var running = RunningStatistics(mean: parameters[position: report.mean], variance: parameters[position: report.variance])
            running.update(with: report.statistics, momentum: Scalar(report.momentum))
            parameters[position: report.mean] = running.mean
            parameters[position: report.variance] = running.variance
        }
        reported = []
        optimizer.update(&parameters, learningRate: learningRate) { position in
            tape.gradient(of: bound[position]).map { UnsafePointer($0.unsafeBaseAddress) }
        }
        return value
    }

    /// The model's outputs on `inputs`, without gradients.
    /// (With anchors, pass the effective parameters.)
    @_specialize(where Scalar == Float)
    public func predict(_ parameters: Parameters<Scalar>, inputs: Tensor<Scalar>) -> Tensor<Scalar> {
        Model.predict(architecture: architecture, parameters: parameters, inputs: inputs, tape: evaluationTape)
    }
}
