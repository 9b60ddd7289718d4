import NoetherNN
import NoetherTensor

/// Turns measurements of a model's symmetry state into breaking and restoration events
/// (DESIGN.md §3 "events"): per layer the distinct units (permutation), the dead units
/// (rescaling or sign flip), the rank (rotation, for a linear block) and the ranks of each
/// attention head (double rotation); a rise or drop by ≥ 1 that persists for `persistence`
/// consecutive measurements is an event.
///
/// A value: feed it one measurement at a time with ``observe(_:step:loss:)``; it keeps only the
/// reference counts and pending changes, so a copy (or its `detector`, saved in a checkpoint)
/// continues exactly.
public struct SymmetryMonitor: Sendable, Equatable {
    /// The symmetries whose states the counts measure.
    public let catalogue: [SymmetrySpec]
    /// The reference values and pending changes.
    public var detector: EventDetector

    public init(catalogue: [SymmetrySpec], persistence: Int = 5) {
        self.catalogue = catalogue
        detector = EventDetector(persistence: persistence)
    }

    /// Measures `parameters` under `thresholds` and observes the result.
    public mutating func observe<Scalar: TensorScalar>(
        _ parameters: Parameters<Scalar>, thresholds: SymmetryThresholds = SymmetryThresholds(), step: Int, loss: Double
    ) -> [SymmetryEvent] {
        observe(SymmetryAnalysis.analyze(parameters, catalogue: catalogue, thresholds: thresholds), step: step, loss: loss)
    }

    /// Observes one measurement; returns the events it confirms.
    public mutating func observe(_ report: ModelSymmetryReport, step: Int, loss: Double) -> [SymmetryEvent] {
        detector.observe(step: step, loss: loss, values: series(of: report))
    }

    /// The counts of a report that events are made of, each labelled with the symmetry whose
    /// state it measures.
    public func series(of report: ModelSymmetryReport) -> [(EventDetector.Series, Int)] {
        var series: [(EventDetector.Series, Int)] = []
        for layer in report.layers {
            let kinds = Set(catalogue.filter { $0.layer == layer.layer }.map(\.kind))
            if let n = layer.neurons {
                series.append((.init(layer: layer.layer, quantity: "distinct", symmetry: .permutation, riseBreaks: true), n.distinct))
                if kinds.contains(.rescaling) || kinds.contains(.signFlip) {
                    let symmetry: SymmetryKind = kinds.contains(.rescaling) ? .rescaling : .signFlip
                    series.append((.init(layer: layer.layer, quantity: "dead", symmetry: symmetry, riseBreaks: false), n.dead))
                }
            }
            if let rank = layer.rank {
                // The rank of a linear block is its rotation symmetry's state; that of a nonlinear
                // layer is no parameter symmetry's (its distinct and dead units are).
                let symmetry: SymmetryKind? = kinds.contains(.rotation) ? .rotation : nil
                series.append((.init(layer: layer.layer, quantity: "rank", symmetry: symmetry, riseBreaks: true), rank))
            }
            for head in layer.heads ?? [] {
                series.append((.init(layer: "\(layer.layer).head.\(head.head)", quantity: "qk_rank", symmetry: .doubleRotation, riseBreaks: true), head.qkRank))
                series.append((.init(layer: "\(layer.layer).head.\(head.head)", quantity: "vo_rank", symmetry: .doubleRotation, riseBreaks: true), head.voRank))
            }
        }
        return series
    }
}
