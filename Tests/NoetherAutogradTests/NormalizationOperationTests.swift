import Testing
import NoetherTensor
@testable import NoetherAutograd

@Suite("RMSNorm and BatchNorm: gradients, known values, running statistics")
struct NormalizationOperationTests {
    @Test func rmsNormGradientsMatchCentralDifferences() {
        let withGain = checkGradients(of: randomInputs([[2, 3, 5], [5]])) { _, v in v[0].rmsNorm(gain: v[1], epsilon: 1e-3) }
        #expect(withGain.maxError < tolerance, "\(withGain)")
        let plain = checkGradients(of: randomInputs([[4, 6]], seed: 3)) { _, v in v[0].rmsNorm(gain: nil) }
        #expect(plain.maxError < tolerance, "\(plain)")
    }

    @Test func rmsNormOfAKnownRow() {
        // x = (3, 4): mean square 12.5, so y = x/√12.5 ⊙ (1, 2).
        let tape = Tape<Double>()
        let y = tape.constant(Tensor(rows: [[3, 4]])).rmsNorm(gain: tape.constant(Tensor([1, 2])), epsilon: 0)
        let r = 1 / 12.5.squareRoot()
        #expect(abs(y.value[0, 0] - 3 * r) < 1e-12 && abs(y.value[0, 1] - 8 * r) < 1e-12)
    }

    @Test func rmsNormIsInvariantToScalingItsInput() {
        let x = randomInputs([[3, 4]])[0]
        let tape = Tape<Double>()
        let a = tape.constant(x).rmsNorm(gain: nil, epsilon: 0).value
        let b = tape.constant(x * 7.5).rmsNorm(gain: nil, epsilon: 0).value
        #expect((a - b).map(.abs).max() < 1e-12)
    }

    /// [2, 2, 3, 5]: 15 positions per sample, so the sums run through their eight lanes and a rest.
    @Test(arguments: [[5, 3], [3, 2, 2, 3], [2, 2, 3, 5]] as [[Int]])
    func batchNormGradientsMatchCentralDifferences(_ dimensions: [Int]) {
        let channels = dimensions[1]
        let train = checkGradients(of: randomInputs([Shape(dimensions), [channels], [channels]])) { _, v in
            v[0].batchNorm(gain: v[1], bias: v[2], epsilon: 1e-3).output
        }
        #expect(train.maxError < tolerance, "train: \(train)")
        let plain = checkGradients(of: randomInputs([Shape(dimensions)], seed: 5)) { _, v in v[0].batchNorm(gain: nil, bias: nil).output }
        #expect(plain.maxError < tolerance, "train, no affine: \(plain)")
        var generator = RandomGenerator(seed: 9)
        let running = RunningStatistics<Double>(mean: .normal([channels], using: &generator),
                                                variance: Tensor.uniform([channels], low: 0.5, high: 2, using: &generator))
        let eval = checkGradients(of: randomInputs([Shape(dimensions), [channels], [channels]], seed: 6)) { _, v in
            v[0].batchNorm(gain: v[1], bias: v[2], running: running)
        }
        #expect(eval.maxError < tolerance, "eval: \(eval)")
    }

    @Test func batchNormNormalisesEachChannelOverBatchAndSpace() {
        // Channel 0 holds 1, 3 (sample 0) and 5, 7 (sample 1); channel 1 is constant 2.
        let x = Tensor<Double>(shape: [2, 2, 1, 2], scalars: [1, 3, 2, 2, 5, 7, 2, 2])
        let tape = Tape<Double>()
        let (y, statistics) = tape.constant(x).batchNorm(gain: tape.constant(Tensor([2, 1])), bias: tape.constant(Tensor([0, 0.5])), epsilon: 0)
        // Channel 0: mean 4, biased variance 5, unbiased 20/3.
        let expected = [-3, -1, 1, 3].map { 2 * $0 / 5.0.squareRoot() }
        for (i, (n, w)) in [(0, 0), (0, 1), (1, 0), (1, 1)].enumerated() {
            #expect(abs(y.value[n, 0, 0, w] - expected[i]) < 1e-12)
        }
        #expect(statistics.mean.scalars == [4, 2])
        #expect(abs(statistics.variance[0] - 20.0 / 3) < 1e-12 && statistics.variance[1] == 0)
        // A constant channel maps to its bias (ε = 0 would divide 0 by 0: use PyTorch's 1e-5).
        let guarded = tape.constant(x).batchNorm(gain: nil, bias: tape.constant(Tensor([0, 0.5]))).output
        #expect(guarded.value[0, 1, 0, 0] == 0.5)
    }

    /// Mean, variances and output against their definitions on channels long enough for the
    /// eight-lane sums (19 positions per sample: two groups of eight and a rest of three).
    @Test func batchNormStatisticsMatchDefinitionOnLongChannels() {
        var generator = RandomGenerator(seed: 12)
        let (n, c, inner) = (3, 2, 19)
        let x = Tensor<Double>.normal([n, c, 1, inner], using: &generator) * 3 + 5
        let tape = Tape<Double>()
        let (y, statistics) = tape.constant(x).batchNorm(gain: nil, bias: nil, epsilon: 1e-5)
        for channel in 0..<c {
            let values = (0..<n).flatMap { i in (0..<inner).map { x[i, channel, 0, $0] } }
            let mean = values.reduce(0, +) / Double(values.count)
            let squares = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
            #expect(abs(statistics.mean[channel] - mean) < 1e-12)
            #expect(abs(statistics.variance[channel] - squares / Double(values.count - 1)) < 1e-12)
            let r = 1 / (squares / Double(values.count) + 1e-5).squareRoot()
            for i in 0..<n { for p in 0..<inner {
                #expect(abs(y.value[i, channel, 0, p] - (x[i, channel, 0, p] - mean) * r) < 1e-12)
            } }
        }
    }

    @Test func runningStatisticsFollowPyTorchsMomentumRule() {
        var running = RunningStatistics<Double>(channels: 2)
        let batch = BatchStatistics(mean: Tensor([4.0, 2]), variance: Tensor([20.0 / 3, 0]))
        running.update(with: batch)
        // (1 − 0.1)·(0, 1) + 0.1·batch.
        #expect(abs(running.mean[0] - 0.4) < 1e-12 && abs(running.mean[1] - 0.2) < 1e-12)
        #expect(abs(running.variance[0] - (0.9 + 2.0 / 3)) < 1e-12 && abs(running.variance[1] - 0.9) < 1e-12)
    }

    @Test func evalModeIsTheAffineMapOfTheRunningStatistics() {
        let running = RunningStatistics(mean: Tensor([1.0, -2]), variance: Tensor([4.0, 0.25]))
        let tape = Tape<Double>()
        let x = Tensor<Double>(rows: [[3, 0], [-1, -2]])
        let y = tape.constant(x).batchNorm(gain: tape.constant(Tensor([1, 3])), bias: tape.constant(Tensor([0, 1])),
                                           running: running, epsilon: 0).value
        #expect(y.scalars == [1, 13, -1, 1])
    }
}
