import Foundation
import Testing
import OrderedCollections
import NoetherTensor
@testable import NoetherIO

@Suite("safetensors")
struct SafetensorsTests {
    @Test func readsAFileWrittenByTheReferenceLibrary() throws {
        // Made by safetensors.numpy.save_file with F32, F64, F16 and I64 tensors.
        let file = try SafetensorsFile(contentsOf: fixture("mixed.safetensors"))
        #expect(file.metadata == ["format": "np"])
        #expect(Set(file.entries.map(\.name)) == ["ids", "layers.0.bias", "layers.0.weight", "half"])
        #expect(try file.tensor("layers.0.weight", as: Float.self).scalars == [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5])
        #expect(try file.tensor("layers.0.bias", as: Float.self).scalars == [1, -1])
        #expect(try file.tensor("half", as: Double.self).scalars == [0.5, -3])
        #expect(try file.tensor("ids", as: Double.self).shape == [2, 2])
    }

    @Test func writeThenReadRoundTrips() throws {
        let path = temporaryDirectory() + "/w.safetensors"
        var generator = RandomGenerator(seed: 1)
        let tensors: OrderedDictionary<String, Tensor<Float>> = ["a.weight": .normal([3, 5], using: &generator), "a.bias": .normal([3], using: &generator)]
        try SafetensorsFile.write(tensors, metadata: ["step": "7"], to: path)
        let file = try SafetensorsFile(contentsOf: path)
        #expect(try file.tensors(as: Float.self) == tensors)
        #expect(file.metadata["step"] == "7")
        // The header is padded so that the data is 8-byte aligned.
        let bytes = try FileFormatError.readFile(path)
        #expect(Int(bytes[0]) % 8 == 0)
    }

    @Test func invalidHeadersAreRejected() {
        func file(_ header: String, dataSize: Int) -> [UInt8] {
            let json = Array(header.utf8)
            let length = UInt64(json.count)
            return (0..<8).map { UInt8((length >> (8 * UInt64($0))) & 0xFF) } + json + [UInt8](repeating: 0, count: dataSize)
        }
        let cases = [
            file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, dataSize: 4),        // outside the data
            file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, dataSize: 8),        // size mismatch
            file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, dataSize: 12), // overlap
            file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, dataSize: 8),        // hole
            file(#"{"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,4]}}"#, dataSize: 4),         // dtype
            file("not json", dataSize: 0),
            [200, 0, 0, 0, 0, 0, 0, 0, 123],                                                       // header longer than file
            [1, 2, 3],
        ]
        for bytes in cases {
            #expect(throws: FileFormatError.self) { try SafetensorsFile(bytes: bytes, path: "bad.safetensors") }
        }
    }
}

@Suite("safetensors: more dtypes, shards and refusals")
struct SafetensorsMoreTests {
    @Test func readsBFloat16() throws {
        let file = try SafetensorsFile(contentsOf: fixture("bf16.safetensors"))
        #expect(try file.tensor("x", as: Float.self).scalars == [1, -2.5, 3.140625, 0.0078125])
    }

    @Test func readsShardedModelsThroughTheIndex() throws {
        let directory = temporaryDirectory()
        try SafetensorsFile.write(["a.weight": Tensor<Float>([1, 2])], to: "\(directory)/model-00001-of-00002.safetensors")
        try SafetensorsFile.write(["b.weight": Tensor<Float>([3])], to: "\(directory)/model-00002-of-00002.safetensors")
        let index = #"{"metadata": {}, "weight_map": {"a.weight": "model-00001-of-00002.safetensors", "b.weight": "model-00002-of-00002.safetensors"}}"#
        try AtomicWrite.write(Data(index.utf8), to: "\(directory)/model.safetensors.index.json")
        let collection = try SafetensorsCollection(path: directory)
        #expect(collection.entries.map(\.entry.name) == ["a.weight", "b.weight"])
        #expect(try collection.tensor("b.weight", as: Double.self).scalars == [3])
        try AtomicWrite.write(Data(#"{"metadata": {}}"#.utf8), to: "\(directory)/model.safetensors.index.json")
        #expect(throws: FileFormatError.self) { try SafetensorsCollection(path: directory) }
    }

    @Test func picklesAreRefusedWithAConversionHint() throws {
        let path = temporaryDirectory() + "/pytorch_model.bin"
        try AtomicWrite.write(Data([0x80, 0x02]), to: path)
        #expect {
            try SafetensorsCollection(path: path)
        } throws: { "\($0)".contains("never unpickles") && "\($0)".contains("save_file") }
    }
}
