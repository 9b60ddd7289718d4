import Foundation
import NoetherIO
import NoetherNN
import NoetherSweeps
import NoetherSymmetry
import NoetherTensor
import NoetherTraining

/// `noether analyze`: the symmetry state of a weights file, layer by layer.
public struct WeightAnalysisReport: Codable, Sendable {
    public struct ModelInfo: Codable, Sendable {
        public let path: String
        public let family: String
        public let tensors: Int
        public let parameters: Int
        public let heads: Int?
    }

    public struct Head: Codable, Sendable {
        public let head: Int
        public let qkRank: Int
        public let voRank: Int
        public let degreeOfSymmetry: Double

        enum CodingKeys: String, CodingKey { case head, qkRank = "qk_rank", voRank = "vo_rank", degreeOfSymmetry = "degree_of_symmetry" }
    }

    public struct Row: Codable, Sendable {
        public let name: String
        public let kind: String
        public let shape: [Int]
        /// `ok`, why the layer was skipped, or `non-finite` when a tensor holds NaN or infinity.
        public var status: String
        public var rank: Int?
        public var ranks: [String: Int]?
        public var effectiveRank: Double?
        public var stableRank: Double?
        public var spectralNorm: Double?
        public var frobeniusNorm: Double?
        public var dead: Int?
        public var distinct: Int?
        public var signPaired: Int?
        public var degreeOfSymmetry: Double?
        public var heads: [Head]?

        enum CodingKeys: String, CodingKey {
            case name, kind, shape, status, rank, ranks, effectiveRank = "effective_rank", stableRank = "stable_rank"
            case spectralNorm = "spectral_norm", frobeniusNorm = "frobenius_norm", dead, distinct, signPaired = "sign_paired"
            case degreeOfSymmetry = "degree_of_symmetry", heads
        }
    }

    public struct Summary: Codable, Sendable {
        public let layers: Int
        public let analysed: Int
        public let skipped: Int
        public let attentionLayers: Int
        public let headsAnalysed: Int
        /// Mean degree of symmetry over the rows that have one.
        public let meanDegreeOfSymmetry: Double?
        /// Mean over attention heads of their double-rotation degree of symmetry.
        public let attentionDegreeOfSymmetry: Double?
        public let seconds: Double

        enum CodingKeys: String, CodingKey {
            case layers, analysed, skipped, attentionLayers = "attention_layers", headsAnalysed = "heads_analysed"
            case meanDegreeOfSymmetry = "mean_degree_of_symmetry", attentionDegreeOfSymmetry = "attention_degree_of_symmetry", seconds
        }
    }

    public let model: ModelInfo
    public let thresholds: SymmetryThresholds
    public var layers: [Row]
    public let summary: Summary
}

public enum WeightAnalysis {
    /// Analyses a weights file or directory (a Noether run directory, a Hugging Face model
    /// directory, a `.safetensors` file or a sharded index).
    ///
    /// - Parameters:
    ///   - heads: attention heads, overriding the model's config.
    ///   - layers: only rows whose name matches this regular expression.
    ///   - thresholds: nil for the run's own tracking thresholds when `path` is a Noether run
    ///     (so that its numbers match the run's metrics), else the defaults.
    public static func analyze(_ path: String, heads: Int? = nil, layers pattern: String? = nil,
                               thresholds: SymmetryThresholds? = nil) throws(RunError) -> WeightAnalysisReport {
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
            inferred = WeightInference.infer(infos, heads: heads ?? configuredHeads(near: path))
        }
        // Tensors converted to Float64 on first use.
        var cache: [String: Tensor<Double>] = [:]
        func tensor(_ name: String) throws(RunError) -> Tensor<Double> {
            if let cached = cache[name] { return cached }
            do {
                let t: Tensor<Double> = try collection.tensor(name)
                cache[name] = t
                return t
            } catch { throw RunError(error) }
        }
        func parameters(for spec: SymmetrySpec) throws(RunError) -> Parameters<Double> {
            var p = Parameters<Double>()
            for name in spec.parameterNames { p[name] = try tensor(name) }
            return p
        }
        var rows: [WeightAnalysisReport.Row] = []
        for layer in inferred.layers {
            if let filter, (try? filter.firstMatch(in: layer.name)) == nil { continue }
            // Converted tensors are kept only while one row needs them, so memory stays at the
            // mapped file plus one layer in Float64.
            cache.removeAll()
            var row = WeightAnalysisReport.Row(name: layer.name, kind: layer.kind.rawValue, shape: layer.shape, status: layer.status)
            guard layer.status == "ok" else { rows.append(row); continue }
            // NaN or infinity would give a plausible-looking rank of 0: report it instead.
            let names = inferred.symmetries.filter { $0.layer == layer.name || $0.layer.hasPrefix("\(layer.attentionBlock ?? layer.name).head.") }
                .flatMap(\.parameterNames) + (layer.weight.map { [$0] } ?? [])
            var nonFinite: String?
            for name in Set(names).sorted() where collection.entries.contains(where: { $0.entry.name == name }) {
                if !(try tensor(name)).isFinite { nonFinite = name; break }
            }
            if let nonFinite {
                row.status = "non-finite (\(nonFinite) holds NaN or infinite values)"
                rows.append(row)
                continue
            }
            if let weight = layer.weight {
                let t = try tensor(weight)
                let matrix = t.reshaped([t.shape[0], t.count / max(t.shape[0], 1)])
                let spectrum = Spectrum(matrix)  // singular values: the orientation does not matter
                row.rank = spectrum.rank(thresholds)
                row.ranks = Dictionary(uniqueKeysWithValues: SymmetryThresholds.reportedRankThresholds.map { ("\($0)", spectrum.rank(relative: $0)) })
                row.effectiveRank = spectrum.effectiveRank
                row.stableRank = spectrum.stableRank
                row.spectralNorm = spectrum.spectralNorm
                row.frobeniusNorm = spectrum.frobeniusNorm
                if let spec = inferred.symmetries.first(where: { $0.kind == .permutation && $0.incoming.first?.name == weight }) {
                    let p = try parameters(for: spec)
                    let isLinearBlock = inferred.symmetries.contains { $0.kind == .rotation && $0.layer == spec.layer }
                    let report = SymmetryAnalysis.neuronLayer(spec, p, thresholds, neurons: spec.neuronMatrix(in: p), isLinearBlock: isLinearBlock)
                    row.dead = report.neurons?.dead
                    row.distinct = report.neurons?.distinct
                    row.signPaired = report.neurons?.signPaired
                    row.degreeOfSymmetry = report.degreeOfSymmetry
                }
            } else if let block = layer.attentionBlock {
                var heads: [WeightAnalysisReport.Head] = []
                for spec in inferred.symmetries where spec.kind == .doubleRotation && spec.layer.hasPrefix("\(block).head.") && spec.layer.hasSuffix(".qk") {
                    let index = Int(spec.layer.dropFirst("\(block).head.".count).dropLast(3)) ?? heads.count
                    guard let vo = inferred.symmetries.first(where: { $0.layer == "\(block).head.\(index).vo" }) else { continue }
                    let qkRank = SymmetryAnalysis.headSpectrum(spec, try parameters(for: spec)).rank(thresholds)
                    let voRank = SymmetryAnalysis.headSpectrum(vo, try parameters(for: vo)).rank(thresholds)
                    let width = spec.units
                    heads.append(.init(head: index, qkRank: qkRank, voRank: voRank,
                                       degreeOfSymmetry: HeadReport.degree(width: width, qkRank: qkRank, voRank: voRank)))
                }
                row.heads = heads
                row.degreeOfSymmetry = heads.isEmpty ? nil : heads.map(\.degreeOfSymmetry).reduce(0, +) / Double(heads.count)
            }
            rows.append(row)
        }
        let degrees = rows.compactMap(\.degreeOfSymmetry)
        let headDegrees = rows.flatMap { $0.heads ?? [] }.map(\.degreeOfSymmetry)
        let elapsed = start.duration(to: clock.now)
        let summary = WeightAnalysisReport.Summary(
            layers: rows.count, analysed: rows.filter { $0.status == "ok" }.count, skipped: rows.filter { $0.status != "ok" }.count,
            attentionLayers: rows.filter { $0.kind == "attention" }.count, headsAnalysed: headDegrees.count,
            meanDegreeOfSymmetry: degrees.isEmpty ? nil : degrees.reduce(0, +) / Double(degrees.count),
            attentionDegreeOfSymmetry: headDegrees.isEmpty ? nil : headDegrees.reduce(0, +) / Double(headDegrees.count),
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        let parameters = collection.entries.filter { !$0.entry.encoding.isInteger }.reduce(0) { $0 + $1.entry.shape.reduce(1, *) }
        return WeightAnalysisReport(
            model: .init(path: path, family: inferred.family, tensors: collection.entries.count, parameters: parameters, heads: inferred.heads),
            thresholds: thresholds, layers: rows, summary: summary)
    }

    /// The model spec, loss and tracking thresholds of a Noether run directory at `path` (or the one holding it).
    static func noetherRun(_ path: String) -> (model: ModelSpec, loss: LossKind?, thresholds: SymmetryThresholds)? {
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        let directory = isDirectory.boolValue ? path : (path as NSString).deletingLastPathComponent
        guard let config = RunDirectory(directory).recordedConfig() else { return nil }
        return (config.model, config.loss, config.track.thresholds)
    }

    /// The head count of a Hugging Face `config.json` beside the weights.
    static func configuredHeads(near path: String) -> Int? {
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        let directory = isDirectory.boolValue ? path : (path as NSString).deletingLastPathComponent
        guard let data = FileManager.default.contents(atPath: "\(directory)/config.json"),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        for key in ["num_attention_heads", "n_head", "num_heads", "encoder_attention_heads"] {
            if let value = object[key] as? Int { return value }
        }
        return nil
    }
}
