import Foundation
import NoetherData
import NoetherIO
import NoetherNN
import NoetherTensor
import OrderedCollections

/// Everything besides tensors that a resumed run needs to continue exactly where it stopped.
public struct CheckpointState: Codable, Equatable, Sendable {
    public var step: Int
    /// The model the weights belong to, so a checkpoint is readable on its own.
    public var model: ModelSpec?
    /// The optimiser the moment buffers belong to.
    public var optimizer: OptimizerSpec?
    public var optimizerStep: Int
    public var noise: RandomGenerator
    public var sampler: BatchSampler
    /// The running sum and count of batch losses since the last evaluation.
    public var batchLossSum: Double
    public var batchLossCount: Int
    public var elapsedSeconds: Double
    /// The symmetry tracker's detector and reference values.
    public var tracker: Data?
}

/// A checkpoint directory `checkpoints/step-NNNNNNNN/` holding `weights.safetensors`,
/// `optimizer.safetensors` (moment buffers) and `state.json`; written to a temporary name and
/// renamed, so a checkpoint is either complete or absent.
public enum Checkpoint {
    static let keep = 2

    static func name(_ step: Int) -> String {
        let digits = String(step)
        return "step-" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// Saves a checkpoint and removes all but the newest ``keep``.
    public static func save(in run: RunDirectory, parameters: Parameters<Float>, optimizer: Optimizer<Float>, state: CheckpointState) throws(RunError) {
        let final = "\(run.checkpointsPath)/\(name(state.step))"
        let temporary = final + ".partial"
        do {
            try? FileManager.default.removeItem(atPath: temporary)
            try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
            try SafetensorsFile.write(parameters.tensors, to: "\(temporary)/weights.safetensors")
            var moments = OrderedDictionary<String, Tensor<Float>>()
            for (index, name) in parameters.names.enumerated() {
                if index < optimizer.firstMoments.count { moments["first.\(name)"] = optimizer.firstMoments[index] }
                if index < optimizer.secondMoments.count { moments["second.\(name)"] = optimizer.secondMoments[index] }
            }
            try SafetensorsFile.write(moments, to: "\(temporary)/optimizer.safetensors")
            try AtomicWrite.write(try JSONFormat.encoder().encode(state), to: "\(temporary)/state.json")
            try? FileManager.default.removeItem(atPath: final)
            try FileManager.default.moveItem(atPath: temporary, toPath: final)
        } catch let error as FileFormatError {
            throw RunError("cannot write checkpoint \(final): \(error.description)")
        } catch {
            throw RunError("cannot write checkpoint \(final): \(error.localizedDescription)")
        }
        // Renamed first (atomic) so that a kill during the removal leaves a `.removing` folder,
        // which the next start deletes, never a half-deleted checkpoint that looks complete.
        for old in all(in: run).dropLast(keep) where rename(old.path, old.path + ".removing") == 0 {
            try? FileManager.default.removeItem(atPath: old.path + ".removing")
        }
    }

    /// Complete checkpoints, oldest first.
    public static func all(in run: RunDirectory) -> [(step: Int, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: run.checkpointsPath)) ?? []
        return names.compactMap { name in
            guard name.hasPrefix("step-"), let step = Int(name.dropFirst(5)) else { return nil }
            let path = "\(run.checkpointsPath)/\(name)"
            return FileManager.default.fileExists(atPath: "\(path)/state.json") ? (step, path) : nil
        }.sorted { $0.step < $1.step }
    }

    /// Loads a checkpoint for `architecture`, checking every tensor against the layout.
    public static func load(_ path: String, architecture: Architecture, optimizer spec: OptimizerSpec) throws(RunError) -> (Parameters<Float>, Optimizer<Float>, CheckpointState) {
        do {
            let weights = try SafetensorsFile(contentsOf: "\(path)/weights.safetensors")
            let parameters = try Model<Float>(architecture.spec, parameters: Parameters(try weights.tensors(as: Float.self))).parameters
            let moments = try SafetensorsFile(contentsOf: "\(path)/optimizer.safetensors").tensors(as: Float.self)
            guard let data = FileManager.default.contents(atPath: "\(path)/state.json") else {
                throw RunError("checkpoint \(path) has no state.json")
            }
            let state = try JSONFormat.decoder().decode(CheckpointState.self, from: data)
            let first = parameters.names.compactMap { moments["first.\($0)"] }
            let second = parameters.names.compactMap { moments["second.\($0)"] }
            let optimizer = Optimizer<Float>(spec, step: state.optimizerStep, firstMoments: first, secondMoments: second, noise: state.noise)
            return (parameters, optimizer, state)
        } catch let error as RunError {
            throw error
        } catch let error as FileFormatError {
            throw RunError("checkpoint \(path) is damaged: \(error.description); remove it to resume from an earlier one")
        } catch let error as ModelSpecError {
            throw RunError("checkpoint \(path) does not fit the model: \(error.description)")
        } catch {
            throw RunError("checkpoint \(path) is damaged (\(error)); remove it to resume from an earlier one")
        }
    }
}
