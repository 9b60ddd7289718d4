import Foundation
import NoetherIO
import NoetherSymmetry
import NoetherTraining

/// `noether track`: the symmetry timeline of a run trained elsewhere. Each checkpoint of a
/// ``CheckpointSeries`` is analysed as `noether analyze` would; the per-layer and per-head
/// quantities go to `metrics.jsonl` under the names in-house tracking uses (`<layer>/rank`,
/// `<layer>/dead`, `<layer>/head.<h>/qk_rank`, …), their changes to `events.jsonl` as breaking
/// and restoration events, both to TensorBoard, and the timelines to `report.html`.
public struct SymmetryTimeline: Sendable {
    public let metrics: [MetricRecord]
    public let events: [SymmetryEvent]
    public let checkpoints: [CheckpointSeries.Checkpoint]
    /// The family inferred at the last checkpoint.
    public let family: String
    public let parameters: Int

    /// Options of the analysis of each checkpoint.
    public struct Options: Sendable {
        public var heads: Int?
        public var layers: String?
        public var thresholds = SymmetryThresholds()
        /// How many consecutive checkpoints a change must hold for to be an event.
        public var persistence = 1
        public init() {}
    }

    /// Analyses every checkpoint; `losses` (from ``LossHistory``) give the loss at each event
    /// and the loss curves.
    public init(_ series: CheckpointSeries, options: Options = Options(), losses: [MetricRecord] = [],
                onProgress: ((Int, CheckpointSeries.Checkpoint) -> Void)? = nil) throws(RunError) {
        var metrics = losses
        var events: [SymmetryEvent] = []
        var detector = EventDetector(persistence: options.persistence)
        let trainLoss = losses.filter { $0.name == "train_loss" }.sorted { $0.step < $1.step }
        var family = "unknown", parameters = 0
        for (index, checkpoint) in series.checkpoints.enumerated() {
            onProgress?(index, checkpoint)
            let report = try WeightAnalysis.analyze(checkpoint.path, heads: options.heads, layers: options.layers, thresholds: options.thresholds)
            (family, parameters) = (report.model.family, report.model.parameters)
            let step = checkpoint.step
            func record(_ name: String, _ value: Double?) {
                if let value { metrics.append(MetricRecord(step: step, time: report.summary.seconds, name: name, value: value)) }
            }
            var values: [(EventDetector.Series, Int)] = []
            for row in report.layers where row.status == "ok" {
                record("\(row.name)/rank", row.rank.map(Double.init))
                record("\(row.name)/effective_rank", row.effectiveRank)
                record("\(row.name)/stable_rank", row.stableRank)
                record("\(row.name)/spectral_norm", row.spectralNorm)
                record("\(row.name)/dead", row.dead.map(Double.init))
                record("\(row.name)/distinct", row.distinct.map(Double.init))
                record("\(row.name)/degree_of_symmetry", row.degreeOfSymmetry)
                // As in-house tracking: distinct units break the permutation symmetry as they
                // rise, dead units restore a mirror as they rise, ranks break rotations.
                if let distinct = row.distinct { values.append((.init(layer: row.name, quantity: "distinct", symmetry: .permutation, riseBreaks: true), distinct)) }
                if let dead = row.dead { values.append((.init(layer: row.name, quantity: "dead", symmetry: .rescaling, riseBreaks: false), dead)) }
                if let rank = row.rank { values.append((.init(layer: row.name, quantity: "rank", symmetry: nil, riseBreaks: true), rank)) }
                for head in row.heads ?? [] {
                    record("\(row.name)/head.\(head.head)/qk_rank", Double(head.qkRank))
                    record("\(row.name)/head.\(head.head)/vo_rank", Double(head.voRank))
                    values.append((.init(layer: "\(row.name).head.\(head.head)", quantity: "qk_rank", symmetry: .doubleRotation, riseBreaks: true), head.qkRank))
                    values.append((.init(layer: "\(row.name).head.\(head.head)", quantity: "vo_rank", symmetry: .doubleRotation, riseBreaks: true), head.voRank))
                }
            }
            record("model/degree_of_symmetry", report.summary.meanDegreeOfSymmetry)
            let loss = trainLoss.last { $0.step <= step }?.value ?? .nan
            events += detector.observe(step: step, loss: loss, values: values)
        }
        self.metrics = metrics.sorted { ($0.step, $0.name) < ($1.step, $1.name) }
        (self.events, self.checkpoints, self.family, self.parameters) = (events, series.checkpoints, family, parameters)
    }

    /// Writes the run directory: metrics, events, TensorBoard scalars, `summary.json`,
    /// `checkpoints.json` (the analysed checkpoints) and `report.html`.
    public func write(to directory: String, name: String) throws(RunError) {
        let run = RunDirectory(directory)
        guard !directory.isEmpty else { throw RunError("the output directory is an empty path", hint: "give --out DIR") }
        try run.create()
        try run.writeJSON(Data((metrics.map(\.jsonLine).joined(separator: "\n") + (metrics.isEmpty ? "" : "\n")).utf8), to: run.metricsPath)
        try run.writeJSON(Data((events.map(SymmetryEventLog.line).joined(separator: "\n") + (events.isEmpty ? "" : "\n")).utf8), to: run.eventsPath)
        run.removeTensorBoardFiles()
        do {
            let writer = try TensorBoardWriter(directory: directory)
            writer.scalars(metrics.map { ($0.name, $0.value, $0.step) })
        } catch { throw RunError(error) }
        let last = checkpoints.last?.step ?? 0
        var final: [String: Double] = [:]
        for record in metrics where record.step == last || !(record.name.contains("/")) { final[record.name] = record.value }
        let summary = RunSummary(name: name, status: "completed", steps: last, configHash: "", parameterCount: parameters, final: final,
                                 wallTimeSeconds: 0, stepsPerSecond: 0)
        try run.writeJSON(RunSummary.json(summary), to: run.summaryPath)
        do {
            let list = checkpoints.map { ["path": $0.path, "step": String($0.step)] }
            try run.writeJSON(try JSONSerialization.data(withJSONObject: ["family": family, "checkpoints": list], options: [.prettyPrinted, .sortedKeys]),
                              to: "\(directory)/checkpoints.json")
        } catch let error as RunError { throw error } catch { throw RunError("cannot write \(directory)/checkpoints.json: \(error)") }
        do { try AtomicWrite.write(Data(TimelineReport.html(self, name: name).utf8), to: "\(directory)/report.html") } catch { throw RunError(error) }
    }
}
