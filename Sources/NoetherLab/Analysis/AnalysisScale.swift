import NoetherSymmetry
import NoetherTensor

/// How `noether analyze` cuts and spreads its work on a large checkpoint: rows measured in
/// parallel, attention heads sampled, progress reported. None of it changes a measured number:
/// `jobs` only changes the speed, sampling only which heads are measured (and the report says
/// which).
public struct AnalysisScale: Sendable {
    /// Rows measured at once (each holds its own matrices, so memory grows with it).
    public var jobs: Int
    /// Attention heads measured per attention layer, drawn with `seed`; nil for every head.
    public var sampleHeads: Int?
    public var seed: UInt64
    /// Called after each row with (rows done, rows in all), from whichever job finished it —
    /// never concurrently.
    public var progress: (@Sendable (Int, Int) -> Void)?
    /// Also report each matrix's singular values (for checks against another implementation).
    public var spectra: Bool

    public init(jobs: Int = 1, sampleHeads: Int? = nil, seed: UInt64 = 0, spectra: Bool = false,
                progress: (@Sendable (Int, Int) -> Void)? = nil) {
        (self.jobs, self.sampleHeads, self.seed, self.spectra, self.progress) = (max(1, jobs), sampleHeads, seed, spectra, progress)
    }

    /// Per row, the query heads to measure (ascending), or nil for all of them: `sampleHeads`
    /// drawn without replacement from one seeded stream, attention rows taken in order, so the
    /// sample depends only on the seed, the rows and K.
    func headSamples(for layers: [InferredLayer]) -> [[Int]?] {
        guard let k = sampleHeads else { return layers.map { _ in nil } }
        var generator = RandomGenerator(seed: seed)
        return layers.map { layer -> [Int]? in
            guard layer.status == "ok", let heads = layer.attention?.heads, heads > 0 else { return nil }
            return Self.draw(max(0, k), from: heads, using: &generator)
        }
    }

    /// `k` distinct numbers of `0..<n` (all of them when k ≥ n), ascending: a partial
    /// Fisher–Yates shuffle written out, so that it never depends on the standard library's.
    static func draw(_ k: Int, from n: Int, using generator: inout RandomGenerator) -> [Int] {
        guard k < n else { return Array(0..<n) }
        var pool = Array(0..<n)
        for i in 0..<k {
            let j = i + Int(generator.next() % UInt64(n - i))
            pool.swapAt(i, j)
        }
        return pool[..<k].sorted()
    }

    /// What the report says was left out, or nil when every row and head was measured.
    func sampling(layers pattern: String?, rowsSelected: Int, rowsTotal: Int) -> WeightAnalysisReport.Sampling? {
        guard pattern != nil || sampleHeads != nil else { return nil }
        return WeightAnalysisReport.Sampling(layers: pattern, rowsSelected: rowsSelected, rowsTotal: rowsTotal,
                                             headsPerLayer: sampleHeads, seed: sampleHeads == nil ? nil : seed)
    }
}
