import NoetherNN
import NoetherSymmetry
import NoetherTensor

/// When the trainer teleports and what it logs: a ``Teleportation`` every `every` steps, each
/// jump a `teleport` event (gradient norms and losses before and after) in `events.jsonl`.
public struct TeleportSchedule: Sendable {
    public let every: Int
    public let teleportation: Teleportation
    /// The event's layer: the selected groups' label.
    public let label: String

    public init(every: Int, label: String, teleportation: Teleportation) {
        (self.every, self.teleportation, self.label) = (every, teleportation, label)
    }

    /// Whether to jump before the step after `completed` steps.
    func isDue(afterStep completed: Int) -> Bool {
        completed > 0 && every > 0 && completed % every == 0 && teleportation.steps > 0
    }

    /// Jumps `parameters` on the batch about to be trained on; returns the event to log.
    func jump(_ parameters: inout Parameters<Float>, architecture: Architecture, loss: LossKind,
              inputs: Tensor<Float>, targets: Targets<Float>, step: Int) -> SymmetryEvent {
        let jump = teleportation.jump(parameters, architecture: architecture, loss: loss, inputs: inputs, targets: targets)
        if !jump.refused { parameters = jump.parameters }
        let kinds = Set(teleportation.groups.map(\.kind))
        return SymmetryEvent(
            step: step, detectedAt: step, layer: label, symmetry: kinds.count == 1 ? kinds.first : nil,
            quantity: jump.refused ? "refused" : "gradient_norm", kind: .teleport,
            before: teleportation.steps, after: jump.refused ? 0 : jump.acceptedSteps, loss: jump.lossBefore,
            gradientNormBefore: jump.gradientNormBefore, gradientNormAfter: jump.refused ? jump.gradientNormBefore : jump.gradientNormAfter,
            lossAfter: jump.refused ? jump.lossBefore : jump.lossAfter)
    }
}
