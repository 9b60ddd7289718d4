import Foundation
import NoetherIO
import NoetherTraining
import NoetherTensor

/// One function per parser: each reads untrusted bytes and uses what it read the way the
/// commands do, so a finding is a real way to crash `noether`. Errors are the expected outcome
/// for most inputs and are ignored; only traps, sanitizer reports and runaway allocations count.
public enum FuzzTargets {
    static let path = "fuzz-input"

    public static func safetensors(_ bytes: [UInt8]) {
        guard let file = try? SafetensorsFile(bytes: bytes, path: path) else { return }
        for entry in file.entries { _ = try? file.tensor(entry.name, as: Float.self) }
    }

    public static func safetensorsIndex(_ bytes: [UInt8]) {
        _ = try? SafetensorsCollection.shardNames(index: Data(bytes), path: path)
    }

    public static func npy(_ bytes: [UInt8]) {
        guard let array = try? NumpyArray(bytes: bytes, path: path) else { return }
        use(array)
    }

    public static func npz(_ bytes: [UInt8]) {
        guard let archive = try? NumpyArchive(bytes: bytes, path: path) else { return }
        for array in archive.arrays.values { use(array) }
    }

    public static func idx(_ bytes: [UInt8]) {
        guard let array = try? IDXArray(fileBytes: bytes, path: path) else { return }
        let values: Tensor<Float> = array.tensor(scale: 1.0 / 255)
        _ = values.count
        _ = try? array.integers(path: path)
    }

    public static func csv(_ bytes: [UInt8]) {
        _ = try? NumericTable(text: String(decoding: bytes, as: UTF8.self), path: path)
    }

    /// YAML, or JSON when the input starts with `{`; a config that loads is also validated and
    /// its memory estimated, as `noether train` does before allocating anything.
    public static func config(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        let format: ConfigLoader.Format = bytes.first == UInt8(ascii: "{") ? .json : .yaml
        guard let config = try? ConfigLoader.decode(RunConfig.self, from: text, format: format, source: path) else { return }
        _ = try? config.validate()
        _ = MemoryEstimate(config)
    }

    public static func tensorBoard(_ bytes: [UInt8]) {
        _ = try? TensorBoardReader.events(bytes: bytes, path: path)
    }

    static func use(_ array: NumpyArray) {
        let values: Tensor<Float> = array.tensor()
        _ = values.count
        if array.encoding.isInteger { _ = try? array.integers(path: path) }
    }
}
