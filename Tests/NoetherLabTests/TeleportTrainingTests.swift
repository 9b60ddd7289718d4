import Foundation
import Testing
@testable import NoetherTraining
import NoetherNN
import NoetherSymmetry

/// `control.teleport` in configs and in training: decoding, validation, the jumps as events,
/// determinism with the seed.
@Suite("Teleportation in training")
struct TeleportTrainingTests {
    static let yaml = """
        name: teleport
        model: {kind: mlp, input: 20, hidden: [32, 32], output: 10, activation: relu}
        data: {kind: gaussian_mixture, dimension: 20, classes: 10, separation: 4, train: 1000, test: 200}
        optimizer: {kind: sgd, learning_rate: 0.05}
        training: {steps: 120, batch_size: 100, eval_every: 40}
        control: {teleport: {every: 40, steps: 4, group: rescaling, rate: 0.2}}
        """

    static func config(_ text: String = yaml) throws -> RunConfig {
        try ConfigLoader.decode(RunConfig.self, from: text, format: .yaml, source: "t.yaml")
    }

    @Test func configRoundTripsAndDefaultsFillIn() throws {
        let config = try Self.config()
        #expect(config.control.teleport == TeleportSpec(every: 40, steps: 4, group: "rescaling", rate: 0.2))
        let json = String(decoding: ConfigLoader.canonicalJSON(config), as: UTF8.self)
        #expect(try ConfigLoader.decode(RunConfig.self, from: json, format: .json, source: "t.json") == config)
        let minimal = try Self.config(Self.yaml.replacingOccurrences(of: "{every: 40, steps: 4, group: rescaling, rate: 0.2}", with: "{every: 7}"))
        #expect(minimal.control.teleport == TeleportSpec(every: 7))
        // A config without teleport keeps its content hash (the key is written only when set).
        var plain = config
        plain.control.teleport = nil
        #expect(!String(decoding: ConfigLoader.canonicalJSON(plain), as: UTF8.self).contains("\"teleport\" :"))
    }

    @Test func badSettingsAreTypedErrors() throws {
        for bad in ["{every: 0}", "{every: 5, steps: -1}", "{every: 5, rate: 0}", "{every: 5, tolerance: 0.5}"] {
            var config = try Self.config(Self.yaml.replacingOccurrences(of: "{every: 40, steps: 4, group: rescaling, rate: 0.2}", with: bad))
            config.output = nil
            #expect(throws: RunError.self, "\(bad)") { try config.validate() }
        }
        var unknown = try Self.config()
        unknown.control.teleport?.group = "layers.9"
        #expect(throws: RunError.self) { try ConfigTrainer(config: unknown).run() }
        var withSyre = try Self.config()
        withSyre.control.syre = SyreSpec()
        #expect(throws: RunError.self) { try withSyre.validate() }
    }

    @Test func jumpsAreLoggedWithTheirGradientNormsAndAreDeterministic() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try Self.config()
        let result = try ConfigTrainer(config: config, options: TrainingOptions(directory: directory)).run()
        let jumps = result.events.filter { $0.kind == .teleport }
        #expect(jumps.map(\.step) == [40, 80])
        for jump in jumps {
            let (before, after) = (try #require(jump.gradientNormBefore), try #require(jump.gradientNormAfter))
            #expect(after > before)
            #expect(abs(try #require(jump.lossAfter) - jump.loss) <= 1e-5 * jump.loss)
            #expect(jump.symmetry == .rescaling)
        }
        // On disk, in events.jsonl, as written.
        #expect(try SymmetryEventLog.read(RunDirectory(directory).eventsPath).filter { $0.kind == .teleport } == jumps)
        // Same config and seed: bit-identical; without teleport: a different run.
        let again = try ConfigTrainer(config: config).run()
        #expect(again.parameters.bitwiseEquals(result.parameters))
        var plain = config
        plain.control.teleport = nil
        let control = try ConfigTrainer(config: plain).run()
        #expect(!control.parameters.bitwiseEquals(result.parameters))
        #expect(!control.events.contains { $0.kind == .teleport })
        // steps: 0 is the null control: no jumps, the plain run exactly.
        var null = config
        null.control.teleport?.steps = 0
        #expect(try ConfigTrainer(config: null).run().parameters.bitwiseEquals(control.parameters))
    }
}
