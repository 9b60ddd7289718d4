import ArgumentParser
import Foundation
import Noether

struct Symmetries: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the parameter symmetries of a config's model and verify each numerically.",
        discussion: """
        Infers the catalogue (permutation, rescaling, sign_flip, rotation, double_rotation, scale, \
        translation) from the model and loss, applies a random group element of each to freshly \
        initialised Float32 parameters, and reports the relative change of the outputs (of the \
        softmax for translations) as the residual.
        """)

    @Argument(help: "The config file (.yaml, .yml or .json).")
    var config: String

    @OptionGroup var output: FormatOptions

    @Option(help: "Residuals above this are reported as failures (a positive number).")
    var tolerance = 1e-5

    func validate() throws {
        // NaN would pass every residual (every comparison with it is false); ≤ 0 would fail all.
        guard tolerance.isFinite, tolerance > 0 else { throw ValidationError("--tolerance must be a positive number, got \(tolerance)") }
    }

    struct Entry: Encodable {
        let symmetry: String
        let layer: String
        let parameters: [String]
        let units: Int
        let residual: Double
        let lossResidual: Double

        enum CodingKeys: String, CodingKey {
            case symmetry, layer, parameters, units, residual, lossResidual = "loss_residual"
        }
    }

    func run() throws {
        let entries: [Entry] = try {
            let runConfig = try ConfigLoader.load(RunConfig.self, from: config)
            try runConfig.validate()
            let loss = try runConfig.loss ?? Self.defaultLoss(runConfig)
            let catalogue = try SymmetryCatalogue.infer(runConfig.model, loss: loss)
            var generator = RandomGenerator(seed: runConfig.seed).derived("symmetries")
            let model = try Model<Float>(runConfig.model, initializer: runConfig.initializer, generator: generator.derived("init"))
            return catalogue.map { spec in
                let result = spec.verify(on: model, loss: loss, using: &generator)
                return Entry(symmetry: spec.kind.rawValue, layer: spec.layer, parameters: spec.parameterNames, units: spec.units,
                             residual: result.residual, lossResidual: result.lossResidual)
            }
        }()
        try output.print(entries, table: {
            var lines = ["symmetry          layer                              units   residual   parameters"]
            for e in entries {
                let mark = max(e.residual, e.lossResidual) < tolerance ? " " : "!"
                lines.append("\(e.symmetry.padding(toLength: 17, withPad: " ", startingAt: 0)) \(e.layer.padding(toLength: 34, withPad: " ", startingAt: 0)) \(String(format: "%5d", e.units))  \(String(format: "%9.2e", e.residual))\(mark)  \(e.parameters.joined(separator: ", "))")
            }
            lines.append("\(entries.count) symmetries; residual = max |f(g·θ) − f(θ)| / max |f(θ)| on random inputs (Float32).")
            return lines.joined(separator: "\n")
        }, csv: {
            CSVTable(header: ["symmetry", "layer", "units", "residual", "loss_residual", "parameters"], rows: entries.map {
                [$0.symmetry, $0.layer, String($0.units), csvNumber($0.residual), csvNumber($0.lossResidual), $0.parameters.joined(separator: " ")]
            })
        })
        if let failing = entries.first(where: { max($0.residual, $0.lossResidual) >= tolerance }) {
            throw CommandFailure("\(failing.symmetry) of \(failing.layer) changed the model by \(failing.residual) (tolerance \(tolerance))")
        }
    }

    /// The loss a run would use: cross-entropy for class labels. An npz file may hold either,
    /// so it is read; every other kind says by itself.
    static func defaultLoss(_ config: RunConfig) throws -> LossKind {
        switch config.data.kind {
        case .fashionMNIST, .mnist, .cifar10, .csv, .gaussianMixture: return .crossEntropy
        case .modularAddition, .copying, .induction, .sparseParity, .text: return .crossEntropy
        case .staircase, .leap, .teacherStudent, .lowRank, .attentionTeacher: return .mse
        case .npz:
            let split = try config.data.load(using: RandomGenerator(seed: config.seed).derived("data"))
            return try Trainer.resolveLoss(nil, for: split.train.targets)
        }
    }
}
