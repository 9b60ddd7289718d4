import Foundation
import NoetherIO
import NoetherNN
import NoetherRepresent
import NoetherSymmetry
import NoetherTensor

/// Measures a model's symmetry state at an interval during training: per-layer dead, distinct
/// and sign-paired neurons, ranks, degrees of symmetry, ΔG of every inferred symmetry and the
/// drift of conserved quantities — as metrics — and breaking/restoration events (through a
/// ``SymmetryMonitor``). A ``TrainingCallback``: add it to a ``Trainer``'s callbacks.
public final class SymmetryTracker: TrainingCallback {
    public let catalogue: [SymmetrySpec]
    public let spec: TrackSpec
    public let interval: Int
    private(set) var state: State

    /// What a checkpoint must hold to resume tracking exactly.
    struct State: Equatable {
        var monitor: SymmetryMonitor
        /// Conserved quantities at the start, keyed by "layer/kind".
        var initialConserved: [String: [Double]]
    }

    /// The checkpoint's form of ``State`` (the monitor's detector under `detector`).
    private struct SavedState: Codable {
        var detector: EventDetector
        var initialConserved: [String: [Double]]
    }

    /// Every event confirmed in this session, in order.
    public private(set) var events: [SymmetryEvent] = []

    /// The last measurement and its step.
    private(set) var lastReport: (step: Int, report: ModelSymmetryReport)?

    /// Training inputs and labels for neural-collapse tracking, and the architecture.
    var probe: (inputs: Tensor<Float>, labels: [Int])?
    /// Training inputs for function-level unit statistics.
    var functionalProbe: Tensor<Float>?
    var architecture: Architecture?

    /// Tracks a model's inferred symmetries (``SymmetryCatalogue/infer(_:loss:)``) every
    /// `interval` steps.
    public convenience init(model: Model<Float>, loss: LossKind, spec: TrackSpec = TrackSpec(), interval: Int) throws(RunError) {
        let catalogue: [SymmetrySpec]
        do { catalogue = try SymmetryCatalogue.infer(model.spec, loss: loss) } catch { throw RunError("model: \(error.description)") }
        self.init(catalogue: catalogue, spec: spec, interval: interval)
        architecture = model.architecture
    }

    public init(catalogue: [SymmetrySpec], spec: TrackSpec, interval: Int) {
        self.catalogue = catalogue
        self.spec = spec
        self.interval = interval
        state = State(monitor: SymmetryMonitor(catalogue: catalogue, persistence: spec.persistence), initialConserved: [:])
    }

    /// Records the conserved quantities' starting values.
    public func start(_ parameters: Parameters<Float>) {
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
    public func measure(_ parameters: Parameters<Float>, learned: Parameters<Float>? = nil, step: Int, loss: Double, sink: MetricSink) -> [SymmetryEvent] {
        let learned = learned ?? parameters
        let report = SymmetryAnalysis.analyze(learned, catalogue: catalogue, thresholds: spec.thresholds)
        lastReport = (step, report)
        for layer in report.layers {
            if let n = layer.neurons {
                sink.record("\(layer.layer)/dead", Double(n.dead))
                sink.record("\(layer.layer)/distinct", Double(n.distinct))
                sink.record("\(layer.layer)/sign_paired", Double(n.signPaired))
            }
            if let rank = layer.rank { sink.record("\(layer.layer)/rank", Double(rank)) }
            if let effective = layer.effectiveRank { sink.record("\(layer.layer)/effective_rank", effective) }
            for head in layer.heads ?? [] {
                sink.record("\(layer.layer)/head.\(head.head)/qk_rank", Double(head.qkRank))
                sink.record("\(layer.layer)/head.\(head.head)/vo_rank", Double(head.voRank))
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
        return state.monitor.observe(report, step: step, loss: loss)
    }

    public var checkpointKey: String? { "tracker" }

    public func trainingWillStart(_ state: TrainingState) {
        if architecture == nil { architecture = state.architecture }
        // A resumed run has its starting values and step-0 measurement already.
        guard state.step == 0 else { return }
        start(state.learnedParameters)
        track(state)
    }

    public func stepDidFinish(_ state: TrainingState) {
        if isDue(step: state.step, totalSteps: state.totalSteps) { track(state) }
    }

    private func track(_ state: TrainingState) {
        let detected = measure(state.parameters, learned: state.learnedParameters, step: state.step, loss: state.batchLoss, sink: state.metrics)
        events += detected
        state.metrics.report(detected)
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

    public func savedState() -> Data? {
        try? JSONFormat.encoder(.compact).encode(SavedState(detector: state.monitor.detector, initialConserved: state.initialConserved))
    }

    public func restoreState(_ data: Data) throws(RunError) {
        do {
            let saved = try JSONFormat.decoder().decode(SavedState.self, from: data)
            state.monitor.detector = saved.detector
            state.initialConserved = saved.initialConserved
        } catch {
            throw RunError("the checkpoint's tracker state is damaged (\(error)); use --restart")
        }
    }
}
