import Foundation
import Testing
import NoetherTensor
@testable import NoetherIO

@Suite("npy and npz files written by numpy")
struct NumpyTests {
    let expected = (0..<12).map { Float($0) / 4 }

    @Test func readsCOrderFloat32() throws {
        let array = try NumpyArray(contentsOf: fixture("c_order_f4.npy"))
        #expect(array.shape == [3, 4])
        #expect(array.tensor(as: Float.self).scalars == expected)
    }

    @Test func readsFortranOrderAndBigEndian() throws {
        let fortran = try NumpyArray(contentsOf: fixture("fortran_f8.npy")).tensor(as: Double.self)
        #expect(fortran.shape == [2, 3] && fortran.scalars == [0, 1, 2, 3, 4, 5])
        #expect(try NumpyArray(contentsOf: fixture("big_endian_f4.npy")).tensor(as: Float.self).scalars == expected)
    }

    @Test func readsIntegerBoolByteAndHalfDtypes() throws {
        #expect(try NumpyArray(contentsOf: fixture("labels_i8.npy")).integers(path: "") == [3, 1, 4, 1, 5])
        #expect(try NumpyArray(contentsOf: fixture("bool_b1.npy")).integers(path: "") == [1, 0, 1])
        #expect(try NumpyArray(contentsOf: fixture("uint8_u1.npy")).integers(path: "") == [0, 255, 7, 128])
        let half = try NumpyArray(contentsOf: fixture("half_f2.npy")).tensor(as: Double.self).scalars
        #expect(half[0] == 1.5 && half[1] == -2 && half[2] == 65504)
        #expect(abs(half[3] - 5.960464477539063e-08) < 1e-15)  // numpy's float16(6e-8), a subnormal
    }

    @Test func encodingIsByteIdenticalToNumpys() throws {
        let original = try FileFormatError.readFile(fixture("c_order_f4.npy"))
        let tensor = Tensor<Float>(shape: [3, 4], scalars: expected)
        #expect(NumpyArray(tensor).encoded() == original)
    }

    @Test func storedAndDeflatedArchives() throws {
        let stored = try NumpyArchive(contentsOf: fixture("stored.npz"))
        #expect(Array(stored.arrays.keys) == ["x", "y"])
        #expect(stored.arrays["x"]?.tensor(as: Float.self).scalars == expected)
        let deflated = try NumpyArchive(contentsOf: fixture("deflated.npz"))
        #expect(deflated.arrays["x"]?.shape == [150, 4])
        #expect(try deflated.arrays["y"]?.integers(path: "").prefix(12) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
    }

    @Test func archiveRoundTrips() throws {
        let path = temporaryDirectory() + "/round.npz"
        let tensor = Tensor<Double>(rows: [[1, -2.5], [3, 4]])
        try NumpyArchive(["w": NumpyArray(tensor), "labels": NumpyArray(integers: [2, 0])]).write(to: path)
        let back = try NumpyArchive(contentsOf: path)
        #expect(back.arrays["w"]?.tensor(as: Double.self) == tensor)
        #expect(try back.arrays["labels"]?.integers(path: path) == [2, 0])
    }

    @Test func corruptFilesGiveErrorsNotTraps() throws {
        let good = try FileFormatError.readFile(fixture("c_order_f4.npy"))
        for bad in [Array(good.prefix(100)), Array(good.prefix(9)), [UInt8](repeating: 0, count: 200), Array(good.dropLast(4))] {
            #expect(throws: FileFormatError.self) { try NumpyArray(bytes: bad, path: "bad.npy") }
        }
        let zip = try FileFormatError.readFile(fixture("deflated.npz"))
        var damaged = zip
        for i in 60..<120 { damaged[i] ^= 0x5A }
        #expect(throws: FileFormatError.self) { try NumpyArchive(bytes: damaged, path: "bad.npz") }
        #expect(throws: FileFormatError.self) { try NumpyArchive(bytes: Array(zip.prefix(30)), path: "short.npz") }
        #expect(throws: FileFormatError.self) { try NumpyArray(contentsOf: "/nonexistent/file.npy") }
    }
}
