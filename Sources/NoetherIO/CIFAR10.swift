import NoetherTensor

/// The CIFAR-10 binary format: records of one label byte followed by 3072 pixel bytes
/// (1024 red, 1024 green, 1024 blue, row-major 32×32).
public enum CIFAR10 {
    public static let recordSize = 1 + 3 * 32 * 32

    /// Reads one batch file (`data_batch_1.bin` … `test_batch.bin`): images as `[N, 3·32·32]`
    /// scaled to [0, 1], and labels.
    public static func read(_ path: String, hint: String? = nil) throws(FileFormatError) -> (images: Tensor<Float>, labels: [Int]) {
        let bytes = try FileFormatError.readFile(path, hint: hint)
        guard !bytes.isEmpty, bytes.count % recordSize == 0 else {
            throw FileFormatError.corrupt(path, "CIFAR-10 binary", "its size \(bytes.count) is not a multiple of the \(recordSize)-byte record")
        }
        let n = bytes.count / recordSize
        var images = Tensor<Float>(uninitializedShape: [n, recordSize - 1])
        let labels = (0..<n).map { Int(bytes[$0 * recordSize]) }
        if let bad = labels.firstIndex(where: { $0 >= 10 }) {
            throw FileFormatError.corrupt(path, "CIFAR-10 binary", "record \(bad) has label \(labels[bad]), not 0–9")
        }
        images.withUnsafeMutableBufferPointer { out in
            for r in 0..<n {
                let base = r * recordSize
                for j in 0..<(recordSize - 1) { out[r * (recordSize - 1) + j] = Float(bytes[base + 1 + j]) / 255 }
            }
        }
        return (images, labels)
    }
}
