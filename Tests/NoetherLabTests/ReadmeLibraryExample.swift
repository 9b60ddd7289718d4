import Noether

/// The README's "Training as a library call" example, verbatim between the markers: the test
/// below runs it, and ``ReadmeLibraryExampleTests`` checks that the README shows exactly these
/// lines (after `import Noether`), so the two cannot drift apart.
func readmeLibraryExample() throws -> TrainingOutcome {
    // README example begin
    let data = try DataSpec(kind: .staircase).load(using: RandomGenerator(seed: 0))  // y = x1 + x1x2 + x1x2x3 + x1x2x3x4
    let model = try Model<Float>(.mlp(MLPSpec(input: 30, hidden: [64], output: 1)),
                                 initializer: InitializerSpec(scale: 0.01), generator: RandomGenerator(seed: 0))
    // Near θ = 0 every unit is small: count those that grow past 0.1 (absolute thresholds).
    let tracker = try SymmetryTracker(model: model, loss: .mse, spec: TrackSpec(thresholds: .defaults(initScale: 0.01)), interval: 50)
    let trainer = Trainer(model: model, data: TrainingData(data), optimizer: OptimizerSpec(kind: .sgd, learningRate: 0.02),
                          training: TrainingSpec(steps: 4000, batchSize: 200), callbacks: [tracker])
    let outcome = try trainer.run()
    print("test loss:", outcome.finalMetrics["test_loss"] ?? .nan)
    for event in outcome.events { print(event.summary) }
    // README example end
    return outcome
}
