import NoetherAutograd
import NoetherTensor

/// One optimisation step of several seeds of the same small model at once, on one tape: every
/// parameter, batch and activation carries the seeds along a first axis, and each dense layer
/// is one operation over all of them (``Variable/seedLinear(weight:bias:)``).
///
/// Why: E1–E5's nets (20-32-1, 30-64-1, 10-32-1) spend most of a step on the tape's
/// per-operation work, not on arithmetic; a stack pays that work once for all its seeds. Each
/// seed's slice goes through the kernels, shapes and order of ``TrainingStep`` alone, and its
/// optimiser update is its own, so every seed's parameters, optimiser state and loss are bit
/// for bit those of the seed trained alone.
///
/// It carries dense layers without gates and element-wise activations (the MLP preset), with
/// mean squared error or cross-entropy; ``init(architecture:loss:)`` returns nil for anything
/// else, and the seeds are then trained one at a time.
public final class SeedStackStep<Scalar: TensorScalar> {
    public let architecture: Architecture
    public let loss: LossKind
    private let tape = Tape<Scalar>()
    /// Per layout position, every seed's parameter stacked: `[seeds, shape…]`, reused step to step.
    private var stacked: [Tensor<Scalar>] = []
    private var stackedInputs = Tensor<Scalar>.zeros([0])
    private var stackedTargets = Tensor<Scalar>.zeros([0])
    private var stackedLabels: [Int32] = []
    /// The stacked parameters as recorded on the tape, in layout order.
    private var bound: [Variable<Scalar>] = []

    /// A stack for `architecture`, or nil when it has a layer the stack does not carry.
    public init?(architecture: Architecture, loss: LossKind) {
        guard architecture.outputsPerSample == 1, architecture.steps.allSatisfy(Self.carries) else { return nil }
        (self.architecture, self.loss) = (architecture, loss)
    }

    private static func carries(_ step: any CompiledLayer) -> Bool {
        switch step {
        case let dense as DenseStep: dense.gate == nil
        case is ActivationStep, is CaptureStep: true
        default: false
        }
    }

    /// Gradients of every seed's loss on its batch, then each seed's optimiser update in place;
    /// returns each seed's batch loss before the update. The seeds' batches must have one shape
    /// (and their targets one kind), as the seeds of one arm at the same step do.
    @discardableResult
    @_specialize(where Scalar == Float)
    public func step(
        _ parameters: inout [Parameters<Scalar>], optimizers: inout [Optimizer<Scalar>],
        inputs: [Tensor<Scalar>], targets: [Targets<Scalar>], learningRates: [Double]
    ) -> [Scalar] {
        let seeds = parameters.count
        precondition(seeds > 0 && optimizers.count == seeds && inputs.count == seeds && targets.count == seeds && learningRates.count == seeds,
                     "SeedStackStep: one parameter set, optimiser, batch, target and learning rate per seed")
        tape.reset()
        bound.removeAll(keepingCapacity: true)
        while stacked.count < architecture.layout.count { stacked.append(.zeros([0])) }
        for position in 0..<architecture.layout.count {
            Self.stack(seeds, { parameters[$0][position: position] }, into: &stacked[position])
            bound.append(tape.parameter(stacked[position]))
        }
        Self.stack(seeds, { inputs[$0] }, into: &stackedInputs)
        var pass = ForwardPass(parameters: bound, mode: .training)
        var x = tape.constant(stackedInputs)
        for step in architecture.steps {
            if let dense = step as? DenseStep {
                x = x.seedLinear(weight: bound[dense.weight], bias: dense.bias.map { bound[$0] })
            } else {
                x = step.forward(x, &pass)
            }
        }
        let losses = objective(x, targets, seeds: seeds)
        tape.backward(from: losses)
        let values = losses.value
        // The tape's references to the stacked parameters would force a copy when they are next filled.
        tape.releaseLeaves()
        for seed in 0..<seeds {
            optimizers[seed].update(&parameters[seed], learningRate: learningRates[seed]) { position in
                tape.gradient(of: self.bound[position]).map { UnsafePointer($0.unsafeBaseAddress + seed * $0.count / seeds) }
            }
        }
        return values.withUnsafeBufferPointer { Array($0) }
    }

    /// Each seed's loss: the vector the backward pass starts from (with ones, as each seed's
    /// own step starts from its scalar loss).
    private func objective(_ outputs: Variable<Scalar>, _ targets: [Targets<Scalar>], seeds: Int) -> Variable<Scalar> {
        let classes = outputs.shape.last
        switch (loss, targets[0]) {
        case (.crossEntropy, .classes):
            stackedLabels.removeAll(keepingCapacity: true)
            for case .classes(let labels) in targets { stackedLabels += labels }
            return outputs.seedCrossEntropy(labels: stackedLabels)
        case (.mse, .values):
            Self.stack(seeds, { if case .values(let v) = targets[$0] { v } else { Tensor.zeros([0]) } }, into: &stackedTargets)
        case (.mse, .classes):
            // One-hot codes, as ``LossKind/apply(_:_:)`` regresses onto for a single seed.
            let rows = outputs.shape.count / max(seeds * classes, 1)
            if stackedTargets.shape != [seeds, rows, classes] { stackedTargets = Tensor(uninitializedShape: [seeds, rows, classes]) }
            stackedTargets.withUnsafeMutableBufferPointer { buffer in
                buffer.update(repeating: 0)
                for (seed, target) in targets.enumerated() {
                    guard case .classes(let labels) = target else { continue }
                    for (row, label) in labels.enumerated() { buffer[(seed * rows + row) * classes + Int(label)] = 1 }
                }
            }
        case (.crossEntropy, .values):
            preconditionFailure("cross-entropy needs class labels; validate the data against the loss first")
        }
        return outputs.seedMeanSquaredError(to: tape.constant(stackedTargets), seeds: seeds)
    }

    /// Writes `count` tensors of one shape, `tensor(0)` first, into `target` of shape `[count, shape…]`.
    private static func stack(_ count: Int, _ tensor: (Int) -> Tensor<Scalar>, into target: inout Tensor<Scalar>) {
        let first = tensor(0)
        let shape = Shape([count] + first.shape.dimensions)
        if target.shape != shape { target = Tensor(uninitializedShape: shape) }
        let per = first.count
        target.withUnsafeMutableBufferPointer { out in
            for seed in 0..<count {
                let slice = tensor(seed)
                precondition(slice.shape == first.shape, "SeedStackStep: the seeds' tensors differ in shape")
                slice.withUnsafeBufferPointer { (out.baseAddress! + seed * per).update(from: $0.baseAddress!, count: per) }
            }
        }
    }
}
