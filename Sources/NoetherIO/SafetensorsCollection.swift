import Foundation
import NoetherTensor

/// The tensors of a model stored as one safetensors file or as shards listed by
/// `model.safetensors.index.json` (`{"weight_map": {name: file}}`).
public struct SafetensorsCollection {
    public let files: [SafetensorsFile]
    /// Every tensor, in file order: its entry and the file that holds it.
    public let entries: [(entry: SafetensorsEntry, file: Int)]
    private let locations: [String: Int]

    /// Opens a `.safetensors` file, a `.safetensors.index.json`, or a directory holding either
    /// (`model.safetensors` or `model.safetensors.index.json`).
    public init(path: String) throws(FileFormatError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FileFormatError("\(path) does not exist")
        }
        var target = path
        if isDirectory.boolValue {
            let candidates = ["model.safetensors.index.json", "model.safetensors", "weights.safetensors"].map { "\(path)/\($0)" }
            guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
                throw FileFormatError("\(path) holds no model.safetensors, model.safetensors.index.json or weights.safetensors")
            }
            target = found
        }
        let lowered = target.lowercased()
        if [".bin", ".pt", ".pth", ".ckpt", ".pkl"].contains(where: lowered.hasSuffix) {
            throw FileFormatError("\(target) is a pickled PyTorch file, which Noether never unpickles; convert it with: "
                + "python -c \"import torch, safetensors.torch as s; s.save_file(torch.load('\(target)', map_location='cpu'), 'model.safetensors')\"")
        }
        var files: [SafetensorsFile] = []
        if lowered.hasSuffix(".json") {
            let folder = (target as NSString).deletingLastPathComponent
            // `model.safetensors.index.json` given on its own lives in the current folder.
            let directory = folder.isEmpty ? "." : folder
            guard let data = FileManager.default.contents(atPath: target) else {
                throw FileFormatError("\(target) cannot be read (check its permissions)")
            }
            for shard in try Self.shardNames(index: data, path: target) {
                files.append(try SafetensorsFile(contentsOf: "\(directory)/\(shard)"))
            }
        } else {
            files = [try SafetensorsFile(contentsOf: target)]
        }
        var entries: [(SafetensorsEntry, Int)] = []
        var locations: [String: Int] = [:]
        for (index, file) in files.enumerated() {
            for entry in file.entries {
                guard locations[entry.name] == nil else {
                    throw FileFormatError("tensor '\(entry.name)' appears in more than one shard of \(path)")
                }
                locations[entry.name] = index
                entries.append((entry, index))
            }
        }
        self.files = files
        self.entries = entries
        self.locations = locations
    }

    /// The shard files an index lists, each checked to lie in the index's folder.
    public static func shardNames(index data: Data, path: String) throws(FileFormatError) -> [String] {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let map = object["weight_map"] as? [String: String] else {
            throw FileFormatError.corrupt(path, "safetensors index", "it has no weight_map of tensor names to shard files")
        }
        let shards = Set(map.values).sorted()
        for shard in shards { try checkConfined(shard, index: path) }
        return shards
    }

    /// A shard must lie in the index's folder (or below it): an absolute name or one with `..`
    /// would let an index read any file on the machine.
    static func checkConfined(_ shard: String, index: String) throws(FileFormatError) {
        let components = shard.split(separator: "/", omittingEmptySubsequences: false)
        guard !shard.isEmpty, !shard.hasPrefix("/"), !components.contains(where: { $0 == ".." || $0.isEmpty }) else {
            throw FileFormatError.corrupt(index, "safetensors index",
                                          "shard '\(shard)' is not a file name in the index's folder (absolute paths and '..' are refused)")
        }
    }

    /// A tensor converted to `Scalar`.
    public func tensor<Scalar: TensorScalar>(_ name: String, as type: Scalar.Type = Scalar.self) throws(FileFormatError) -> Tensor<Scalar> {
        guard let index = locations[name] else { throw FileFormatError("the model has no tensor named '\(name)'") }
        return try files[index].tensor(name, as: type)
    }

    /// The total size of the tensors' data in bytes.
    public var dataBytes: Int { entries.reduce(0) { $0 + $1.entry.dataRange.count } }
}
