import Foundation
import NoetherIO
import NoetherTensor

/// Loaders for datasets stored in files; every failure says which file and how to get it.
public enum FileDatasets {
    /// Where the Debian package `dataset-fashion-mnist` installs Fashion-MNIST.
    public static let fashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"

    /// The path of an IDX file, compressed or not.
    static func idxPath(_ directory: String, _ stem: String) -> String? {
        [stem, stem + ".gz"].map { "\(directory)/\($0)" }.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// MNIST-style IDX files (`train-images-idx3-ubyte[.gz]`, `t10k-…`) from a directory.
    public static func idx(directory: String, name: String, hint: String) throws(DataError) -> DataSplit {
        func load(_ prefix: String) throws(DataError) -> Dataset {
            guard let imagesPath = idxPath(directory, "\(prefix)-images-idx3-ubyte"),
                  let labelsPath = idxPath(directory, "\(prefix)-labels-idx1-ubyte") else {
                throw DataError("\(name) files \(prefix)-images-idx3-ubyte[.gz] and \(prefix)-labels-idx1-ubyte[.gz] are not in \(directory); \(hint)")
            }
            do {
                let images = try IDXArray(contentsOf: imagesPath)
                let labels = try IDXArray(contentsOf: labelsPath)
                guard images.shape.count == 3, labels.shape.count == 1, images.shape[0] == labels.shape[0] else {
                    throw DataError("\(imagesPath) (\(images.shape)) and \(labelsPath) (\(labels.shape)) do not describe the same images")
                }
                let (n, h, w) = (images.shape[0], images.shape[1], images.shape[2])
                let pixels: Tensor<Float> = images.tensor(scale: 1.0 / 255)
                let classes = try labels.integers(path: labelsPath)
                if let bad = classes.firstIndex(where: { !(0..<10).contains($0) }) {
                    throw DataError("\(labelsPath): label \(bad) is \(classes[bad]); \(name) labels are classes 0–9")
                }
                return Dataset(name: name, inputs: pixels.reshaped([n, h * w]),
                               targets: .classes(classes.map { Int32($0) }, classes: 10), sampleShape: [1, h, w])
            } catch let error as FileFormatError {
                throw DataError(error.description)
            } catch let error as DataError {
                throw error
            } catch {
                throw DataError("\(error)")
            }
        }
        return DataSplit(train: try load("train"), test: try load("t10k"))
    }

    /// CIFAR-10 binary batches (`data_batch_1.bin` … `data_batch_5.bin`, `test_batch.bin`).
    public static func cifar10(directory: String) throws(DataError) -> DataSplit {
        let hint = "download the CIFAR-10 binary version from https://www.cs.toronto.edu/~kriz/cifar.html and set data.dir to the folder holding data_batch_1.bin"
        func load(_ files: [String]) throws(DataError) -> Dataset {
            var images: [Tensor<Float>] = []
            var labels: [Int32] = []
            for file in files {
                do {
                    let (x, y) = try CIFAR10.read("\(directory)/\(file)", hint: hint)
                    images.append(x)
                    labels += y.map { Int32($0) }
                } catch {
                    throw DataError(error.description)
                }
            }
            return Dataset(name: "cifar10", inputs: Tensor.concatenate(images, alongAxis: 0),
                           targets: .classes(labels, classes: 10), sampleShape: [3, 32, 32])
        }
        return DataSplit(train: try load((1...5).map { "data_batch_\($0).bin" }), test: try load(["test_batch.bin"]))
    }

    /// A numeric CSV file: every column but the label column is an input.
    public static func csv(path: String, labelColumn: Int?, classes: Int?) throws(DataError) -> Dataset {
        let table: NumericTable
        do { table = try NumericTable(contentsOf: path) } catch { throw DataError(error.description) }
        let label = labelColumn ?? table.columns - 1
        guard table.columns >= 2, label >= 0, label < table.columns else {
            throw DataError("\(path) has \(table.columns) columns; label_column \(label) is out of range")
        }
        var inputs = Tensor<Float>(uninitializedShape: [table.rows, table.columns - 1])
        var labels: [Int32] = []
        inputs.withUnsafeMutableBufferPointer { x in
            var k = 0
            for r in 0..<table.rows {
                for c in 0..<table.columns where c != label {
                    x[k] = Float(table.values[r * table.columns + c])
                    k += 1
                }
            }
        }
        for r in 0..<table.rows {
            let value = table.values[r * table.columns + label]
            guard value.rounded() == value, value >= 0, value < 1e9 else {
                throw DataError("\(path) row \(r + 1): label \(value) is not a class index (a non-negative integer)")
            }
            labels.append(Int32(value))
        }
        let classCount = classes ?? Int(labels.max() ?? 0) + 1
        return Dataset(name: "csv", inputs: inputs, targets: .classes(labels, classes: classCount))
    }

    /// Arrays from an npz archive: inputs (any float or integer array, flattened per sample)
    /// and labels (integers: classification) or targets (floats: regression).
    public static func npz(path: String, inputsKey: String, labelsKey: String) throws(DataError) -> Dataset {
        do {
            let archive = try NumpyArchive(contentsOf: path)
            guard let x = archive.arrays[inputsKey] else {
                throw DataError("\(path) has no array '\(inputsKey)' (it has \(archive.arrays.keys.joined(separator: ", "))); set data.inputs_key")
            }
            guard let y = archive.arrays[labelsKey] else {
                throw DataError("\(path) has no array '\(labelsKey)' (it has \(archive.arrays.keys.joined(separator: ", "))); set data.labels_key")
            }
            guard let n = x.shape.first, n > 0, y.shape.first == n else {
                throw DataError("\(path): '\(inputsKey)' \(x.shape) and '\(labelsKey)' \(y.shape) need the same first dimension")
            }
            let features = x.count / n
            let inputs = x.tensor(as: Float.self).reshaped([n, features])
            let sampleShape = Array(x.shape.dropFirst())
            if y.encoding.isInteger {
                let labels = try y.integers(path: path)
                if let bad = labels.first(where: { $0 < 0 || $0 > Int(Int32.max) }) {
                    throw DataError("\(path): label \(bad) is not a class index (a non-negative integer)")
                }
                return Dataset(name: "npz", inputs: inputs, targets: .classes(labels.map { Int32($0) }, classes: (labels.max() ?? 0) + 1),
                               sampleShape: sampleShape)
            }
            let targets = y.tensor(as: Float.self).reshaped([n, y.count / n])
            return Dataset(name: "npz", inputs: inputs, targets: .values(targets), sampleShape: sampleShape)
        } catch let error as DataError {
            throw error
        } catch {
            throw DataError("\(error)")
        }
    }
}
