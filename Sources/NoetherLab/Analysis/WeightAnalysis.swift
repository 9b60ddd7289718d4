import Foundation
import NoetherIO
import NoetherNN
import NoetherSweeps
import NoetherSymmetry
import NoetherTensor
import NoetherTraining

public enum WeightAnalysis {
    /// Analyses a weights file or directory (a Noether run directory, a Hugging Face model
    /// directory, a `.safetensors` file or a sharded index).
    ///
    /// Tensors are read from disk one row at a time and converted to Float64 only while that
    /// row is measured, so memory stays at a few matrices per job, never the model.
    ///
    /// - Parameters:
    ///   - heads: attention heads, overriding the model's config.
    ///   - layers: only rows whose name matches this regular expression.
    ///   - thresholds: nil for the run's own tracking thresholds when `path` is a Noether run
    ///     (so that its numbers match the run's metrics), else the defaults.
    ///   - foldNorms: fold RMSNorm gains into the weights that read them before measuring.
    ///   - scale: parallel jobs, head sampling and a progress callback.
    public static func analyze(_ path: String, heads: Int? = nil, layers pattern: String? = nil,
                               thresholds: SymmetryThresholds? = nil, foldNorms: Bool = false,
                               scale: AnalysisScale = AnalysisScale()) throws(RunError) -> WeightAnalysisReport {
        let clock = ContinuousClock()
        let start = clock.now
        let filter: Regex<AnyRegexOutput>?
        do { filter = try pattern.map { try Regex($0) } } catch { throw RunError("--layers '\(pattern ?? "")' is not a valid regular expression") }
        let collection: SafetensorsCollection
        do { collection = try SafetensorsCollection(path: path) } catch { throw RunError(error) }
        let infos = collection.entries.map { WeightInference.TensorInfo(name: $0.entry.name, shape: $0.entry.shape, isFloatingPoint: !$0.entry.encoding.isInteger) }
        let inferred: InferredModel
        let run = noetherRun(path)
        let thresholds = thresholds ?? run?.thresholds ?? SymmetryThresholds()
        if let run, heads == nil {
            inferred = WeightInference.infer(run.model, tensors: infos, loss: run.loss)
        } else {
            var hints = WeightInference.Hints.configured(near: path)
            if let heads { (hints.heads, hints.towerHeads) = (heads, [:]) }
            inferred = WeightInference.infer(infos, hints: hints)
        }
        let folds = foldNorms ? inferred.normFolds : []
        let selected = inferred.layers.filter { layer in filter.map { (try? $0.firstMatch(in: layer.name)) != nil } ?? true }
        // The sample is drawn here, in row order, so it does not depend on the jobs.
        let headSamples = scale.headSamples(for: selected)
        let context = RowContext(collection: collection, inferred: inferred, thresholds: thresholds, folds: folds, spectra: scale.spectra)
        // A row over 400 MB in Float64 (an embedding or an LM head at 1B) runs alone: memory stays
        // at one such row plus the smaller rows of the other jobs.
        let sizes = collection.entries.reduce(into: [String: Int]()) { $0[$1.entry.name] = $1.entry.shape.reduce(1, *) }
        let large = selected.map { layer in layer.tensors.reduce(0) { $0 + (sizes[$1] ?? 0) } > 50_000_000 }
        let rows = try OrderedParallelMap.map(selected.count, jobs: scale.jobs, progress: scale.progress, alone: { large[$0] }) { index throws(RunError) in
            try context.measure(selected[index], heads: headSamples[index])
        }
        let degrees = rows.compactMap(\.degreeOfSymmetry)
        let headDegrees = rows.flatMap { $0.heads ?? [] }.map(\.degreeOfSymmetry)
        let elapsed = start.duration(to: clock.now)
        let summary = WeightAnalysisReport.Summary(
            layers: rows.count, analysed: rows.filter { $0.status == "ok" }.count, skipped: rows.filter { $0.status != "ok" }.count,
            attentionLayers: rows.filter { $0.kind == AttentionLayer.kind }.count, headsAnalysed: headDegrees.count,
            meanDegreeOfSymmetry: degrees.isEmpty ? nil : degrees.reduce(0, +) / Double(degrees.count),
            attentionDegreeOfSymmetry: headDegrees.isEmpty ? nil : headDegrees.reduce(0, +) / Double(headDegrees.count),
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        let parameters = collection.entries.filter { !$0.entry.encoding.isInteger }.reduce(0) { $0 + $1.entry.shape.reduce(1, *) }
        let rms = inferred.layers.contains { $0.kind == RMSNormLayer.kind }
        let stream = inferred.residualWidth.map { width in
            WeightAnalysisReport.ResidualStream(
                width: width, normsFolded: folds.count,
                gauge: !folds.isEmpty ? "O(\(width))" : (rms ? "signed permutations (fold the RMSNorm gains, --fold-norms, for O(\(width)))" : "permutations"),
                gaugeDimension: folds.isEmpty ? 0 : width * (width - 1) / 2)
        }
        return WeightAnalysisReport(
            model: .init(path: path, family: inferred.family, tensors: collection.entries.count, parameters: parameters, heads: inferred.heads,
                         keyValueHeads: inferred.keyValueHeads, warnings: inferred.warnings, residualStream: stream),
            thresholds: thresholds, layers: rows, summary: summary,
            sampling: scale.sampling(layers: pattern, rowsSelected: selected.count, rowsTotal: inferred.layers.count))
    }

    /// Spectral measures of one weight (any rank: leading axes of size one are dropped, the
    /// rest flattened after the first), and neuron statistics when it writes a hidden layer.
    static func measureMatrix(_ weight: String, into row: inout WeightAnalysisReport.Row, inferred: InferredModel,
                              thresholds: SymmetryThresholds, spectra: Bool = false, reader: inout TensorReader) throws(RunError) {
        let t = try reader.tensor(weight)
        guard t.count > 0 else {
            row.status = "skipped: an empty tensor"
            return
        }
        var dimensions = t.shape.dimensions
        while dimensions.count > 2, dimensions.first == 1 { dimensions.removeFirst() }
        let rows = max(dimensions.first ?? 1, 1)
        let spectrum = Spectrum(t.reshaped([rows, t.count / rows]))  // singular values: the orientation does not matter
        row.rank = spectrum.rank(thresholds)
        row.ranks = Dictionary(uniqueKeysWithValues: SymmetryThresholds.reportedRankThresholds.map { ("\($0)", spectrum.rank(relative: $0)) })
        row.effectiveRank = spectrum.effectiveRank
        row.stableRank = spectrum.stableRank
        row.spectralNorm = spectrum.spectralNorm
        row.frobeniusNorm = spectrum.frobeniusNorm
        if spectra { row.singularValues = spectrum.singularValues }
        guard let spec = inferred.symmetries.first(where: { $0.kind == .permutation && $0.scope == .units && $0.incoming.first?.name == weight }) else { return }
        let p = try reader.parameters(spec.parameterNames)
        let isLinearBlock = inferred.symmetries.contains { $0.kind == .rotation && $0.layer == spec.layer }
        let report = SymmetryAnalysis.neuronLayer(spec, p, thresholds, neurons: spec.neuronMatrix(in: p), isLinearBlock: isLinearBlock)
        row.dead = report.neurons?.dead
        row.distinct = report.neurons?.distinct
        row.signPaired = report.neurons?.signPaired
        row.degreeOfSymmetry = report.degreeOfSymmetry
    }

    /// Per query head: ranks of W_Q^h W_K^gᵀ and W_V^g W_O^h with g its key/value group, and
    /// per rotary frequency pair under RoPE.
    static func measureAttention(_ attention: AttentionStructure, rotary: Int?, into row: inout WeightAnalysisReport.Row,
                                 thresholds: SymmetryThresholds, heads sample: [Int]?, reader: inout TensorReader) throws(RunError) {
        let specs = SymmetryCatalogue.attentionBlock(attention)
        let parameters = try reader.parameters(Array(Set(specs.flatMap(\.parameterNames))).sorted())
        let report = SymmetryAnalysis.attention(block: attention.label, units: attention.heads, catalogue: specs, parameters, thresholds,
                                                only: sample.map(Set.init))
        let perGroup = max(attention.heads / max(attention.keyValueHeads, 1), 1)
        row.heads = (report.heads ?? []).map { h in
            var head = WeightAnalysisReport.Head(head: h.head, group: h.head / perGroup, qkRank: h.qkRank, voRank: h.voRank, degreeOfSymmetry: h.degreeOfSymmetry)
            if let rotary { head.ropePairRanks = SymmetryAnalysis.rotaryPairRanks(attention, parameters, head: h.head, rotaryDimensions: rotary, thresholds) }
            return head
        }
        row.degreeOfSymmetry = report.heads?.isEmpty == false ? report.degreeOfSymmetry : nil
        row.headWidth = attention.headWidth
        row.keyValueHeads = attention.keyValueHeads
        row.rotaryDimensions = rotary
        row.sampledHeads = sample
    }

    /// The model spec, loss and tracking thresholds of a Noether run directory at `path` (or the one holding it).
    static func noetherRun(_ path: String) -> (model: ModelSpec, loss: LossKind?, thresholds: SymmetryThresholds)? {
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        let directory = isDirectory.boolValue ? path : (path as NSString).deletingLastPathComponent
        guard let config = RunDirectory(directory).recordedConfig() else { return nil }
        return (config.model, config.loss, config.track.thresholds)
    }
}

/// Reads tensors from a checkpoint in Float64, one row's worth at a time, folding RMSNorm gains
/// into the weights that read them when asked.
struct TensorReader {
    let collection: SafetensorsCollection
    /// Reader weight → (gain, axis of the weight that indexes the stream).
    let folds: [String: (gain: String, axis: Int)]
    private var cache: [String: Tensor<Double>] = [:]

    init(collection: SafetensorsCollection, folds: [NormFold]) {
        self.collection = collection
        var map: [String: (gain: String, axis: Int)] = [:]
        for fold in folds { for reader in fold.readers { map[reader.name] = (fold.gain, reader.axis) } }
        self.folds = map
    }

    mutating func release() { cache.removeAll() }

    mutating func tensor(_ name: String) throws(RunError) -> Tensor<Double> {
        if let cached = cache[name] { return cached }
        var t: Tensor<Double>
        do { t = try collection.tensor(name) } catch { throw RunError(error) }
        if let fold = folds[name], t.shape.rank == 2 {
            let gain: Tensor<Double>
            do { gain = try collection.tensor(fold.gain) } catch { throw RunError(error) }
            let (rows, columns) = (t.shape[0], t.shape[1])
            if gain.count == (fold.axis == 1 ? columns : rows) {
                gain.withUnsafeBufferPointer { g in
                    t.withUnsafeMutableBufferPointer { w in
                        for i in 0..<rows { for j in 0..<columns { w[i * columns + j] *= g[fold.axis == 1 ? j : i] } }
                    }
                }
            }
        }
        cache[name] = t
        return t
    }

    mutating func parameters(_ names: [String]) throws(RunError) -> Parameters<Double> {
        var p = Parameters<Double>()
        for name in names { p[name] = try tensor(name) }
        return p
    }
}
