import Testing
import NoetherAutograd
import NoetherNN
import NoetherTensor
@testable import NoetherRepresent

@Suite("Capturing representations")
struct CaptureTests {
    @Test func capturesEveryLayerInChunksWithPerSampleGradients() throws {
        let spec = ModelSpec.mlp(MLPSpec(input: 4, hidden: [6, 5], output: 3))
        let model = try Model<Double>(spec, generator: RandomGenerator(seed: 1))
        let x = gaussian([10, 4], seed: 2)
        let labels: [Int32] = (0..<10).map { Int32($0 % 3) }
        let captured = CapturedRepresentations.capture(model, inputs: x, gradientsFor: (.classes(labels), .crossEntropy), chunk: 3)
        #expect(captured.names == ["layers.0", "layers.1", "layers.2"])
        #expect(captured.layers.map { $0.shape } == [[10, 6], [10, 5], [10, 3]])
        // The last representation is the output.
        #expect(captured.layers[2].isApproximatelyEqual(to: model(x), absoluteTolerance: 1e-12))
        // The gradient of sample 7's own loss, from a one-sample tape.
        let tape = Tape<Double>()
        let bound = model.parameters.tensors.values.map { tape.constant($0) }
        var hidden: [Variable<Double>] = []
        let output = model.architecture.forward(tape.variable(x.slice(alongAxis: 0, 7..<8), requiresGradient: true), parameters: Array(bound)) {
            _, v in hidden.append(v)
        }
        tape.backward(from: output.crossEntropy(labels: [labels[7]]))
        let expected = try #require(tape.gradient(of: hidden[1]))
        let got = try #require(captured.gradients?[1].slice(alongAxis: 0, 7..<8))
        #expect(got.isApproximatelyEqual(to: expected, absoluteTolerance: 1e-12))
    }

    @Test func layerwiseAnalysisCoversInputAndEveryLayer() throws {
        let spec = ModelSpec.mlp(MLPSpec(input: 4, hidden: [8], output: 3))
        let model = try Model<Double>(spec, generator: RandomGenerator(seed: 1))
        let labels = (0..<60).map { $0 % 3 }
        let report = try LayerwiseAnalysis.analyze(model, probe: (gaussian([60, 4], seed: 5), labels))
        #expect(report.layers.map(\.layer) == ["input", "layers.0", "layers.1"])
        #expect(report.layers.allSatisfy { $0.probeAccuracy != nil && $0.rank > 0 })
        #expect(report.penultimateLayer == "layers.0")
        #expect(report.neuralCollapse?.classes == 3)
        let alignment = try CanonicalAlignment.analyze(model, inputs: gaussian([60, 4], seed: 5), targets: .classes(labels.map { Int32($0) }), loss: .crossEntropy)
        #expect(alignment.map(\.layer) == ["layers.0", "layers.1"])
        #expect(alignment.allSatisfy { abs($0.inputHZ) <= 1 + 1e-12 && abs($0.outputGZ) <= 1 + 1e-12 })
    }
}
