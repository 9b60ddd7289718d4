import Foundation
import Testing
@testable import NoetherLab
@testable import NoetherTraining
import NoetherData
import NoetherIO
import NoetherNN
import NoetherSymmetry
import NoetherTensor

@Suite("align, interpolate, merge and compress on trained runs")
struct SymmetryWorkTests {
    /// A wide ReLU MLP on a Gaussian mixture; with strong weight decay its units die and collapse.
    static func yaml(seed: Int, weightDecay: Double) -> String {
        """
        name: symmetry-work
        seed: \(seed)
        model: {kind: mlp, input: 20, hidden: [64, 64], output: 4, activation: relu}
        data: {kind: gaussian_mixture, dimension: 20, classes: 4, separation: 4, train: 1000, test: 500}
        optimizer: {kind: sgd, learning_rate: 0.05, momentum: 0.9, weight_decay: \(weightDecay)}
        training: {steps: 1500, batch_size: 100, eval_every: 500}
        """
    }

    static func train(seed: Int, weightDecay: Double) throws -> String {
        let directory = temporaryDirectory()
        _ = try ConfigTrainer(config: try config(yaml(seed: seed, weightDecay: weightDecay)), options: TrainingOptions(directory: directory)).run()
        return directory
    }

    @Test("compress on a strong-weight-decay run removes ≥ 30% of the hidden units; the result loads and predicts within tolerance")
    func compressStrongWeightDecay() throws {
        let source = try Self.train(seed: 0, weightDecay: 0.05)
        let out = temporaryDirectory()
        let tolerance = 1e-3
        let report = try CompressionCommands.compress(source, out: out, tolerance: tolerance, data: nil)
        #expect(Double(report.unitsRemoved) >= 0.3 * 128, "removed \(report.unitsRemoved) of 128: \(report.layers)")
        #expect(report.parametersAfter < report.parametersBefore)
        #expect(report.maxOutputDifference <= tolerance)
        // The written run is an ordinary one: it loads, its spec is smaller, and it predicts as the original does.
        let (original, small) = (try LoadedRun(source), try LoadedRun(out))
        guard case .mlp(let spec) = small.model.spec else { Issue.record("not an mlp"); return }
        #expect(spec.hidden.reduce(0, +) == 128 - report.unitsRemoved)
        let inputs = try original.data(nil).test.inputs
        let (y, z) = (original.model(inputs), small.model(inputs))
        #expect(zip(y.scalars, z.scalars).map { abs(Double($0) - Double($1)) }.max() ?? 1 <= tolerance)
        // A tolerance nothing can meet is refused, and nothing is written: the searches measure
        // at full width, and the smaller model's products round differently.
        let refused = temporaryDirectory()
        #expect(throws: CompressionRefused.self) { try CompressionCommands.compress(source, out: refused, tolerance: 1e-12, data: nil) }
        #expect(!FileManager.default.fileExists(atPath: refused + "/weights.safetensors"))
    }

    @Test("align lowers the barrier between two seeds, keeps B's function, and merge writes the midpoint")
    func alignInterpolateMerge() throws {
        let (a, b) = (try Self.train(seed: 1, weightDecay: 5e-4), try Self.train(seed: 2, weightDecay: 5e-4))
        let aligned = temporaryDirectory()
        let report = try AlignmentCommands.align(a, b, out: aligned, method: .weights, data: nil)
        #expect(report.functionDifference <= 1e-5)
        #expect(report.groups.map(\.name) == ["layers.0", "layers.1"])
        #expect(report.groups.allSatisfy { $0.changed > 0 })
        let (runB, runAligned) = (try LoadedRun(b), try LoadedRun(aligned))
        let inputs = try runB.data(nil).test.inputs
        let (y, z) = (runB.model(inputs), runAligned.model(inputs))
        #expect(zip(y.scalars, z.scalars).map { abs($0 - $1) }.max() ?? 1 <= 1e-4)
        #expect(!runB.model.parameters.bitwiseEquals(runAligned.model.parameters))

        let curves = try AlignmentCommands.interpolate(a, b, data: nil, points: 5, trainSamples: nil, align: true)
        let alignedCurve = try #require(curves.aligned)
        #expect(curves.curve.alphas == [0, 0.25, 0.5, 0.75, 1])
        // This easy task has no naive barrier to remove; the Fashion-MNIST figures are in docs/symmetry-at-work.md.
        #expect(alignedCurve.barrier.testLoss <= curves.curve.barrier.testLoss + 1e-9)
        // The aligned curve ends at B's loss: B′ computes B's function.
        #expect(abs((alignedCurve.testLoss.last ?? 0) - (curves.curve.testLoss.last ?? 1)) < 1e-5)
        let json = String(decoding: try JSONFormat.encoder().encode(curves), as: UTF8.self)
        for key in ["\"alphas\"", "\"train_loss\"", "\"test_loss\"", "\"train_error\"", "\"test_error\"", "\"barrier\"", "\"aligned\""] {
            #expect(json.contains(key))
        }
        // The HTML report plots both curves and tabulates both barriers.
        let page = curves.html(a: a, b: b)
        #expect(page.contains("<svg") && page.contains("test loss, aligned") && page.contains("after weight matching"))
        #expect(page.contains(String(format: "%.4g", alignedCurve.barrier.testLoss)))

        let merged = temporaryDirectory()
        _ = try AlignmentCommands.merge(a, aligned, out: merged, data: nil)
        let midpoint = try LoadedRun(merged)
        let expected = InterpolationCurve.interpolate(try LoadedRun(a).model.parameters, runAligned.model.parameters, 0.5)
        #expect(midpoint.model.parameters == expected)
    }

    @Test("the barrier is the largest excess over the chord")
    func barrierDefinition() {
        #expect(InterpolationCurve.barrier([1, 3, 2], alphas: [0, 0.5, 1]) == 1.5)
        #expect(InterpolationCurve.barrier([1, 1, 1], alphas: [0, 0.5, 1]) == 0)
    }

    @Test("merge re-estimates BatchNorm statistics")
    func batchNormReestimation() throws {
        let spec = ModelSpec.resnet(ResNetSpec(inputShape: [1, 8, 8], depth: 8, output: 3))
        var generator = RandomGenerator(seed: 2)
        let model = try Model<Float>(spec, generator: generator.derived("init"))
        let inputs: Tensor<Float> = model.architecture.randomInputs(64, using: &generator) * 3 + 1
        let (reestimated, count) = BatchNormReestimation.reestimate(model, inputs: inputs, chunk: 64)
        #expect(count > 0)
        let meanPositions = model.architecture.layout.indices.filter { model.architecture.layout[$0].role == .runningMean }
        #expect(meanPositions.count == count)
        // Fresh running means are zeros; the inputs have mean 1, so the first BatchNorm's estimate moves.
        #expect(meanPositions.contains { !reestimated.parameters[position: $0].bitwiseEquals(model.parameters[position: $0]) })
    }
}
