import Foundation
import Testing
import OrderedCollections
import NoetherTensor
@testable import NoetherIO

@Suite("safetensors read from disk one tensor at a time")
struct StreamingReadTests {
    /// bf16 bits of `value` (round to nearest even), little-endian, as checkpoints store them.
    static func bfloat16(_ value: Float) -> [UInt8] {
        let bits = value.bitPattern
        let rounded = UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
        return [UInt8(rounded & 0xFF), UInt8(rounded >> 8)]
    }

    static func file(_ tensors: [(String, String, [Int], [UInt8])]) -> [UInt8] {
        var header: [String] = [], offset = 0
        for (name, dtype, shape, bytes) in tensors {
            header.append("\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(offset),\(offset + bytes.count)]}")
            offset += bytes.count
        }
        let json = Array(("{" + header.joined(separator: ",") + "}").utf8)
        let length = UInt64(json.count)
        return (0..<8).map { UInt8((length >> (8 * UInt64($0))) & 0xFF) } + json + tensors.flatMap(\.3)
    }

    @Test func diskReadsEqualInMemoryReadsForBFloat16AndFloat16() throws {
        var generator = RandomGenerator(seed: 3)
        let values = (0..<6 * 5).map { _ in Float.random(in: -4...4, using: &generator) }
        let half = values.prefix(8).flatMap { v -> [UInt8] in let bits = Float16(v).bitPattern; return [UInt8(bits & 0xFF), UInt8(bits >> 8)] }
        let bytes = Self.file([("w", "BF16", [6, 5], values.flatMap(Self.bfloat16)), ("h", "F16", [8], half)])
        let path = temporaryDirectory() + "/m.safetensors"
        try AtomicWrite.write(Data(bytes), to: path)
        let (disk, memory) = (try SafetensorsFile(contentsOf: path), try SafetensorsFile(bytes: bytes, path: path))
        guard case .disk = disk.storage else { Issue.record("a file on disk is not read from disk"); return }
        for name in ["w", "h"] {
            #expect(try disk.tensor(name, as: Double.self) == memory.tensor(name, as: Double.self))
        }
        // bf16 keeps the top 16 bits of a float: within 2⁻⁸ relative.
        let w = try disk.tensor("w", as: Float.self).scalars
        for (read, value) in zip(w, values) { #expect(abs(read - value) <= abs(value) / 256) }
    }

    @Test func aFileThatShrinksAfterOpeningThrowsInsteadOfTrapping() throws {
        let bytes = Self.file([("a", "F32", [4], [UInt8](repeating: 0, count: 16)), ("b", "F32", [4], [UInt8](repeating: 0, count: 16))])
        let path = temporaryDirectory() + "/m.safetensors"
        try AtomicWrite.write(Data(bytes), to: path)
        let file = try SafetensorsFile(contentsOf: path)
        try AtomicWrite.write(Data(bytes.prefix(bytes.count - 20)), to: path)
        #expect(throws: FileFormatError.self) { try file.tensor("b", as: Float.self) }
    }

    @Test func rangesOutsideTheFileAreRefusedBeforeAllocating() throws {
        let path = temporaryDirectory() + "/f.bin"
        try AtomicWrite.write(Data([1, 2, 3, 4]), to: path)
        let reader = try FileRangeReader(path: path)
        #expect(try reader.read(1..<3) == [2, 3])
        #expect(throws: FileFormatError.self) { try reader.read(2..<(1 << 60)) }
        #expect(throws: FileFormatError.self) { try FileRangeReader(path: temporaryDirectory()) }
    }

    @Test func hostileHeadersOnDiskAreRejectedLikeInMemory() throws {
        let cases: [[UInt8]] = [
            Self.file([("a", "F32", [2], [UInt8](repeating: 0, count: 4))]),
            [200, 0, 0, 0, 0, 0, 0, 0, 123],
            [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1],
            [1, 2, 3],
        ]
        for bytes in cases {
            let path = temporaryDirectory() + "/bad.safetensors"
            try AtomicWrite.write(Data(bytes), to: path)
            #expect(throws: FileFormatError.self) { try SafetensorsFile(contentsOf: path) }
        }
    }
}
