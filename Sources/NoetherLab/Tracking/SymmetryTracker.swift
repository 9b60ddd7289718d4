import Foundation
import NoetherNN
import NoetherRepresent
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

    /// The last measurement and its step.
    private(set) var lastReport: (step: Int, report: ModelSymmetryReport)?

    /// Training inputs and labels for neural-collapse tracking, and the architecture.
    var probe: (inputs: Tensor<Float>, labels: [Int])?
    /// Training inputs for function-level unit statistics.
    var functionalProbe: Tensor<Float>?
    var architecture: Architecture?

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

    /// Measures the model, recording metrics into `sink`; returns confirmed events. Weight-level
    /// symmetry is measured on the `learned` part of the parameters (θ, without syre's frozen
    /// offset θ₀); function-level quantities on the `parameters` the model computes with.
    func measure(_ parameters: Parameters<Float>, learned: Parameters<Float>? = nil, step: Int, loss: Double, sink: MetricSink) -> [SymmetryEvent] {
        let learned = learned ?? parameters
        let report = SymmetryAnalysis.analyze(learned, catalogue: catalogue, thresholds: spec.thresholds)
        lastReport = (step, report)
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
                // The rank of a linear block is its rotation symmetry's state; that of a nonlinear
                // layer is no parameter symmetry's (its distinct and dead units are).
                let symmetry: SymmetryKind? = kinds.contains(.rotation) ? .rotation : nil
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
        recordGates(learned, sink: sink)
        if spec.product > 0 { recordProductSpectrum(parameters, sink: sink) }
        if let functionalProbe, let architecture, let model = try? Model<Float>(architecture.spec, parameters: parameters),
           let units = FunctionalUnits.measure(model, inputs: functionalProbe, deadRelative: spec.functionalDead,
                                               distinctTolerance: spec.thresholds.distinctTolerance) {
            sink.record("\(units.layer)/functional_dead", Double(units.dead))
            sink.record("\(units.layer)/functional_distinct", Double(units.distinct))
        }
        if let probe, let architecture, spec.neuralCollapse > 0 { recordNeuralCollapse(parameters, architecture, probe, sink: sink) }
        if spec.conserved {
            for symmetry in catalogue {
                let key = "\(symmetry.layer)/\(symmetry.kind.rawValue)"
                guard let start = state.initialConserved[key], let now = ConservedQuantities.quantity(symmetry, learned) else { continue }
                sink.record("\(key)/conserved_drift", ConservedQuantities.drift(from: start, to: now))
            }
        }
        return state.detector.observe(step: step, loss: loss, values: series)
    }

    /// The symmetry report of `parameters` at `step`: the measurement taken there, or a new one.
    func report(of parameters: Parameters<Float>, at step: Int) -> ModelSymmetryReport {
        if let lastReport, lastReport.step == step { return lastReport.report }
        return SymmetryAnalysis.analyze(parameters, catalogue: catalogue, thresholds: spec.thresholds)
    }

    /// Mean |v| of every DCS gate (`<layer>.gate/mean_abs`).
    func recordGates(_ parameters: Parameters<Float>, sink: MetricSink) {
        for (name, tensor) in parameters.tensors where name.hasSuffix(".gate") {
            sink.record("\(name)/mean_abs", Double(tensor.map(.abs).mean()))
        }
    }

    /// Singular values of the end-to-end map of a chain of weights without biases.
    func recordProductSpectrum(_ parameters: Parameters<Float>, sink: MetricSink) {
        let weights = parameters.tensors.filter { $0.key.hasSuffix(".weight") }.values.map { Tensor<Double>($0) }
        guard var product = weights.first else { return }
        for w in weights.dropFirst() where w.rank == 2 && w.shape[1] == product.shape[0] { product = w.matmul(product) }
        let values = (try? product.singularValues()) ?? []
        for (k, value) in values.prefix(spec.product).enumerated() { sink.record("model/product_sv.\(k)", value) }
    }

    /// Neural collapse of the penultimate representation on the probe samples.
    func recordNeuralCollapse(_ parameters: Parameters<Float>, _ architecture: Architecture, _ probe: (inputs: Tensor<Float>, labels: [Int]),
                              sink: MetricSink) {
        guard let model = try? Model<Float>(architecture.spec, parameters: parameters) else { return }
        let captured = CapturedRepresentations.capture(model, inputs: probe.inputs)
        guard captured.layers.count >= 2, let output = LayerwiseAnalysis.outputLayer(model),
              let nc = try? NeuralCollapse(features: captured.layers[captured.layers.count - 2], labels: probe.labels,
                                           classifier: output.weight, bias: output.bias) else { return }
        let values: [(String, Double?)] = [("nc1", nc.nc1), ("nc2_equinorm", nc.nc2Equinorm), ("nc2_equiangular", nc.nc2Equiangular),
                                          ("nc2_maxangle", nc.nc2MaxAngle), ("nc3", nc.nc3), ("nc4", nc.nc4), ("cdnv", nc.cdnv)]
        for (name, value) in values { if let value { sink.record("nc/\(name)", value) } }
    }

    func saveState() -> Data { (try? JSONEncoder().encode(state)) ?? Data() }

    func restoreState(_ data: Data) throws(RunError) {
        do { state = try JSONDecoder().decode(State.self, from: data) } catch {
            throw RunError("the checkpoint's tracker state is damaged (\(error)); use --restart")
        }
    }
}
