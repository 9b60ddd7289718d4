import Foundation
import Testing
import NoetherTensor
@testable import NoetherIO

/// Malformed files of every format (issue 17): each is a one-line FileFormatError, never a trap,
/// an allocation of what a header claims, or silently altered data.
@Suite("Hostile inputs are errors, not crashes")
struct HostileInputTests {
    static let floats: [UInt8] = [Float](arrayLiteral: 1, 2, 3, 4).withUnsafeBytes { Array($0) }

    static func safetensors(_ header: String, _ body: [UInt8] = floats) -> [UInt8] {
        let json = Array(header.utf8)
        return (0..<8).map { UInt8((UInt64(json.count) >> (8 * UInt64($0))) & 0xFF) } + json + body
    }

    static func npy(_ dict: String, _ body: [UInt8] = floats) -> [UInt8] {
        let header = Array((dict + "\n").utf8)
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)] + header + body
    }

    static func idx(_ type: UInt8, _ shape: [UInt32], _ payload: [UInt8]) -> [UInt8] {
        [0, 0, type, UInt8(shape.count)] + shape.flatMap { d in [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: d >> $0) } } + payload
    }

    func expectError(_ message: String, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected an error mentioning '\(message)'")
        } catch let error as FileFormatError {
            #expect(error.description.contains(message), "\(error.description)")
        } catch {
            Issue.record("expected a FileFormatError, got \(error)")
        }
    }

    // Defect 1: sizes whose product overflows.
    @Test func safetensorsShapesThatOverflowAreErrors() {
        for shape in ["[4611686018427387904]", "[2147483648, 2147483648]", "[0, 4611686018427387904, 4611686018427387904]"] {
            let bytes = Self.safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":\(shape),\"data_offsets\":[0,16]}}")
            #expect(throws: FileFormatError.self) { try SafetensorsFile(bytes: bytes, path: "m.safetensors") }
        }
        expectError("larger than any file") {
            _ = try SafetensorsFile(bytes: Self.safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,16]}}"), path: "m")
        }
    }

    @Test func npyShapesThatOverflowAreErrors() {
        expectError("larger than any file") {
            _ = try NumpyArray(bytes: Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904,), }"), path: "a.npy")
        }
        // A zero extent makes the array empty whatever the others are.
        let empty = Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4611686018427387904, 4611686018427387904), }", [])
        #expect((try? NumpyArray(bytes: empty, path: "a.npy"))?.count == 0)
    }

    // Defect 2: any rank is an error or an array, never a crash.
    @Test func ranksAboveSixAreRefused() {
        expectError("rank 7") {
            _ = try NumpyArray(bytes: Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 4), }"), path: "a.npy")
        }
        expectError("rank 7") {
            _ = try SafetensorsFile(bytes: Self.safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,4],\"data_offsets\":[0,16]}}"), path: "m")
        }
        expectError("rank 9") { _ = try IDXArray(bytes: Self.idx(0x08, Array(repeating: 1, count: 9), [7]), path: "x.idx") }
    }

    // Defect 3: float labels that name no class.
    @Test func idxFloatLabelsMustBeWholeNumbers() throws {
        for value: Float in [.nan, .infinity, 1e19, 1.5] {
            let array = try IDXArray(bytes: Self.idx(0x0D, [2], (Array(withUnsafeBytes(of: value.bitPattern.bigEndian) { Array($0) }) + [0x3F, 0x80, 0, 0])), path: "l.idx")
            #expect(throws: FileFormatError.self) { try array.integers(path: "l.idx") }
        }
        let whole = try IDXArray(bytes: Self.idx(0x0D, [2], [0x40, 0, 0, 0, 0x3F, 0x80, 0, 0]), path: "l.idx")
        #expect(try whole.integers(path: "l.idx") == [2, 1])
    }

    // Fuzzing finding: a zero extent next to huge ones made `count` overflow.
    @Test func idxZeroExtentWithHugeOnesIsEmpty() throws {
        let array = try IDXArray(bytes: Self.idx(0x08, [0, 0x8000_0000, 0x8000_0000, 0x8000_0000], []), path: "x.idx")
        #expect(array.count == 0)
        let tensor: Tensor<Float> = array.tensor()
        #expect(tensor.count == 0)
    }

    // Defect 13 (IDX) and a fuzzing finding: a gzip file inflates to at most what its header declares.
    @Test func idxGzipBombStopsAtTheDeclaredSize() throws {
        let directory = temporaryDirectory()
        let bomb = try gzip(Self.idx(0x08, [1, 1], [0]) + [UInt8](repeating: 0, count: 8 << 20), in: directory)
        expectError("inflates to more than 13 bytes") { _ = try IDXArray(contentsOf: bomb) }
        // A header that declares a terabyte is not believed: nothing that large is allocated.
        let liar = try gzip(Self.idx(0x08, [0x10_0000, 0x10_0000], [1, 2, 3]), in: directory)
        #expect(throws: FileFormatError.self) { try IDXArray(contentsOf: liar) }
        let valid = try gzip(Self.idx(0x08, [3], [1, 2, 3]), in: directory)
        #expect(try IDXArray(contentsOf: valid).integers(path: valid) == [1, 2, 3])
    }

    func gzip(_ bytes: [UInt8], in directory: String) throws -> String {
        let path = "\(directory)/\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-f", path]
        try process.run()
        process.waitUntilExit()
        return path + ".gz"
    }

    // Defect 4: zip archives.
    @Test func npzCRCIsChecked() throws {
        var bytes = NumpyArchive(["x": NumpyArray(Tensor<Float>([1, 2, 3, 4]))]).encoded()
        // Flip one bit of the last data byte (inside the member, before the directory).
        let directory = bytes.indices.last { bytes[$0] == 0x50 && bytes[$0 + 1] == 0x4B && bytes[$0 + 2] == 1 && bytes[$0 + 3] == 2 } ?? 0
        bytes[directory - 1] ^= 1
        expectError("CRC-32") { _ = try NumpyArchive(bytes: bytes, path: "x.npz") }
    }

    @Test func npzDeclaredSizesAreCheckedAgainstTheFile() throws {
        let original = NumpyArchive(["x": NumpyArray(Tensor<Float>([1, 2, 3, 4]))]).encoded()
        let entry = original.indices.last { original[$0] == 0x50 && original[$0 + 1] == 0x4B && original[$0 + 2] == 1 && original[$0 + 3] == 2 } ?? 0
        // A stored member declaring 2⁴⁰ − 1 bytes, and one whose sizes disagree.
        var huge = original
        for k in 0..<4 { huge[entry + 20 + k] = 0xFF; huge[entry + 24 + k] = 0xFF }
        huge[entry + 42..<entry + 46] = [0, 0, 0, 0]
        #expect(throws: FileFormatError.self) { try NumpyArchive(bytes: huge, path: "x.npz") }
        var mismatched = original
        mismatched[entry + 24] &+= 1
        expectError("declares") { _ = try NumpyArchive(bytes: mismatched, path: "x.npz") }
    }

    // A deflated member declaring 4 GB (a 3 KB file reached 4.1 GB of RSS): refused from the
    // declared size alone, which deflate cannot reach from so few compressed bytes.
    @Test func deflatedMembersCannotDeclareMoreThanDeflateAllows() throws {
        let directory = temporaryDirectory()
        let python = """
            import io, zipfile, sys
            b = io.BytesIO()
            with zipfile.ZipFile(b, 'w', zipfile.ZIP_DEFLATED) as z: z.writestr('x.npy', bytes(200))
            open(sys.argv[1], 'wb').write(b.getvalue())
            """
        let path = "\(directory)/x.npz"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", python, path]
        try process.run()
        process.waitUntilExit()
        var bytes = try FileFormatError.readFile(path)
        let entry = bytes.indices.last { bytes[$0] == 0x50 && bytes[$0 + 1] == 0x4B && bytes[$0 + 2] == 1 && bytes[$0 + 3] == 2 } ?? 0
        bytes[entry + 24..<entry + 28] = [0xFE, 0xFF, 0xFF, 0xFF]
        expectError("more than its") { _ = try NumpyArchive(bytes: bytes, path: path) }
    }

    @Test func zip64FieldsAboveTwoToTheSixtyThreeAreErrors() {
        let bytes = zip64(NumpyArchive(["x": NumpyArray(Tensor<Float>([1, 2]))]).encoded(), offset: UInt64.max)
        expectError("too large") { _ = try NumpyArchive(bytes: bytes, path: "x.npz") }
    }

    @Test func validZip64ArchivesAreRead() throws {
        let archive = NumpyArchive(["x": NumpyArray(Tensor<Float>([1, 2, 3])), "y": NumpyArray(integers: [4, 5])])
        let read = try NumpyArchive(bytes: zip64(archive.encoded()), path: "x.npz")
        #expect(read.arrays["x"]?.tensor(as: Float.self).scalars == [1, 2, 3])
        #expect(try read.arrays["y"]?.integers(path: "") == [4, 5])
    }

    /// Rewrites a plain zip's end record in zip64 form (as zip tools do for more than 65,535
    /// members or 4 GiB): saturated fields, a zip64 end record and its locator. `offset`
    /// overrides the directory offset the zip64 record gives.
    func zip64(_ zip: [UInt8], offset: UInt64? = nil) -> [UInt8] {
        let end = zip.count - 22
        func le(_ value: UInt64, _ bytes: Int) -> [UInt8] { (0..<bytes).map { UInt8((value >> (8 * UInt64($0))) & 0xFF) } }
        func read(_ at: Int, _ bytes: Int) -> UInt64 { (0..<bytes).reversed().reduce(0) { $0 << 8 | UInt64(zip[at + $1]) } }
        let count = read(end + 10, 2), size = read(end + 12, 4), directory = read(end + 16, 4)
        let record = le(0x0606_4B50, 4) + le(44, 8) + le(45, 2) + le(45, 2) + le(0, 4) + le(0, 4) + le(count, 8) + le(count, 8)
            + le(size, 8) + le(offset ?? directory, 8)
        let locator = le(0x0706_4B50, 4) + le(0, 4) + le(UInt64(end), 8) + le(1, 4)
        let saturated = le(0x0605_4B50, 4) + le(0, 4) + le(0xFFFF, 2) + le(0xFFFF, 2) + le(0xFFFF_FFFF, 4) + le(0xFFFF_FFFF, 4) + le(0, 2)
        return Array(zip[..<end]) + record + locator + saturated
    }

    // Defect 8: shards stay in the index's folder; an index given by a relative path works.
    @Test func shardsOutsideTheIndexFolderAreRefused() {
        for shard in ["/etc/passwd", "../x.safetensors", "a/../../x.safetensors", ""] {
            let index = Data("{\"weight_map\":{\"w\":\"\(shard)\"}}".utf8)
            #expect(throws: FileFormatError.self) { try SafetensorsCollection.shardNames(index: index, path: "m.index.json") }
        }
        let nested = Data("{\"weight_map\":{\"w\":\"sub/a.safetensors\"}}".utf8)
        #expect((try? SafetensorsCollection.shardNames(index: nested, path: "i")) == ["sub/a.safetensors"])
    }

    // Defect 14: strict headers.
    @Test func lenientHeadersAreRefused() {
        expectError("whole numbers") {
            _ = try SafetensorsFile(bytes: Self.safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[4.0],\"data_offsets\":[0,16]}}"), path: "m")
        }
        expectError("whole numbers") {
            _ = try SafetensorsFile(bytes: Self.safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[true, 4],\"data_offsets\":[0,16]}}"), path: "m")
        }
        expectError("fortran_order must be True or False") {
            _ = try NumpyArray(bytes: Self.npy("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (4,), }"), path: "a.npy")
        }
        expectError("padded with spaces") {
            _ = try NumpyArray(bytes: Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), } garbage"), path: "a.npy")
        }
        #expect(throws: Never.self) {
            try NumpyArray(bytes: Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }      "), path: "a.npy")
        }
    }

    @Test func tensorBoardLengthsAboveTwoToTheSixtyThreeAreErrors() {
        let field: [UInt8] = [0x2A] + [UInt8](repeating: 0xFF, count: 9) + [0x01]
        expectError("longer than the file") { _ = try TensorBoardReader.fields(field, path: "events") }
    }

    @Test func csvNonFiniteValuesAreRefused() {
        expectError("not a finite number") { _ = try NumericTable(text: "1,2\nnan,3\n", path: "t.csv") }
        expectError("not a finite number") { _ = try NumericTable(text: "1,inf\n", path: "t.csv") }
    }

    @Test func inflatingIsBoundedByTheLimit() throws {
        let directory = temporaryDirectory()
        let path = try gzip([UInt8](repeating: 7, count: 100_000), in: directory)
        let bytes = try FileFormatError.readFile(path)
        #expect(try Gzip.decompress(bytes, path: path).count == 100_000)
        #expect(try Gzip.decompress(bytes, limit: 100_000, path: path).count == 100_000)
        #expect(throws: FileFormatError.self) { try Gzip.decompress(bytes, limit: 99_999, path: path) }
        #expect(try Gzip.prefix(bytes, count: 10, path: path) == [UInt8](repeating: 7, count: 10))
    }
}
