import NoetherNN
import NoetherTensor

/// Seeds of one experiment arm trained in lockstep as one ``SeedStackStep``: each seed keeps
/// its own run (data order, init, noise, optimiser state, callbacks, run directory,
/// checkpoints, evaluation and metrics, through its own ``TrainingSession``); only the
/// optimisation step is shared. Every seed's results are bit for bit those of the seed
/// trained alone.
///
/// A seed whose run ends (its steps, its stated loss, an error) leaves the stack; the others
/// go on. At a step where the seeds' batches differ in shape, each seed steps alone.
struct SeedStackTrainer {
    let members: [SeedGroupTrainer.Member]

    /// A seed in training: its position among the members, its prepared run and session.
    private final class Running {
        let member: Int
        let prepared: ConfigTrainer.PreparedRun
        let session: TrainingSession
        var input: TrainingSession.StepInput?

        init(member: Int, prepared: ConfigTrainer.PreparedRun, session: TrainingSession) {
            (self.member, self.prepared, self.session) = (member, prepared, session)
        }
    }

    /// Each seed's outcome, and how many seed-steps went through the stacked step (the others
    /// stepped alone: a seed left alone in the stack, batches of different shapes).
    func run() -> (results: [Result<TrainingResult, RunError>], stackedSeedSteps: Int) {
        var stackedSeedSteps = 0
        var results = [Result<TrainingResult, RunError>?](repeating: nil, count: members.count)
        var running: [Running] = []
        for (index, member) in members.enumerated() {
            do {
                switch try ConfigTrainer(config: member.config, options: member.options).prepare() {
                case .finished(let result): results[index] = .success(result)
                case .ready(let prepared): running.append(Running(member: index, prepared: prepared, session: try TrainingSession(prepared.trainer)))
                }
            } catch {
                results[index] = .failure(error)
            }
        }
        guard let first = running.first else { return (results.map { $0 ?? .failure(RunError("the seed was not trained")) }, 0) }
        let stack = SeedStackStep<Float>(architecture: first.session.architecture, loss: first.session.loss)
        // The seeds' parameters and optimisers are swapped into these arrays for the stacked
        // step and back, so that each update writes its tensors in place rather than copying.
        let placeholder = Optimizer<Float>(first.session.trainer.optimizer, noiseSeed: RandomGenerator(seed: 0))
        var parameters = [Parameters<Float>](repeating: Parameters(), count: running.count)
        var optimizers = [Optimizer<Float>](repeating: placeholder, count: running.count)
        var stepping: [Running] = []
        while !running.isEmpty {
            stepping.removeAll(keepingCapacity: true)
            for run in running {
                do {
                    run.input = try run.session.nextStep()
                    if run.input != nil {
                        stepping.append(run)
                    } else {
                        results[run.member] = Result { () throws(RunError) -> TrainingResult in run.prepared.result(of: try run.session.end()) }
                    }
                } catch {
                    results[run.member] = .failure(error)
                }
            }
            let inputs = stepping.compactMap(\.input)
            var losses: [Float]
            if let stack, inputs.count > 1, inputs.allSatisfy({ Self.sameShape($0, inputs[0]) }) {
                parameters.removeLast(parameters.count - inputs.count)
                optimizers.removeLast(optimizers.count - inputs.count)
                for (k, run) in stepping.enumerated() {
                    swap(&run.session.parameters, &parameters[k])
                    swap(&run.session.optimizer, &optimizers[k])
                }
                losses = stack.step(&parameters, optimizers: &optimizers, inputs: inputs.map(\.inputs),
                                    targets: inputs.map(\.targets), learningRates: inputs.map(\.learningRate))
                stackedSeedSteps += inputs.count
                for (k, run) in stepping.enumerated() {
                    swap(&run.session.parameters, &parameters[k])
                    swap(&run.session.optimizer, &optimizers[k])
                }
            } else {
                losses = zip(stepping, inputs).map { run, input in
                    run.session.step.step(&run.session.parameters, optimizer: &run.session.optimizer, inputs: input.inputs,
                                          targets: input.targets, learningRate: input.learningRate)
                }
            }
            running.removeAll(keepingCapacity: true)
            for (k, run) in stepping.enumerated() {
                do {
                    try run.session.finishStep(batchLoss: Double(losses[k]), learningRate: inputs[k].learningRate)
                    run.input = nil
                    running.append(run)
                } catch {
                    results[run.member] = .failure(error)
                }
            }
        }
        return (results.map { $0 ?? .failure(RunError("the seed was not trained")) }, stackedSeedSteps)
    }

    /// Whether two seeds' batches can share a stacked step: inputs and targets of one shape and kind.
    private static func sameShape(_ a: TrainingSession.StepInput, _ b: TrainingSession.StepInput) -> Bool {
        guard a.inputs.shape == b.inputs.shape else { return false }
        switch (a.targets, b.targets) {
        case (.values(let x), .values(let y)): return x.shape == y.shape
        case (.classes(let x), .classes(let y)): return x.count == y.count
        default: return false
        }
    }
}
