import NoetherNN
import NoetherTensor

/// Ranks of one attention head's bilinear forms: W_Q W_Kᵀ (which scores keys against queries)
/// and W_V W_O (what it writes), each at most the head width.
public struct HeadReport: Hashable, Sendable, Codable {
    public let head: Int
    public let headWidth: Int
    public let qkRank: Int
    public let voRank: Int
    public let qkEffectiveRank: Double
    public let voEffectiveRank: Double
    /// ((d_h − qkRank) + (d_h − voRank)) / 2d_h: the head's double-rotation symmetry.
    public let degreeOfSymmetry: Double
}

/// The symmetry state of one layer of neurons, channels or heads.
public struct LayerReport: Hashable, Sendable, Codable {
    public let layer: String
    public let units: Int
    public let neurons: NeuronStatistics?
    /// The rank (under the thresholds' rule) of the layer's incoming weight `[units, fan_in]`.
    public let rank: Int?
    /// rank_τ at τ = 1e-2, 1e-3, 1e-4 (relative), keyed by τ.
    public let ranks: [String: Int]?
    public let rankDeficit: Int?
    public let effectiveRank: Double?
    public let stableRank: Double?
    public let heads: [HeadReport]?
    /// (dead + (alive − distinct) + rank deficit) / units, at most 1; for attention the mean
    /// of the heads' degrees.
    public let degreeOfSymmetry: Double
    public var degreeOfSymmetryBreaking: Double { 1 - degreeOfSymmetry }
}

/// Every symmetry measurement of a model at one point: per-layer reports, ΔG of every
/// inferred symmetry, and the model's degree of symmetry.
public struct ModelSymmetryReport: Sendable, Codable {
    public let thresholds: SymmetryThresholds
    public let layers: [LayerReport]
    public let distances: [BreakingDistance]
    /// Σ_layers (dead + alive − distinct + rank deficit) / Σ units (attention layers count
    /// their heads' double-rotation deficits).
    public let degreeOfSymmetry: Double
}

public enum SymmetryAnalysis {
    /// Measures `parameters` against a catalogue (from ``SymmetryCatalogue/infer(_:loss:)``),
    /// in Float64.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func analyze<Scalar: TensorScalar>(
        _ parameters: Parameters<Scalar>, catalogue: [SymmetrySpec], thresholds: SymmetryThresholds = SymmetryThresholds()
    ) -> ModelSymmetryReport {
        analyze(parameters.converted(to: Double.self), catalogue: catalogue, thresholds: thresholds)
    }

    static func analyze(_ parameters: Parameters<Double>, catalogue: [SymmetrySpec], thresholds: SymmetryThresholds) -> ModelSymmetryReport {
        // Each symmetry's unit matrix and Gram matrix, computed once and shared by the
        // neuron statistics and the breaking distances.
        var neurons: [Tensor<Double>] = []
        var grams: [Tensor<Double>?] = []
        var incomingGrams: [Tensor<Double>?] = []
        var computed: [[UnitSlice]: (Tensor<Double>, Tensor<Double>, Tensor<Double>?)] = [:]
        for spec in catalogue {
            if spec.kind == .translation {
                neurons.append(Tensor.concatenate(spec.incoming.compactMap { s in parameters[s.name].map { UnitMatrix.read($0, s, units: spec.units) } }, alongAxis: 1))
                grams.append(nil)
                incomingGrams.append(nil)
            } else {
                // Symmetries of one layer (permutation, rescaling, …) often share their slices.
                let key = spec.incoming + [UnitSlice("|", axis: 0)] + spec.outgoing
                let (u, gram, incoming) = computed[key] ?? gramsOf(spec, parameters)
                computed[key] = (u, gram, incoming)
                neurons.append(u)
                grams.append(gram)
                incomingGrams.append(incoming)
            }
        }
        var layers: [LayerReport] = []
        var symmetric = 0.0, units = 0.0
        for (index, spec) in catalogue.enumerated() where spec.kind == .permutation && spec.layer != "residual_stream" {
            if spec.layer.hasSuffix(".heads") {
                let report = attention(spec, catalogue: catalogue, parameters, thresholds)
                layers.append(report)
                symmetric += report.degreeOfSymmetry * Double(report.units)
                units += Double(report.units)
            } else {
                let report = neuronLayer(spec, parameters, thresholds, neurons: neurons[index], gram: grams[index],
                                         incomingGram: incomingGrams[index])
                layers.append(report)
                symmetric += report.degreeOfSymmetry * Double(report.units)
                units += Double(report.units)
            }
        }
        let distances = catalogue.indices.map { BreakingDistance(catalogue[$0], neurons: neurons[$0], gram: grams[$0]) }
        return ModelSymmetryReport(thresholds: thresholds, layers: layers, distances: distances,
                                   degreeOfSymmetry: units > 0 ? symmetric / units : 0)
    }

    /// A symmetry's unit matrix U, its Gram matrix U Uᵀ, and the Gram matrix W Wᵀ of its
    /// first (incoming weight) slice, which U Uᵀ is built from: one GEMM over U's columns in all.
    static func gramsOf(_ spec: SymmetrySpec, _ parameters: Parameters<Double>) -> (Tensor<Double>, Tensor<Double>, Tensor<Double>?) {
        let parts = (spec.incoming + spec.outgoing).compactMap { slice in
            parameters[slice.name].map { UnitMatrix.read($0, slice, units: spec.units) }
        }
        guard let first = parts.first else { return (.zeros([spec.units, 0]), .zeros([spec.units, spec.units]), nil) }
        let incoming = first.gramMatrix(ofRows: true)
        guard parts.count > 1 else { return (first, incoming, incoming) }
        let rest = Tensor.concatenate(Array(parts.dropFirst()), alongAxis: 1)
        return (Tensor.concatenate(parts, alongAxis: 1), incoming + rest.gramMatrix(ofRows: true), incoming)
    }

    /// The report of one permutation-symmetric layer: neuron statistics, the spectrum of its
    /// incoming weight and its degree of symmetry. `gram` and `incomingGram` (the neurons' and
    /// the incoming weight's row Gram matrices) are reused when given.
    public static func neuronLayer(_ spec: SymmetrySpec, _ parameters: Parameters<Double>, _ thresholds: SymmetryThresholds,
                                   neurons: Tensor<Double>, gram: Tensor<Double>? = nil, incomingGram: Tensor<Double>? = nil) -> LayerReport {
        let statistics = NeuronStatistics(neurons: neurons, gram: gram, thresholds: thresholds)
        let weight = spec.incoming.first.flatMap { s in parameters[s.name].map { UnitMatrix.read($0, s, units: spec.units) } }
        let spectrum = weight.map { w in
            // W Wᵀ is at hand when W has no more rows than columns.
            if let incomingGram, w.shape[0] <= w.shape[1] { return Spectrum(gram: incomingGram, rows: w.shape[0], columns: w.shape[1]) }
            return Spectrum(w)
        }
        let deficit = spectrum.map { $0.rankDeficit(thresholds) } ?? 0
        let alive = statistics.units - statistics.dead
        let degree = min(1, Double(statistics.dead + (alive - statistics.distinct) + deficit) / Double(max(spec.units, 1)))
        return LayerReport(
            layer: spec.layer, units: spec.units, neurons: statistics, rank: spectrum.map { $0.rank(thresholds) },
            ranks: spectrum.map { s in Dictionary(uniqueKeysWithValues: SymmetryThresholds.reportedRankThresholds.map { ("\($0)", s.rank(relative: $0)) }) },
            rankDeficit: spectrum == nil ? nil : deficit, effectiveRank: spectrum?.effectiveRank, stableRank: spectrum?.stableRank,
            heads: nil, degreeOfSymmetry: degree)
    }

    static func attention(_ heads: SymmetrySpec, catalogue: [SymmetrySpec], _ parameters: Parameters<Double>,
                                                _ thresholds: SymmetryThresholds) -> LayerReport {
        let prefix = String(heads.layer.dropLast(".heads".count))
        var reports: [HeadReport] = []
        let byLayer = Dictionary(catalogue.map { ($0.layer, $0) }, uniquingKeysWith: { first, _ in first })
        for head in 0..<heads.units {
            guard let qk = byLayer["\(prefix).head.\(head).qk"], let vo = byLayer["\(prefix).head.\(head).vo"] else { continue }
            let qkSpectrum = headSpectrum(qk, parameters)
            let voSpectrum = headSpectrum(vo, parameters)
            let width = qk.units
            let (qkRank, voRank) = (qkSpectrum.rank(thresholds), voSpectrum.rank(thresholds))
            reports.append(HeadReport(head: head, headWidth: width, qkRank: qkRank, voRank: voRank,
                                      qkEffectiveRank: qkSpectrum.effectiveRank, voEffectiveRank: voSpectrum.effectiveRank,
                                      degreeOfSymmetry: Double(2 * width - qkRank - voRank) / Double(2 * max(width, 1))))
        }
        let degree = reports.isEmpty ? 0 : reports.map(\.degreeOfSymmetry).reduce(0, +) / Double(reports.count)
        return LayerReport(layer: prefix, units: heads.units, neurons: nil, rank: nil, ranks: nil, rankDeficit: nil,
                           effectiveRank: nil, stableRank: nil, heads: reports, degreeOfSymmetry: degree)
    }

    /// The spectrum of a double rotation's d × d product of weight slices: W_Q^h W_K^hᵀ = A_hᵀ B_h
    /// for query/key, W_V^h W_O^h = V_hᵀ O_hᵀ for value/output (biases excluded).
    public static func headSpectrum(_ spec: SymmetrySpec, _ parameters: Parameters<Double>) -> Spectrum {
        guard let a = spec.incoming.first, let b = spec.outgoing.first,
              let left = parameters[a.name], let right = parameters[b.name] else { return Spectrum(Tensor<Double>.zeros([1, 1])) }
        return Spectrum(productOf: UnitMatrix.read(left, a, units: spec.units), UnitMatrix.read(right, b, units: spec.units))
    }
}
