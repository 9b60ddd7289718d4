import Foundation
import NoetherIO
import NoetherNN
import NoetherSymmetry
import NoetherTensor
import Testing
@testable import NoetherLab

/// The synthetic checkpoints of scripts/make_family_fixtures.py: every family's real names,
/// shapes and orientations, with planted per-head ranks, dead and duplicate units.
let familyFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/families").path

struct PlantedStructure: Decodable {
    struct Heads: Decodable { let qk: [Int], vo: [Int], rope: [[Int]]? }
    struct Units: Decodable { let dead: Int, distinct: Int }
    let family: String
    let heads: Int?
    let kvHeads: Int?
    let attention: [String: Heads]
    let units: [String: Units]
    let noUnits: [String]
    let ranks: [String: Int]
    let foldedRanks: [String: Int]?

    enum CodingKeys: String, CodingKey {
        case family, heads, kvHeads = "kv_heads", attention, units, noUnits = "no_units", ranks, foldedRanks = "folded_ranks"
    }

    static func of(_ name: String) throws -> PlantedStructure {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(familyFixtures)/\(name)/planted.json"))
        return try JSONDecoder().decode(PlantedStructure.self, from: data)
    }
}

@Suite("Every family's checkpoint, analysed exactly")
struct FamilyFixtureTests {
    static let names = ["bert", "roberta", "albert", "distilbert", "gpt2", "gpt_neox", "llama", "mistral", "qwen2", "t5",
                        "vit", "dinov2", "timm_vit", "clip", "resnet", "mobilenet_v2", "mobilenet_v3", "sequential_mlp"]

    @Test(arguments: names)
    func plantedStructureIsRecovered(_ name: String) throws {
        let directory = "\(familyFixtures)/\(name)"
        let planted = try PlantedStructure.of(name)
        let report = try WeightAnalysis.analyze(directory)
        #expect(report.model.family == planted.family)
        #expect(report.model.heads == planted.heads)
        #expect(report.model.keyValueHeads == planted.kvHeads)
        #expect(report.model.warnings.isEmpty, "\(report.model.warnings)")
        // Every tensor has a row, in the model graph's layer kinds.
        let names = try SafetensorsCollection(path: directory).entries.map(\.entry.name)
        #expect(Set(report.layers.flatMap(\.tensors)) == Set(names))
        let kinds = Set(LayerRegistry.kinds.map { $0.kind } + [InferredLayer.tensorKind])
        for row in report.layers {
            #expect(kinds.contains(row.kind), "\(row.name): \(row.kind)")
            #expect(row.status == "ok" || row.status.hasPrefix("skipped: "), "\(row.name): \(row.status)")
        }
        func row(_ name: String) -> WeightAnalysisReport.Row? { report.layers.first { $0.name == name } }
        for (block, heads) in planted.attention {
            let attention = try #require(row(block), "\(block)")
            #expect(attention.kind == "attention" && attention.status == "ok", "\(block): \(attention.status)")
            #expect(attention.heads?.map(\.qkRank) == heads.qk, "\(block) W_Q W_Kᵀ")
            #expect(attention.heads?.map(\.voRank) == heads.vo, "\(block) W_V W_O")
            if let rope = heads.rope { #expect(attention.heads?.map { $0.ropePairRanks ?? [] } == rope, "\(block) RoPE pairs") }
        }
        #expect(report.layers.filter { $0.kind == "attention" }.count == planted.attention.count)
        for (layer, units) in planted.units {
            let measured = try #require(row(layer), "\(layer)")
            #expect(measured.dead == units.dead && measured.distinct == units.distinct, "\(layer): dead \(measured.dead ?? -1), distinct \(measured.distinct ?? -1)")
        }
        // Writers into a residual stream (or a block's output) are never chained.
        for layer in planted.noUnits {
            let measured = try #require(row(layer), "\(layer)")
            #expect(measured.status == "ok" && measured.rank != nil && measured.distinct == nil, "\(layer) was chained")
        }
        for (layer, rank) in planted.ranks { #expect(row(layer)?.rank == rank, "\(layer)") }
    }

    @Test func foldingRMSNormGainsGivesTheStreamItsRotations() throws {
        let directory = "\(familyFixtures)/llama"
        let planted = try PlantedStructure.of("llama")
        let plain = try WeightAnalysis.analyze(directory)
        let folded = try WeightAnalysis.analyze(directory, foldNorms: true)
        #expect(plain.model.residualStream?.gaugeDimension == 0)
        #expect(folded.model.residualStream?.gauge == "O(16)" && folded.model.residualStream?.normsFolded == 5)
        for (layer, rank) in planted.foldedRanks ?? [:] {
            #expect(plain.layers.first { $0.name == layer }?.rank == planted.ranks[layer])
            #expect(folded.layers.first { $0.name == layer }?.rank == rank, "\(layer)")
        }
        // Gains are nonzero on the other layers: their heads keep their ranks.
        #expect(folded.layers.filter { $0.kind == "attention" }.map { $0.heads?.map(\.qkRank) } == plain.layers.filter { $0.kind == "attention" }.map { $0.heads?.map(\.qkRank) })
    }

    @Test func withoutAConfigTheHeadsAreAskedFor() throws {
        let directory = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(familyFixtures)/llama/model.safetensors", toPath: "\(directory)/model.safetensors")
        let report = try WeightAnalysis.analyze(directory)
        #expect(report.model.family == "llama")
        let attention = report.layers.filter { $0.kind == "attention" }
        #expect(attention.count == 2 && attention.allSatisfy { $0.status.contains("--heads") })
        // --heads gives the query heads; the key/value heads follow from the key projection.
        let given = try WeightAnalysis.analyze(directory, heads: 4)
        #expect(given.model.keyValueHeads == 2)
        #expect(given.layers.first { $0.name == "model.layers.0.self_attn" }?.heads?.map(\.group) == [0, 0, 1, 1])
    }
}

@Suite("Checkpoints with every family's names and wrong shapes")
struct MisshapenCheckpointTests {
    /// Each family's real names and shapes with a few shapes changed (a dimension off, one
    /// dropped, some empty) and random head counts: the analysis reads every slice it states, so
    /// a shape it did not check would read out of bounds (a trap in this debug build).
    @Test func noShapeMakesTheAnalysisReadOutOfBounds() throws {
        var generator = RandomGenerator(seed: 14)
        for trial in 0..<120 {
            let name = FamilyFixtureTests.names[trial % FamilyFixtureTests.names.count]
            let entries = try SafetensorsCollection(path: "\(familyFixtures)/\(name)").entries.map(\.entry)
            let names = entries.map(\.name)
            var parameters = Parameters<Float>()
            let changed = Set((0..<(1 + generator.index(below: 3))).map { _ in generator.index(below: entries.count) })
            for (index, entry) in entries.enumerated() {
                var shape = entry.shape
                if changed.contains(index) {
                    if !shape.isEmpty && generator.bernoulli(0.7) {
                        shape[generator.index(below: shape.count)] = generator.index(below: 20)
                    } else if shape.count > 1 && generator.bernoulli(0.5) {
                        shape.removeLast()
                    } else {
                        shape.append(generator.index(below: 3) + 1)
                    }
                }
                parameters[entry.name] = Tensor(shape: Shape(shape), scalars: (0..<shape.reduce(1, *)).map { _ in Float(generator.normal()) })
            }
            let directory = temporaryDirectory()
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try SafetensorsFile.write(parameters.tensors, to: "\(directory)/model.safetensors")
            let heads = generator.index(below: 4) + 1
            try Data(#"{"num_attention_heads": \#(heads), "num_key_value_heads": \#(generator.index(below: 3) + 1)}"#.utf8)
                .write(to: URL(fileURLWithPath: "\(directory)/config.json"))
            let report = try WeightAnalysis.analyze(directory, foldNorms: generator.bernoulli(0.5))
            #expect(Set(report.layers.flatMap(\.tensors)) == Set(names), "\(name), trial \(trial)")
        }
    }
}
