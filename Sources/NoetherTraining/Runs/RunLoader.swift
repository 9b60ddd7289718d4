import Foundation
import NoetherData
import NoetherIO
import NoetherNN
import NoetherTensor

/// Opens finished (or checkpointed) runs for analysis.
public enum RunLoader {
    /// The resolved config and final model of a run directory.
    public static func load(_ path: String) throws(RunError) -> (RunConfig, Model<Float>) {
        let run = RunDirectory(path)
        guard FileManager.default.fileExists(atPath: run.configPath) else {
            throw RunError("\(path) is not a run directory (no config.json)", hint: "pass the folder `noether train` wrote")
        }
        guard let config = run.recordedConfig() else { throw RunError("\(run.configPath) cannot be read as a run config") }
        let weightsPath = FileManager.default.fileExists(atPath: run.weightsPath)
            ? run.weightsPath
            : Checkpoint.all(in: run).last.map { "\($0.path)/weights.safetensors" }
        guard let weightsPath else { throw RunError("\(path) has no weights yet (neither weights.safetensors nor a checkpoint)") }
        do {
            let tensors = try SafetensorsFile(contentsOf: weightsPath).tensors(as: Float.self)
            return (config, try Model<Float>(config.model, parameters: Parameters(tensors)))
        } catch let error as FileFormatError {
            throw RunError(error)
        } catch let error as ModelSpecError {
            throw RunError("\(weightsPath) does not fit the run's model: \(error.description)")
        } catch {
            throw RunError("\(error)")
        }
    }

    /// A data spec from a command-line argument: a YAML/JSON file holding a data spec or a
    /// whole run config, or the name of a built-in data kind (with its defaults).
    public static func dataSpec(_ argument: String) throws(RunError) -> DataSpec {
        if FileManager.default.fileExists(atPath: argument) {
            if let spec = try? ConfigLoader.load(DataSpec.self, from: argument) { return spec }
            return try ConfigLoader.load(RunConfig.self, from: argument).data
        }
        guard let kind = DataSpec.Kind(rawValue: argument) else {
            throw RunError("--data '\(argument)' is neither a file nor a data kind (\(DataSpec.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return DataSpec(kind: kind)
    }
}
