import Foundation
import Testing
@testable import NoetherLab
@testable import NoetherSweeps
@testable import NoetherTraining
import NoetherData
import NoetherNN
import NoetherSymmetry

let minimalYAML = """
name: t
model: {kind: mlp, input: 20, hidden: [32], output: 1}
data: {kind: staircase, dimension: 20, degree: 3, train: 500, test: 200}
optimizer: {learning_rate: 5e-2, momentum: 0.9, weight_decay: 1e-4}
training: {steps: 10}
"""

@Suite("Config files")
struct ConfigTests {
    @Test func yamlConfigWithDefaultsAndPlainExponents() throws {
        let config = try ConfigLoader.decode(RunConfig.self, from: minimalYAML, format: .yaml, source: "t.yaml")
        #expect(config.optimizer.learningRate == 0.05)
        #expect(config.optimizer.weightDecay == 1e-4)
        #expect(config.optimizer.kind == .sgd)
        #expect(config.training.batchSize == 128)
        #expect(config.training.evalEvery == 1)
        #expect(config.initializer == InitializerSpec())
        #expect(config.model == .mlp(MLPSpec(input: 20, hidden: [32], output: 1)))
    }

    @Test func jsonAndYamlDescribeTheSameRun() throws {
        let yaml = try ConfigLoader.decode(RunConfig.self, from: minimalYAML, format: .yaml, source: "t.yaml")
        let json = String(decoding: ConfigLoader.canonicalJSON(yaml), as: UTF8.self)
        let back = try ConfigLoader.decode(RunConfig.self, from: json, format: .json, source: "t.json")
        #expect(back == yaml)
        #expect(back.contentHash == yaml.contentHash)
        var moved = yaml
        moved.output = "elsewhere"
        #expect(moved.contentHash == yaml.contentHash)
        moved.seed = 1
        #expect(moved.contentHash != yaml.contentHash)
    }

    @Test func misspeltKeyIsAnErrorWithASuggestion() {
        let text = minimalYAML.replacingOccurrences(of: "learning_rate", with: "learning_rat")
        #expect {
            try ConfigLoader.decode(RunConfig.self, from: text, format: .yaml, source: "t.yaml")
        } throws: { error in
            let message = "\(error)"
            return message.contains("unknown key 'optimizer.learning_rat'") && message.contains("did you mean 'learning_rate'")
        }
    }

    @Test func wrongTypesAndMissingKeysNameTheirPlace() {
        let wrongType = minimalYAML.replacingOccurrences(of: "hidden: [32]", with: "hidden: wide")
        #expect {
            try ConfigLoader.decode(RunConfig.self, from: wrongType, format: .yaml, source: "t.yaml")
        } throws: { "\($0)".contains("model.hidden") }
        let missing = minimalYAML.replacingOccurrences(of: "training: {steps: 10}", with: "")
        #expect {
            try ConfigLoader.decode(RunConfig.self, from: missing, format: .yaml, source: "t.yaml")
        } throws: { "\($0)".contains("missing required key 'training'") }
        #expect(throws: RunError.self) { try ConfigLoader.decode(RunConfig.self, from: "a: [", format: .yaml, source: "bad.yaml") }
        #expect(throws: RunError.self) { try ConfigLoader.decode(RunConfig.self, from: "{", format: .json, source: "bad.json") }
        #expect(throws: RunError.self) { try ConfigLoader.load(RunConfig.self, from: "/nonexistent/config.yaml") }
    }

    @Test func outOfRangeValuesAreRejectedBeforeTraining() throws {
        var config = try ConfigLoader.decode(RunConfig.self, from: minimalYAML, format: .yaml, source: "t.yaml")
        config.training.steps = 0
        #expect(throws: RunError.self) { try config.validate() }
        config.training.steps = 10
        config.optimizer.learningRate = -1
        #expect(throws: RunError.self) { try config.validate() }
    }

    @Test func smallInitGetsAbsoluteThresholdsUnlessTheConfigSetsThem() throws {
        let base = "model: {kind: mlp, input: 4, hidden: [3], output: 1}\ndata: {kind: staircase, dimension: 4}\ntraining: {steps: 5}\n"
        let small = try config(base + "init: {scale: 0.01}\n").track.thresholds
        #expect(small.deadAbsolute.map { abs($0 - 0.1) < 1e-15 } == true)
        #expect(small.rankAbsolute.map { abs($0 - 0.1) < 1e-15 } == true)
        // The standard scale keeps the relative defaults; thresholds in the file are kept.
        #expect(try config(base).track.thresholds == SymmetryThresholds())
        let explicit = try config(base + "init: {scale: 0.01}\ntrack: {thresholds: {rank_relative: 0.01}}\n").track.thresholds
        #expect(explicit == SymmetryThresholds(rankRelative: 0.01))
        // The resolved thresholds are written out, so the recorded config reads back the same.
        let resolved = try config(base + "init: {scale: 0.01}\n")
        let recorded = try ConfigLoader.decode(RunConfig.self, from: String(decoding: ConfigLoader.canonicalJSON(resolved), as: UTF8.self),
                                               format: .json, source: "config.json")
        #expect(recorded == resolved)
    }
}
