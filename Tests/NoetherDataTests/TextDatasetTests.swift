import Foundation
import Testing
import NoetherTensor
@testable import NoetherData

@Suite("Byte-level text data")
struct TextDatasetTests {
    func file(_ text: String) -> String {
        let path = temporaryDirectory() + "/corpus.txt"
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    @Test func windowsPredictTheNextByte() throws {
        var spec = DataSpec(kind: .text)
        (spec.path, spec.sequenceLength, spec.trainFraction) = (file("abcdefghijklmnopq"), 4, 0.75)
        let split = try spec.load(using: RandomGenerator(seed: 0))
        // 17 bytes give (17 − 1)/4 = 4 windows: 3 train, 1 test.
        #expect(split.train.count == 3 && split.test.count == 1)
        #expect(split.train.tokens == TokenSequenceLayout(vocabulary: 256, targetPositions: 0..<4))
        let a = Int(UInt8(ascii: "a"))
        #expect(ids(split.train, 1) == [4, 5, 6, 7].map { a + $0 })
        #expect(labels(split.train)[4..<8].map(Int.init) == [5, 6, 7, 8].map { a + $0 })
        #expect(ids(split.test, 0) == [12, 13, 14, 15].map { a + $0 })
        #expect(labels(split.test).map(Int.init) == [13, 14, 15, 16].map { a + $0 })
    }

    @Test func multibyteCharactersAreBytes() throws {
        let data = try FileDatasets.text(path: file("é!"), sequenceLength: 1)
        #expect(ids(data, 0) == [0xC3] && ids(data, 1) == [0xA9])
        #expect(labels(data) == [0xA9, 0x21])
    }

    @Test func missingOrShortFilesSayWhatIsWrong() {
        var spec = DataSpec(kind: .text)
        spec.path = "/nonexistent/corpus.txt"
        #expect { try spec.load(using: RandomGenerator(seed: 0)) } throws: { "\($0)".contains("does not exist") }
        (spec.path, spec.sequenceLength) = (file("short"), 8)
        #expect { try spec.load(using: RandomGenerator(seed: 0)) } throws: { "\($0)".contains("needs at least 9") }
        (spec.path, spec.sequenceLength) = (file("0123456789"), 8)
        #expect { try spec.load(using: RandomGenerator(seed: 0)) } throws: { "\($0)".contains("test_path") }
        spec = DataSpec(kind: .text)
        #expect { try spec.load(using: RandomGenerator(seed: 0)) } throws: { "\($0)".contains("data.path") }
    }

    @Test func aSeparateTestFileIsUsedWhole() throws {
        var spec = DataSpec(kind: .text)
        (spec.path, spec.testPath, spec.sequenceLength) = (file("0123456789"), file("abcdefghi"), 2)
        let split = try spec.load(using: RandomGenerator(seed: 0))
        #expect(split.train.count == 4 && split.test.count == 4)
    }
}
