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
    /// 1 − (qkRank + voRank) / 2d_h: the head's double-rotation symmetry (DESIGN.md §3).
    public let degreeOfSymmetry: Double

    /// The degree of symmetry of a head of width `width` with these ranks.
    public static func degree(width: Int, qkRank: Int, voRank: Int) -> Double {
        1 - Double(qkRank + voRank) / Double(2 * max(width, 1))
    }
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
    /// The mirror reflections the degree of symmetry counts over: the units of a layer of
    /// neurons, min(dims) of a linear block's weight, 2·d_head per attention head.
    public let mirrors: Int
    /// The share of those mirrors that are restored, each counted once (DESIGN.md §3): for
    /// neurons or channels 1 − distinct alive units / units (a dead unit and a merged copy
    /// are each one restored mirror; a rank deficit among distinct nonlinear units is no
    /// symmetry); for linear blocks with rotation symmetry 1 − rank / min(dims); for attention
    /// 1 − (rank W_Q W_Kᵀ + rank W_V W_O) / 2d_h, averaged over the heads.
    public let degreeOfSymmetry: Double
    public var degreeOfSymmetryBreaking: Double { 1 - degreeOfSymmetry }
}

/// Every symmetry measurement of a model at one point: per-layer reports, ΔG of every
/// inferred symmetry, and the model's degree of symmetry.
public struct ModelSymmetryReport: Sendable, Codable {
    public let thresholds: SymmetryThresholds
    public let layers: [LayerReport]
    public let distances: [BreakingDistance]
    /// Restored mirrors over all mirrors, summed over the layers (each layer's
    /// ``LayerReport/degreeOfSymmetry`` weighted by its ``LayerReport/mirrors``).
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
        let rotating = Set(catalogue.filter { $0.kind == .rotation }.map(\.layer))
        for (index, spec) in catalogue.enumerated() where spec.kind == .permutation {
            switch spec.scope {
            case .heads(let block):
                layers.append(attention(block: block, units: spec.units, catalogue: catalogue, parameters, thresholds))
            case .units, .gatedUnits:
                layers.append(neuronLayer(spec, parameters, thresholds, neurons: neurons[index], gram: grams[index],
                                          incomingGram: incomingGrams[index], isLinearBlock: rotating.contains(spec.layer)))
            default: continue
            }
        }
        let distances = catalogue.indices.map { BreakingDistance(catalogue[$0], neurons: neurons[$0], gram: grams[$0]) }
        let restored = layers.reduce(0.0) { $0 + $1.degreeOfSymmetry * Double($1.mirrors) }
        let mirrors = layers.reduce(0) { $0 + $1.mirrors }
        return ModelSymmetryReport(thresholds: thresholds, layers: layers, distances: distances,
                                   degreeOfSymmetry: mirrors > 0 ? restored / Double(mirrors) : 0)
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
    /// the incoming weight's row Gram matrices) are reused when given. `isLinearBlock`: the
    /// layer has rotation symmetry (no nonlinearity between its factors), so its degree of
    /// symmetry is rank-based.
    public static func neuronLayer(_ spec: SymmetrySpec, _ parameters: Parameters<Double>, _ thresholds: SymmetryThresholds,
                                   neurons: Tensor<Double>, gram: Tensor<Double>? = nil, incomingGram: Tensor<Double>? = nil,
                                   isLinearBlock: Bool = false) -> LayerReport {
        let statistics = NeuronStatistics(neurons: neurons, gram: gram, thresholds: thresholds)
        let weight = spec.incoming.first.flatMap { s in parameters[s.name].map { UnitMatrix.read($0, s, units: spec.units) } }
        let spectrum = weight.map { w in
            // W Wᵀ is at hand when W has no more rows than columns.
            if let incomingGram, w.shape[0] <= w.shape[1] { return Spectrum(gram: incomingGram, rows: w.shape[0], columns: w.shape[1]) }
            return Spectrum(w)
        }
        let deficit = spectrum.map { $0.rankDeficit(thresholds) } ?? 0
        // Each restored mirror once: in a linear block a dead or merged unit lowers the rank,
        // so the rank alone counts them; among nonlinear units only dead and merged ones do.
        let restored: Int, mirrors: Int
        if isLinearBlock, let weight {
            restored = deficit
            mirrors = min(weight.shape[0], weight.shape[1])
        } else {
            restored = spec.units - statistics.distinct
            mirrors = spec.units
        }
        return LayerReport(
            layer: spec.layer, units: spec.units, neurons: statistics, rank: spectrum.map { $0.rank(thresholds) },
            ranks: spectrum.map { s in Dictionary(uniqueKeysWithValues: SymmetryThresholds.reportedRankThresholds.map { ("\($0)", s.rank(relative: $0)) }) },
            rankDeficit: spectrum == nil ? nil : deficit, effectiveRank: spectrum?.effectiveRank, stableRank: spectrum?.stableRank,
            heads: nil, mirrors: mirrors, degreeOfSymmetry: mirrors > 0 ? Double(restored) / Double(mirrors) : 0)
    }

    /// Per query head: the ranks of W_Q^h W_K^gᵀ and W_V^g W_O^h, with g the head's key/value
    /// group (g = h in multi-head attention).
    ///
    /// - Parameter only: the query heads to measure (numbered across key/value groups); nil for all.
    public static func attention(block: String, units: Int, catalogue: [SymmetrySpec], _ parameters: Parameters<Double>,
                          _ thresholds: SymmetryThresholds, only: Set<Int>? = nil) -> LayerReport {
        var reports: [HeadReport] = []
        var head = 0
        var pairs: [Int: (qk: SymmetrySpec?, vo: SymmetrySpec?)] = [:]
        for spec in catalogue {
            guard case .head(block, let index, let pair) = spec.scope else { continue }
            if pair == .queryKey { pairs[index, default: (nil, nil)].qk = spec } else { pairs[index, default: (nil, nil)].vo = spec }
        }
        for group in pairs.keys.sorted() {
            guard let qk = pairs[group]?.qk, let vo = pairs[group]?.vo else { continue }
            for member in 0..<qk.memberCount {
                defer { head += 1 }
                if let only, !only.contains(head) { continue }
                let qkSpectrum = headSpectrum(qk, parameters, member: member)
                let voSpectrum = headSpectrum(vo, parameters, member: member)
                let width = qk.units
                let (qkRank, voRank) = (qkSpectrum.rank(thresholds), voSpectrum.rank(thresholds))
                reports.append(HeadReport(head: head, headWidth: width, qkRank: qkRank, voRank: voRank,
                                          qkEffectiveRank: qkSpectrum.effectiveRank, voEffectiveRank: voSpectrum.effectiveRank,
                                          degreeOfSymmetry: HeadReport.degree(width: width, qkRank: qkRank, voRank: voRank)))
            }
        }
        let degree = reports.isEmpty ? 0 : reports.map(\.degreeOfSymmetry).reduce(0, +) / Double(reports.count)
        let mirrors = reports.reduce(0) { $0 + 2 * $1.headWidth }
        return LayerReport(layer: block, units: units, neurons: nil, rank: nil, ranks: nil, rankDeficit: nil,
                           effectiveRank: nil, stableRank: nil, heads: reports, mirrors: mirrors, degreeOfSymmetry: degree)
    }

    /// The spectrum of a double rotation's d × d product of weight slices: W_Q^h W_K^hᵀ = A_hᵀ B_h
    /// for query/key, W_V^h W_O^h = V_hᵀ O_hᵀ for value/output (biases excluded).
    ///
    /// - Parameter member: in a key/value group, which of its query heads (their slices sit
    ///   side by side in the query/key pair's incoming and the value/output pair's outgoing).
    public static func headSpectrum(_ spec: SymmetrySpec, _ parameters: Parameters<Double>, member: Int = 0) -> Spectrum {
        let (queries, outputs) = (spec.incoming.filter { $0.name == spec.incoming.first?.name }, spec.outgoing.filter { $0.name == spec.outgoing.first?.name })
        let (a, b): (UnitSlice?, UnitSlice?) = switch spec.scope {
        case .head(_, _, .valueOutput): (spec.incoming.first, member < outputs.count ? outputs[member] : nil)
        default: (member < queries.count ? queries[member] : nil, spec.outgoing.first)
        }
        guard let a, let b, let left = parameters[a.name], let right = parameters[b.name] else { return Spectrum(Tensor<Double>.zeros([1, 1])) }
        return Spectrum(productOf: UnitMatrix.read(left, a, units: spec.units), UnitMatrix.read(right, b, units: spec.units))
    }
}
