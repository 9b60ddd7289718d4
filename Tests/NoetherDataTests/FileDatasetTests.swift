import Foundation
import Testing
import NoetherIO
import NoetherTensor
@testable import NoetherData

func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "noether-data-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite("Datasets from files")
struct FileDatasetTests {
    @Test func missingFashionMNISTSaysHowToInstallIt() {
        var spec = DataSpec(kind: .fashionMNIST)
        spec.dir = "/nonexistent/fashion"
        #expect {
            try spec.load(using: RandomGenerator(seed: 0))
        } throws: { error in
            "\(error)".contains("apt-get install dataset-fashion-mnist")
        }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: FileDatasets.fashionMNISTDirectory)))
    func loadsTheInstalledFashionMNIST() throws {
        var spec = DataSpec(kind: .fashionMNIST)
        (spec.train, spec.test, spec.normalize) = (1000, 500, false)
        let split = try spec.load(using: RandomGenerator(seed: 0))
        #expect(split.train.inputs.shape == [1000, 784])
        #expect(split.test.count == 500)
        #expect(split.train.sampleShape == [1, 28, 28])
        #expect(split.train.inputs.min() >= 0 && split.train.inputs.max() <= 1)
        guard case .classes(let labels, 10) = split.train.targets else { Issue.record("expected 10 classes"); return }
        #expect(Set(labels).count == 10)
    }

    @Test func writtenIDXFilesLoadAsMNIST() throws {
        let dir = temporaryDirectory()
        for prefix in ["train", "t10k"] {
            try AtomicWrite.write(IDXArray.encode(uint8: [UInt8](repeating: 51, count: 3 * 4), shape: [3, 2, 2]), to: "\(dir)/\(prefix)-images-idx3-ubyte")
            try AtomicWrite.write(IDXArray.encode(uint8: [1, 2, 9], shape: [3]), to: "\(dir)/\(prefix)-labels-idx1-ubyte")
        }
        var spec = DataSpec(kind: .mnist)
        (spec.dir, spec.normalize) = (dir, false)
        let split = try spec.load(using: RandomGenerator(seed: 0))
        #expect(split.train.inputs.scalars == [Float](repeating: 0.2, count: 12))
        #expect(split.train.targets == .classes([1, 2, 9], classes: 10))
    }

    @Test func csvAndNpzDatasetsHoldOutATestSet() throws {
        let dir = temporaryDirectory()
        let rows = (0..<10).map { "\($0),\(Double($0) / 2),\($0 % 3)" }.joined(separator: "\n")
        try AtomicWrite.write(Data(("a,b,label\n" + rows).utf8), to: "\(dir)/d.csv")
        var csv = DataSpec(kind: .csv)
        csv.path = "\(dir)/d.csv"
        let split = try csv.load(using: RandomGenerator(seed: 0))
        #expect(split.train.count == 8 && split.test.count == 2)
        #expect(split.train.targets == .classes([0, 1, 2, 0, 1, 2, 0, 1], classes: 3))

        let x = Tensor<Float>(rows: [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]])
        try NumpyArchive(["x": NumpyArray(x), "y": NumpyArray(integers: [0, 1, 0, 1, 1])]).write(to: "\(dir)/d.npz")
        var npz = DataSpec(kind: .npz)
        (npz.path, npz.test) = ("\(dir)/d.npz", 1)
        let fromNpz = try npz.load(using: RandomGenerator(seed: 0))
        #expect(fromNpz.train.inputs == x.slice(alongAxis: 0, 0..<4))
        #expect(fromNpz.test.targets == .classes([1], classes: 2))
        npz.inputsKey = "inputs"
        #expect(throws: DataError.self) { try npz.load(using: RandomGenerator(seed: 0)) }
    }

    @Test func nanInDataIsRejected() throws {
        let dir = temporaryDirectory()
        let x = Tensor<Float>(rows: [[1, .nan], [3, 4], [5, 6]])
        try NumpyArchive(["x": NumpyArray(x), "y": NumpyArray(integers: [0, 1, 0])]).write(to: "\(dir)/nan.npz")
        var spec = DataSpec(kind: .npz)
        (spec.path, spec.test) = ("\(dir)/nan.npz", 1)
        #expect(throws: DataError.self) { try spec.load(using: RandomGenerator(seed: 0)) }
    }
}
