import Foundation
import NoetherNN
import NoetherSymmetry
import NoetherTensor

/// Measures a model's symmetry state at an interval during training: per-layer dead, distinct
/// and sign-paired neurons, ranks, degrees of symmetry, ΔG of every inferred symmetry and the
/// drift of conserved quantities — as metrics — and breaking/restoration events.
public final class SymmetryTracker {
    public let catalogue: [SymmetrySpec]
    public let spec: TrackSpec
    public let interval: Int
    private(set) var state: State

    /// What a checkpoint must hold to resume tracking exactly.
    struct State: Codable, Equatable {
        var detector: EventDetector
        /// Conserved quantities at the start, keyed by "layer/kind".
        var initialConserved: [String: [Double]]
    }

    public init(catalogue: [SymmetrySpec], spec: TrackSpec, interval: Int) {
        self.catalogue = catalogue
        self.spec = spec
        self.interval = interval
        state = State(detector: EventDetector(persistence: spec.persistence), initialConserved: [:])
    }

    /// Records the conserved quantities' starting values.
    func start(_ parameters: Parameters<Float>) {
        guard spec.conserved, state.initialConserved.isEmpty else { return }
        for symmetry in catalogue {
            if let q = ConservedQuantities.quantity(symmetry, parameters) { state.initialConserved["\(symmetry.layer)/\(symmetry.kind.rawValue)"] = q }
        }
    }

    /// Whether `step` is a measurement step.
    func isDue(step: Int, totalSteps: Int) -> Bool { step % interval == 0 || step == totalSteps }

    /// Measures `parameters`, recording metrics into `sink`; returns confirmed events.
    func measure(_ parameters: Parameters<Float>, step: Int, loss: Double, sink: MetricSink) -> [SymmetryEvent] {
        let report = SymmetryAnalysis.analyze(parameters, catalogue: catalogue, thresholds: spec.thresholds)
        var series: [(EventDetector.Series, Int)] = []
        for layer in report.layers {
            let kinds = Set(catalogue.filter { $0.layer == layer.layer }.map(\.kind))
            if let n = layer.neurons {
                sink.record("\(layer.layer)/dead", Double(n.dead))
                sink.record("\(layer.layer)/distinct", Double(n.distinct))
                sink.record("\(layer.layer)/sign_paired", Double(n.signPaired))
                series.append((.init(layer: layer.layer, quantity: "distinct", symmetry: .permutation, riseBreaks: true), n.distinct))
                if kinds.contains(.rescaling) || kinds.contains(.signFlip) {
                    let symmetry: SymmetryKind = kinds.contains(.rescaling) ? .rescaling : .signFlip
                    series.append((.init(layer: layer.layer, quantity: "dead", symmetry: symmetry, riseBreaks: false), n.dead))
                }
            }
            if let rank = layer.rank {
                sink.record("\(layer.layer)/rank", Double(rank))
                let symmetry: SymmetryKind = kinds.contains(.rotation) ? .rotation : .permutation
                series.append((.init(layer: layer.layer, quantity: "rank", symmetry: symmetry, riseBreaks: true), rank))
            }
            if let effective = layer.effectiveRank { sink.record("\(layer.layer)/effective_rank", effective) }
            for head in layer.heads ?? [] {
                sink.record("\(layer.layer)/head.\(head.head)/qk_rank", Double(head.qkRank))
                sink.record("\(layer.layer)/head.\(head.head)/vo_rank", Double(head.voRank))
                series.append((.init(layer: "\(layer.layer).head.\(head.head)", quantity: "qk_rank", symmetry: .doubleRotation, riseBreaks: true), head.qkRank))
                series.append((.init(layer: "\(layer.layer).head.\(head.head)", quantity: "vo_rank", symmetry: .doubleRotation, riseBreaks: true), head.voRank))
            }
            sink.record("\(layer.layer)/degree_of_symmetry", layer.degreeOfSymmetry)
        }
        sink.record("model/degree_of_symmetry", report.degreeOfSymmetry)
        for distance in report.distances {
            sink.record("\(distance.layer)/\(distance.kind.rawValue)/delta", distance.relativeNearestMirror)
            sink.record("\(distance.layer)/\(distance.kind.rawValue)/delta_group", distance.relativeGroup)
        }
        if spec.conserved {
            for symmetry in catalogue {
                let key = "\(symmetry.layer)/\(symmetry.kind.rawValue)"
                guard let start = state.initialConserved[key], let now = ConservedQuantities.quantity(symmetry, parameters) else { continue }
                sink.record("\(key)/conserved_drift", ConservedQuantities.drift(from: start, to: now))
            }
        }
        return state.detector.observe(step: step, loss: loss, values: series)
    }

    func saveState() -> Data { (try? JSONEncoder().encode(state)) ?? Data() }

    func restoreState(_ data: Data) throws(RunError) {
        do { state = try JSONDecoder().decode(State.self, from: data) } catch {
            throw RunError("the checkpoint's tracker state is damaged (\(error)); use --restart")
        }
    }
}
