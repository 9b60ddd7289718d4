import Testing
@testable import NoetherLab
@testable import NoetherSweeps
@testable import NoetherTraining
import NoetherData
import NoetherNN
import NoetherTensor

@Suite("Token data in run configs")
struct TokenDataConfigTests {
    func config(_ data: String, model: String = "{kind: mlp, input: 3, hidden: [8], output: 5}") throws -> RunConfig {
        try ConfigLoader.decode(RunConfig.self, from: "name: t\nmodel: \(model)\ndata: \(data)\ntraining: {steps: 2}\n",
                                format: .yaml, source: "t.yaml")
    }

    @Test func snakeCaseKeysReachTheDataSpec() throws {
        let c = try config("{kind: modular_addition, modulus: 5, train_fraction: 0.4}")
        #expect(c.data.kind == .modularAddition && c.data.modulus == 5 && c.data.trainFraction == 0.4)
        let copying = try config("{kind: copying, vocabulary: 6, sequence_length: 10}")
        #expect(copying.data.vocabulary == 6 && copying.data.sequenceLength == 10)
    }

    @Test func aSequenceTaskNeedsAModelScoringTheSamePositions() throws {
        let answer = try config("{kind: modular_addition, modulus: 5}")
        let answerData = try answer.data.load(using: RandomGenerator(seed: 0))
        #expect(throws: Never.self) { try Trainer.checkCompatibility(answer.model, answerData.train) }
        let sequence = try config("{kind: induction, vocabulary: 5, sequence_length: 6}", model: "{kind: mlp, input: 6, hidden: [8], output: 5}")
        let sequenceData = try sequence.data.load(using: RandomGenerator(seed: 0))
        #expect { try Trainer.checkCompatibility(sequence.model, sequenceData.train) } throws: { "\($0)".contains("scored at 2 positions") }
        // Induction scores positions 3..<5 of 6: a decoder scoring them fits.
        let decoder = try config("{kind: induction, vocabulary: 5, sequence_length: 6}",
                                 model: "{kind: gpt, vocabulary: 5, sequence_length: 6, width: 8, heads: 2, depth: 1, scored: [3, 5]}")
        #expect(throws: Never.self) { try Trainer.checkCompatibility(decoder.model, sequenceData.train) }
    }
}
