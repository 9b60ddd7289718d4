import Foundation
import Testing
import NoetherTensor
@testable import NoetherIO

@Suite("IDX, CIFAR-10 and CSV")
struct DatasetFormatTests {
    @Test func readsGzipCompressedIDX() throws {
        let array = try IDXArray(contentsOf: fixture("images.idx3-ubyte.gz"))
        #expect(array.shape == [2, 2, 3])
        #expect(try array.integers(path: "t") == Array(0..<12))
        #expect(array.tensor(scale: 0.5).scalars == (0..<12).map { Float($0) / 2 })
    }

    @Test func truncatedOrMislabelledIDXIsAnError() {
        let good = IDXArray.encode(uint8: [1, 2, 3, 4], shape: [2, 2])
        #expect(throws: FileFormatError.self) { try IDXArray(bytes: Array(good.dropLast()), path: "x") }
        var badType = good
        badType[2] = 0x42
        #expect(throws: FileFormatError.self) { try IDXArray(bytes: badType, path: "x") }
        #expect(throws: FileFormatError.self) { try IDXArray(bytes: [0x1F, 0x8B, 0, 0], path: "x") }
        #expect(throws: FileFormatError.self) { try IDXArray(contentsOf: "/missing/train-images-idx3-ubyte.gz", hint: "install it") }
    }

    @Test func damagedGzipStreamIsAnError() throws {
        var bytes = try FileFormatError.readFile(fixture("images.idx3-ubyte.gz"))
        bytes = Array(bytes.prefix(bytes.count - 12))
        #expect(throws: FileFormatError.self) { try Gzip.decompress(bytes, path: "t.gz") }
    }

    @Test func readsCIFAR10Records() throws {
        let path = temporaryDirectory() + "/data_batch_1.bin"
        var record = [UInt8](repeating: 0, count: CIFAR10.recordSize * 2)
        record[0] = 3
        record[1] = 255
        record[CIFAR10.recordSize] = 9
        try AtomicWrite.write(record, to: path)
        let (images, labels) = try CIFAR10.read(path)
        #expect(labels == [3, 9])
        #expect(images.shape == [2, 3072])
        #expect(images[0, 0] == 1)
        try AtomicWrite.write(Array(record.dropLast()), to: path)
        #expect(throws: FileFormatError.self) { try CIFAR10.read(path) }
    }

    @Test func readsNumericCSVWithAndWithoutHeader() throws {
        let table = try NumericTable(text: "a,b,label\n1.5, 2, 0\n-3,4e-1,1\n", path: "t.csv")
        #expect(table.header == ["a", "b", "label"])
        #expect(table.rows == 2 && table.columns == 3)
        #expect(table.values == [1.5, 2, 0, -3, 0.4, 1])
        #expect(try NumericTable(text: "1,2\n3,4", path: "t.csv").header == nil)
        #expect(throws: FileFormatError.self) { try NumericTable(text: "1,2\n3", path: "t.csv") }
        #expect(throws: FileFormatError.self) { try NumericTable(text: "1,2\n3,x", path: "t.csv") }
        #expect(throws: FileFormatError.self) { try NumericTable(text: "a,b\n", path: "t.csv") }
    }
}
