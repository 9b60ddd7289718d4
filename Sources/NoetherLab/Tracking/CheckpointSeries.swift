import Foundation
import NoetherIO
import NoetherTraining

/// A series of checkpoints of one run trained elsewhere, in step order: safetensors files or
/// checkpoint folders (a Hugging Face `checkpoint-1000/`, a sharded index), each with its step.
public struct CheckpointSeries: Sendable {
    public struct Checkpoint: Sendable, Equatable {
        public let path: String
        public let step: Int
    }

    public let checkpoints: [Checkpoint]

    /// The checkpoints named by `inputs` — files, folders or glob patterns. A folder whose
    /// subfolders hold safetensors contributes those subfolders; another folder contributes its
    /// `.safetensors` files (or itself, when they are the shards of one index, or its one file in a
    /// folder whose name carries a step, as `checkpoint-1000/`). The step of each
    /// comes from `steps` when given (in the order of the checkpoints' names), else from its name
    /// (`step-1000`, `checkpoint-1000`, `epoch_3`, `global_step1000`), else from the file's
    /// `__metadata__` (`step`, `global_step`, `epoch`).
    public init(_ inputs: [String], steps: [Int]? = nil) throws(RunError) {
        var paths: [String] = []
        for input in inputs { paths += try Self.expand(input) }
        paths = Array(Set(paths)).sorted { $0.localizedStandardCompare($1) == .orderedAscending }
        guard !paths.isEmpty else {
            throw RunError("no checkpoints found in \(inputs.joined(separator: ", "))",
                           hint: "give safetensors files, checkpoint folders, a folder of them, or a glob such as 'ckpts/step-*.safetensors'")
        }
        var found: [Checkpoint] = []
        if let steps {
            guard steps.count == paths.count else {
                throw RunError("--steps gives \(steps.count) steps for \(paths.count) checkpoints", hint: "give one step per checkpoint, in the order of their names")
            }
            found = zip(paths, steps).map { Checkpoint(path: $0, step: $1) }
        } else {
            for path in paths {
                guard let step = Self.step(fromName: path) ?? Self.step(fromMetadata: path) else {
                    throw RunError("cannot tell the step of \(path): its name has none (step-N, checkpoint-N, epoch_N) and its metadata neither",
                                   hint: "rename the checkpoints, or give their steps in order with --steps 0,100,200,…")
                }
                found.append(Checkpoint(path: path, step: step))
            }
        }
        found.sort { $0.step < $1.step }
        for (a, b) in zip(found, found.dropFirst()) where a.step == b.step {
            throw RunError("\(a.path) and \(b.path) are both at step \(a.step)", hint: "give their steps with --steps")
        }
        checkpoints = found
    }

    static func expand(_ input: String) throws(RunError) -> [String] {
        if input.contains(where: { "*?[".contains($0) }) {
            var paths: [String] = []
            for path in try glob(input) { paths += try expand(path) }
            return paths
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory) else {
            throw RunError("\(input) does not exist", hint: "give safetensors files, checkpoint folders or a glob")
        }
        guard isDirectory.boolValue else { return [input] }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: input)) ?? []).sorted()
        let folders = names.map { "\(input)/\($0)" }.filter { holdsWeights($0) }
        if !folders.isEmpty { return folders }
        let files = names.filter { $0.hasSuffix(".safetensors") }
        // A checkpoint folder itself: sharded, or one weights file in a folder named by its step
        // (checkpoint-1000/model.safetensors); a folder of several files is a series of them.
        if names.contains(where: { $0.hasSuffix(".safetensors.index.json") }) || (files.count == 1 && step(fromName: input) != nil) { return [input] }
        return files.map { "\(input)/\($0)" }
    }

    /// Whether `path` is a folder with safetensors in it (a checkpoint folder).
    static func holdsWeights(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return false }
        return ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).contains { $0.hasSuffix(".safetensors") }
    }

    static func glob(_ pattern: String) throws(RunError) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { throw RunError("no files match \(pattern)") }
        return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }
    }

    /// The step in a checkpoint's file or folder name.
    static func step(fromName path: String) -> Int? {
        let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        let pattern = /(?i)(?:global_step|checkpoint|ckpt|step|iteration|iter|epoch)[-_=]?(\d+)/
        guard let match = name.firstMatch(of: pattern) else { return nil }
        return Int(match.1)
    }

    /// The step in a checkpoint's safetensors `__metadata__`.
    static func step(fromMetadata path: String) -> Int? {
        guard let collection = try? SafetensorsCollection(path: path) else { return nil }
        for file in collection.files {
            for key in ["step", "global_step", "epoch"] {
                if let text = file.metadata[key], let step = Int(text) { return step }
            }
        }
        return nil
    }
}
