import Testing
import NoetherTensor
@testable import NoetherAutograd

/// The seed-stack operations: gradients against central differences, and each seed's slice
/// bit for bit what the single-seed operation gives on that slice alone.
@Suite struct SeedStackOperationTests {
    @Test func seedLinearGradientsMatchCentralDifferences() {
        let withBias = checkGradients(of: randomInputs([[3, 5, 4], [3, 2, 4], [3, 2]], seed: 3)) { _, v in
            v[0].seedLinear(weight: v[1], bias: v[2])
        }
        #expect(withBias.maxError < tolerance, "\(withBias)")
        let without = checkGradients(of: randomInputs([[2, 6, 3], [2, 4, 3]], seed: 4)) { _, v in v[0].seedLinear(weight: v[1]) }
        #expect(without.maxError < tolerance, "\(without)")
    }

    @Test func seedLossGradientsMatchCentralDifferences() {
        let mse = checkGradients(of: randomInputs([[3, 4, 2], [3, 4, 2]], seed: 5)) { _, v in v[0].seedMeanSquaredError(to: v[1], seeds: 3) }
        #expect(mse.maxError < tolerance, "\(mse)")
        let labels: [Int32] = [0, 2, 1, 1, 2, 0]
        let ce = checkGradients(of: randomInputs([[2, 3, 3]], seed: 6)) { _, v in v[0].seedCrossEntropy(labels: labels) }
        #expect(ce.maxError < tolerance, "\(ce)")
    }

    /// One seed's forward value and gradients on the stack against the same seed alone.
    @Test(arguments: [false, true])
    func eachSeedIsItsOwnRunBitForBit(crossEntropy: Bool) {
        let (seeds, rows, inputs, outputs) = (3, 7, 5, 4)
        var generator = RandomGenerator(seed: 11)
        let x = Tensor<Float>.normal([seeds, rows, inputs], using: &generator)
        let w = Tensor<Float>.normal([seeds, outputs, inputs], using: &generator)
        let b = Tensor<Float>.normal([seeds, outputs], using: &generator)
        let t = Tensor<Float>.normal([seeds, rows, outputs], using: &generator)
        let labels: [Int32] = (0..<(seeds * rows)).map { Int32($0 % outputs) }

        let stacked = Tape<Float>()
        let (sx, sw, sb) = (stacked.constant(x), stacked.parameter(w), stacked.parameter(b))
        let hidden = sx.seedLinear(weight: sw, bias: sb).map(.tanh)
        let losses = crossEntropy ? hidden.seedCrossEntropy(labels: labels) : hidden.seedMeanSquaredError(to: stacked.constant(t), seeds: seeds)
        stacked.backward(from: losses)
        let (lossValues, dw, db) = (losses.value.scalars, stacked.gradient(of: sw)?.scalars ?? [], stacked.gradient(of: sb)?.scalars ?? [])

        for seed in 0..<seeds {
            let tape = Tape<Float>()
            let (ax, aw, ab) = (tape.constant(x.slice(alongAxis: 0, seed..<(seed + 1)).reshaped([rows, inputs])),
                                tape.parameter(w.slice(alongAxis: 0, seed..<(seed + 1)).reshaped([outputs, inputs])),
                                tape.parameter(b.slice(alongAxis: 0, seed..<(seed + 1)).reshaped([outputs])))
            let h = ax.linear(weight: aw, bias: ab).map(.tanh)
            let loss = crossEntropy
                ? h.crossEntropy(labels: Array(labels[(seed * rows)..<((seed + 1) * rows)]))
                : h.meanSquaredError(to: tape.constant(t.slice(alongAxis: 0, seed..<(seed + 1)).reshaped([rows, outputs])))
            tape.backward(from: loss)
            #expect(loss.value.scalars[0].bitPattern == lossValues[seed].bitPattern, "seed \(seed) loss")
            let (weights, biases) = (seed * outputs * inputs, seed * outputs)
            #expect((tape.gradient(of: aw)?.scalars ?? []).map(\.bitPattern) == dw[weights..<(weights + outputs * inputs)].map(\.bitPattern))
            #expect((tape.gradient(of: ab)?.scalars ?? []).map(\.bitPattern) == db[biases..<(biases + outputs)].map(\.bitPattern))
        }
    }
}
