import Foundation
import NoetherData
import NoetherIO
import NoetherNN
import NoetherSymmetry
import NoetherTensor
import NoetherTraining

/// A trained run as the symmetry commands use it: its config, model, loss and data.
public struct LoadedRun: Sendable {
    public let path: String
    public let config: RunConfig
    public let model: Model<Float>

    public init(_ path: String) throws(RunError) {
        self.path = path
        (config, model) = try RunLoader.load(path)
    }

    /// The data a command measures on: `--data` when given, else the run's own data (drawn
    /// with the run's seed, so synthetic data is the training data).
    public func data(_ argument: String?) throws(RunError) -> DataSplit {
        let spec = try argument.map { argument throws(RunError) in try RunLoader.dataSpec(argument) } ?? config.data
        let split: DataSplit
        do { split = try spec.load(using: RandomGenerator(seed: config.seed).derived("data")) } catch { throw RunError(error) }
        guard split.train.featureCount == model.spec.inputCount else {
            throw RunError("the data has \(split.train.featureCount) features per sample but the model of \(path) takes \(model.spec.inputCount)",
                           hint: "pass --data with the data the run was trained on")
        }
        return split
    }

    /// The run's loss (as training resolved it).
    public func loss(for split: DataSplit) throws(RunError) -> LossKind {
        try Trainer.resolveLoss(config.loss, for: split.train.targets)
    }

    /// The first `count` training samples (all when fewer), for function checks and statistics.
    public static func inputs(_ dataset: Dataset, count: Int) -> Tensor<Float> {
        dataset.inputs.slice(alongAxis: 0, 0..<min(count, dataset.count))
    }
}

/// Writing an ordinary run directory for a model a symmetry command made: `config.json` (the
/// source run's config with `model` replaced where it changed), `weights.safetensors`, and a
/// JSON record of how it was made, so `predict`, `analyze` and PyTorch load it like any run.
public enum DerivedRun {
    public static func write(_ out: String, config: RunConfig, parameters: Parameters<Float>, provenance: (file: String, json: Data)?,
                             metadata: [String: String]) throws(RunError) {
        let run = RunDirectory(out)
        if run.exists { try run.clear() }
        try run.create()
        try run.writeJSON(ConfigLoader.canonicalJSON(config), to: run.configPath)
        do {
            try SafetensorsFile.write(parameters.tensors, metadata: metadata.merging(["format": "pt"]) { a, _ in a }, to: run.weightsPath)
        } catch {
            throw RunError(error)
        }
        if let provenance { try run.writeJSON(provenance.json, to: "\(out)/\(provenance.file)") }
        // The directory must open as a run before anything is reported written.
        _ = try RunLoader.load(out)
    }
}
