import Foundation
import NoetherIO
import NoetherSymmetry
import NoetherTensor
import NoetherTraining
import OrderedCollections
import Testing
@testable import NoetherLab

@Suite("noether analyze at scale: jobs, head samples, spectra")
struct AnalyzeScaleTests {
    static func encoded(_ rows: [WeightAnalysisReport.Row]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(rows), as: UTF8.self)
    }

    @Test(arguments: ["llama", "qwen2", "gpt2", "bert", "resnet"])
    func anyNumberOfJobsGivesTheSameReport(_ name: String) throws {
        let directory = "\(familyFixtures)/\(name)"
        let one = try WeightAnalysis.analyze(directory)
        let done = ProgressCalls()
        let three = try WeightAnalysis.analyze(directory, scale: AnalysisScale(jobs: 3, progress: { count, total in done.record(count, total) }))
        #expect(try Self.encoded(one.layers) == Self.encoded(three.layers))
        #expect(one.summary.analysed == three.summary.analysed && one.summary.headsAnalysed == three.summary.headsAnalysed)
        // Progress comes once per row, counting up to the rows.
        #expect(done.calls == (1...one.layers.count).map { [$0, one.layers.count] })
        #expect(one.sampling == nil)
    }

    @Test func sampledHeadsAreSeededAndNamedInTheReport() throws {
        let directory = "\(familyFixtures)/llama"
        let full = try WeightAnalysis.analyze(directory)
        let scale = AnalysisScale(jobs: 2, sampleHeads: 2, seed: 5)
        let sampled = try WeightAnalysis.analyze(directory, scale: scale)
        let again = try WeightAnalysis.analyze(directory, scale: AnalysisScale(jobs: 1, sampleHeads: 2, seed: 5))
        #expect(try Self.encoded(sampled.layers) == Self.encoded(again.layers))
        #expect(sampled.sampling?.headsPerLayer == 2 && sampled.sampling?.seed == 5 && sampled.sampling?.rowsTotal == full.layers.count)
        let attention = sampled.layers.filter { $0.kind == "attention" }
        #expect(attention.count == 2)
        for row in attention {
            let heads = try #require(row.heads)
            #expect(heads.count == 2 && row.sampledHeads == heads.map(\.head), "\(row.name)")
            // A sampled head is measured exactly as in the full run.
            let whole = try #require(full.layers.first { $0.name == row.name }?.heads)
            for head in heads {
                #expect(whole[head.head].qkRank == head.qkRank && whole[head.head].voRank == head.voRank && whole[head.head].group == head.group)
                #expect(whole[head.head].ropePairRanks == head.ropePairRanks)
            }
        }
        #expect(sampled.summary.headsAnalysed == 4)
        let json = String(decoding: try JSONEncoder().encode(sampled), as: UTF8.self)
        #expect(json.contains("\"sampled_heads\"") && json.contains("\"heads_per_layer\":2"))
        // Other rows are untouched by the sample.
        #expect(try Self.encoded(full.layers.filter { $0.kind != "attention" }) == Self.encoded(sampled.layers.filter { $0.kind != "attention" }))
    }

    @Test func largeRowsRunAloneAndResultsStayInOrder() throws {
        let overlap = Overlap()
        let results = try OrderedParallelMap.map(60, jobs: 4, progress: nil, alone: { $0 % 7 == 0 }) { index throws(RunError) -> Int in
            overlap.enter(alone: index % 7 == 0)
            defer { overlap.leave() }
            var sum = 0.0
            for k in 0..<20_000 { sum += Double(k ^ index) }
            return sum > 0 ? index : -1
        }
        #expect(results == Array(0..<60))
        #expect(!overlap.violated)
    }

    @Test func theFirstFailureIsThrownAsOnOneThread() {
        for jobs in [1, 3] {
            #expect(throws: RunError("row 5")) {
                try OrderedParallelMap.map(12, jobs: jobs, progress: nil) { index throws(RunError) -> Int in
                    if index == 5 || index == 9 { throw RunError("row \(index)") }
                    return index
                }
            }
        }
    }

    @Test func theDrawIsAPartialShuffleOfItsOwn() {
        var generator = RandomGenerator(seed: 1)
        #expect(AnalysisScale.draw(5, from: 3, using: &generator) == [0, 1, 2])
        var samples = Set<[Int]>()
        for seed in 0..<20 {
            var g = RandomGenerator(seed: UInt64(seed))
            let sample = AnalysisScale.draw(4, from: 32, using: &g)
            #expect(sample.count == 4 && Set(sample).count == 4 && sample == sample.sorted() && sample.allSatisfy { (0..<32).contains($0) })
            samples.insert(sample)
        }
        #expect(samples.count > 15)
    }

    @Test func aLayerFilterIsSaidInTheReport() throws {
        let report = try WeightAnalysis.analyze("\(familyFixtures)/llama", layers: "layers\\.1\\.")
        let sampling = try #require(report.sampling)
        #expect(sampling.layers == "layers\\.1\\." && sampling.rowsSelected == report.layers.count && sampling.rowsSelected < sampling.rowsTotal)
        #expect(sampling.headsPerLayer == nil && sampling.seed == nil)
    }

    /// Q₁ diag(σ) Q₂ᵀ with Householder reflections Q: the spectrum is σ, exactly known.
    static func matrix(rows m: Int, columns n: Int, spectrum: [Double], seed: UInt64) -> Tensor<Double> {
        var generator = RandomGenerator(seed: seed)
        func reflection(_ size: Int) -> Tensor<Double> {
            let v = Tensor<Double>.normal([size, 1], using: &generator)
            let scale = 2 / v.scalars.reduce(0) { $0 + $1 * $1 }
            return Tensor<Double>.identity(size) - v.matmul(v, transposeOther: true) * scale
        }
        var diagonal = Tensor<Double>.zeros([m, n])
        diagonal.withUnsafeMutableBufferPointer { d in for (k, s) in spectrum.enumerated() { d[k * n + k] = s } }
        return reflection(m).matmul(diagonal).matmul(reflection(n))
    }

    @Test(arguments: [[40, 72], [96, 48], [8, 12]])
    func singularValuesMatchAKnownSpectrum(_ shape: [Int]) throws {
        let (m, n) = (shape[0], shape[1])
        let k = min(m, n)
        // Seven decades, and exact zeros: the Gram route must still resolve 1e-4·σ_max.
        let spectrum = (0..<k).map { $0 < k - 3 ? 10 * pow(10.0, -7 * Double($0) / Double(k - 4)) : 0 }
        let a = Self.matrix(rows: m, columns: n, spectrum: spectrum, seed: UInt64(m))
        let measured = Spectrum(a).singularValues
        #expect(measured.count == k)
        for (value, expected) in zip(measured, spectrum) { #expect(abs(value - expected) <= 1e-6 * 10, "σ \(value) ≠ \(expected)") }
        // Through a file and `--spectra`, in float32 as checkpoints store it.
        let directory = temporaryDirectory()
        let tensors: OrderedDictionary<String, Tensor<Float>> = ["layer.weight": Tensor<Float>(a)]
        try SafetensorsFile.write(tensors, to: "\(directory)/model.safetensors")
        let report = try WeightAnalysis.analyze(directory, scale: AnalysisScale(spectra: true))
        let values = try #require(report.layers.first { $0.name == "layer" }?.singularValues)
        for (value, expected) in zip(values, spectrum) { #expect(abs(value - expected) <= 1e-5 * 10, "σ \(value) ≠ \(expected)") }
        #expect(report.layers.first { $0.name == "layer" }?.ranks?["0.0001"] == spectrum.filter { $0 > 1e-3 }.count)
    }
}

/// Progress calls, recorded from whichever job makes them.
final class ProgressCalls: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [[Int]] = []
    func record(_ done: Int, _ total: Int) { lock.withLock { recorded.append([done, total]) } }
    var calls: [[Int]] { lock.withLock { recorded } }
}

/// Records whether an index meant to run alone ever ran beside another.
final class Overlap: @unchecked Sendable {
    private let lock = NSLock()
    private var running = 0, aloneRunning = false
    private(set) var violated = false
    func enter(alone: Bool) {
        lock.withLock {
            if (alone && running > 0) || aloneRunning { violated = true }
            running += 1
            if alone { aloneRunning = true }
        }
    }
    func leave() { lock.withLock { running -= 1; aloneRunning = false } }
}
