import Foundation
import NoetherTensor

extension FileDatasets {
    /// The bytes of a text file as next-byte prediction (vocabulary 256, no tokenizer): the file
    /// is cut into consecutive windows of `sequenceLength` bytes, each labelled at every position
    /// with the byte that follows it (so window w reads bytes [wS, wS + S) and predicts
    /// [wS + 1, wS + S + 1)). Trailing bytes that do not fill a window are dropped.
    public static func text(path: String, sequenceLength s: Int) throws(DataError) -> Dataset {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DataError("text file \(path) does not exist; set data.path to a UTF-8 or other byte-level text file")
        }
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw DataError("text file \(path) cannot be read; check its permissions")
        }
        let windows = s > 0 ? (bytes.count - 1) / s : 0
        guard windows >= 1 else {
            throw DataError("text file \(path) has \(bytes.count) bytes; sequence_length \(s) needs at least \(s + 1); use a longer file or a shorter sequence_length")
        }
        var inputs = Tensor<Float>(uninitializedShape: [windows, s])
        var labels = [Int32](repeating: 0, count: windows * s)
        bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            inputs.withUnsafeMutableBufferPointer { x in
                for i in 0..<(windows * s) {
                    x[i] = Float(raw[i])
                    labels[i] = Int32(raw[i + 1])
                }
            }
        }
        return Dataset(name: "text", inputs: inputs, targets: .classes(labels, classes: 256),
                       tokens: TokenSequenceLayout(vocabulary: 256, targetPositions: 0..<s))
    }

    /// Training and test windows of a text file: a separate test file, or else the file's last
    /// windows (1 − trainFraction of them) held out, contiguous so no test window overlaps a
    /// training one.
    public static func text(path: String, testPath: String?, sequenceLength s: Int, trainFraction: Double) throws(DataError) -> DataSplit {
        let all = try text(path: path, sequenceLength: s)
        if let testPath { return DataSplit(train: all, test: try text(path: testPath, sequenceLength: s)) }
        guard all.count >= 2 else {
            throw DataError("text file \(path) fills \(all.count) window of \(s) bytes; holding out a test window needs at least \(2 * s + 1) bytes (or set data.test_path)")
        }
        let trainCount = min(max(Int((trainFraction * Double(all.count)).rounded()), 1), all.count - 1)
        var test = all
        test.inputs = all.inputs.slice(alongAxis: 0, trainCount..<all.count)
        if case .classes(let labels, let classes) = all.targets {
            test.targets = .classes(Array(labels[(trainCount * s)...]), classes: classes)
        }
        return DataSplit(train: all.prefix(trainCount), test: test)
    }
}
