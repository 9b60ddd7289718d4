import Foundation
import NoetherIO
import NoetherSweeps
import NoetherSymmetry
import NoetherTraining

/// E15: teleportation (jumps along the rescaling and GL groups to a steeper point of the same
/// loss) reduces the steps to a target training loss against a matched control — the same
/// seeds, data, init, batches and optimiser without the jumps (arm `plain`).
///
/// Steps to target: the first evaluation step whose training loss is ≤ `target_train_loss`.
/// A seed holds when the teleport arm's steps are ≤ `max_step_ratio` × the plain arm's. A plain
/// arm that never reaches the target counts at the step budget (a lower bound on its steps);
/// a teleport arm that never reaches it does not hold; neither reaching it is inconclusive.
struct TeleportAnalysis: ExperimentAnalysis {
    /// The first evaluation step at which the training loss is at most `target`.
    static func stepsToTarget(_ run: ExperimentRun, target: Double) -> Double? {
        run.series("train_loss").first { $0.y <= target }.map(\.x)
    }

    /// The jumps a run logged (teleport events that were not refused).
    static func jumps(_ run: ExperimentRun) -> [SymmetryEvent] {
        run.result.events.filter { $0.kind == .teleport && $0.quantity == "gradient_norm" }
    }

    func evaluate(_ context: SeedContext) throws(RunError) -> SeedEvaluation {
        guard let teleport = context.run("teleport"), let plain = context.run("plain") else { throw RunError("E15 needs the arms teleport and plain") }
        let target = context.spec.parameter("target_train_loss", default: 1)
        let ratio = context.spec.parameter("max_step_ratio", default: 0.9)
        let budget = Double(plain.config.training.steps)
        let (fast, slow) = (Self.stepsToTarget(teleport, target: target), Self.stepsToTarget(plain, target: target))
        let jumps = Self.jumps(teleport)
        let raises = jumps.compactMap { event in event.gradientNormBefore.flatMap { b in event.gradientNormAfter.map { $0 / b } } }
        let lossChanges = jumps.compactMap { event in event.lossAfter.map { abs($0 - event.loss) / max(abs(event.loss), 1e-30) } }
        let observed = (fast ?? .nan) / (slow ?? budget)
        var evidence: [String: JSONValue] = [
            "target train loss": .number(target),
            "steps to target, teleport (none: not reached)": fast.map { .number($0) } ?? .null,
            "steps to target, plain (none: not reached)": slow.map { .number($0) } ?? .null,
            "teleport jumps": .number(Double(jumps.count)),
            "refused jumps": .number(Double(teleport.result.events.count { $0.kind == .teleport && $0.quantity == "refused" })),
            "gradient norm after / before, per jump": .array(raises.map { .number($0) }),
            "largest relative loss change at a jump": .number(lossChanges.max() ?? 0),
        ]
        for run in [teleport, plain] {
            evidence["\(run.label): final train loss"] = .number(run.last("train_loss") ?? .nan)
            evidence["\(run.label): final test loss"] = .number(run.last("test_loss") ?? .nan)
        }
        var effects: [(name: String, value: Double)] = [
            ("steps to target: teleport / plain", observed),
            ("steps to target, teleport", fast ?? .nan),
            ("steps to target, plain", slow ?? budget),
            ("mean gradient-norm gain at a jump", raises.isEmpty ? 1 : raises.reduce(0, +) / Double(raises.count)),
            ("final train loss, teleport − plain", (teleport.last("train_loss") ?? .nan) - (plain.last("train_loss") ?? .nan)),
        ]
        effects.append(("jumps", Double(jumps.count)))
        let verdict: Verdict, reason: String?
        switch (fast, slow) {
        case (nil, nil):
            (verdict, reason) = (.inconclusive, "neither arm reached the training loss \(shortNumber(target)) within \(Int(budget)) steps")
        case (nil, _):
            (verdict, reason) = (.doesNotHold, "with teleportation the training loss never reached \(shortNumber(target)); without it at step \(shortNumber(slow ?? .nan))")
        default:
            (verdict, reason) = observed <= ratio ? (.holds, nil)
                : (.doesNotHold, "teleport took \(shortNumber(fast ?? .nan)) steps to reach \(shortNumber(target)), plain \(slow.map(shortNumber) ?? "more than \(Int(budget))") (ratio \(shortNumber(observed)) > \(shortNumber(ratio)))")
        }
        return SeedEvaluation(verdict: verdict, reason: reason, evidence: evidence, effects: effects)
    }

    func figures(_ study: ExperimentStudy) throws(RunError) -> [Figure] {
        let target = study.spec.parameter("target_train_loss", default: 1)
        var series = [
            SeedBands.series("teleport", color: 1, study.main.compactMap { $0.run("teleport")?.series("train_loss") }),
            SeedBands.series("plain (matched control)", color: 0, study.main.compactMap { $0.run("plain")?.series("train_loss") }),
        ]
        for (index, control) in study.controls.enumerated() {
            series.append(SeedBands.series("teleport arm, control \(control.control.name)", color: 3 + index, dashed: true,
                                           control.seeds.compactMap { $0.run("teleport")?.series("train_loss") }))
        }
        let steps = study.main.first?.run("plain").map { Double($0.config.training.steps) } ?? 1
        series.append(.init(name: "target \(shortNumber(target))", points: [.init(0, target), .init(steps, target)], dashed: true, color: 8))
        let gains = study.main.compactMap { $0.run("teleport") }.map { run in
            Self.jumps(run).compactMap { event in event.gradientNormBefore.flatMap { b in event.gradientNormAfter.map { LineChart.Point(Double(event.step), $0 / b) } } }
        }
        return [
            .lines(LineChart(title: "Training loss with and without teleportation", xLabel: "training step", yLabel: "train loss", yLog: true,
                             series: series, caption: "Mean over \(study.main.count) seeds with 95% bands; the same seeds, data and init in both arms.")),
            .lines(LineChart(title: "Gradient norm gained at each jump", xLabel: "training step", yLabel: "‖∇ℓ‖ after / before",
                             series: [SeedBands.series("teleport", color: 1, gains)], caption: "Batch gradient norm after over before each jump; mean over seeds.")),
        ]
    }
}
