import Foundation
import NoetherIO
import NoetherTraining

/// The results of a sweep, trial by trial, and its report: the chosen metric against each
/// swept key, mean and spread over the seeds (and other keys' values held fixed).
public struct SweepReport: Sendable {
    public struct Row: Sendable {
        public var trial: Trial
        public var state: TrialState
        /// The metric's last logged value (nil if the trial has not completed or never logged it).
        public var metric: Double?
        public var testLoss: Double?
    }

    /// The metric at one value of a swept key, over the trials that share it.
    public struct Cell: Sendable, Equatable {
        public var group: String
        public var value: JSONValue
        public var values: [Double]
        public var mean: Double { values.reduce(0, +) / Double(max(values.count, 1)) }
        /// The sample standard deviation (0 for a single value).
        public var standardDeviation: Double {
            guard values.count > 1 else { return 0 }
            let m = mean
            return (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
        }
    }

    public var manifest: SweepManifest
    public var rows: [Row]

    /// Reads every trial's state and metric.
    public init(_ sweep: SweepDirectory, metric: String? = nil) throws(RunError) {
        manifest = try sweep.manifest()
        if let metric { manifest.metric = metric }
        rows = []
        for trial in try sweep.trials() {
            let state = sweep.state(of: trial)
            let run = RunDirectory(sweep.runDirectory(of: trial))
            let summary = run.summary()
            var row = Row(trial: trial, state: state, metric: nil, testLoss: summary?.final["test_loss"])
            if state == .completed {
                // The summary holds the last evaluation; anything else (tracker metrics) is in metrics.jsonl.
                row.metric = summary?.final[manifest.metric]
                if row.metric == nil { row.metric = try MetricRecord.read(run.metricsPath).last { $0.name == manifest.metric }?.value }
            }
            rows.append(row)
        }
    }

    /// The swept keys a chart is drawn against (all but `seed`).
    public var chartedKeys: [String] { manifest.sweptKeys.filter { $0 != "seed" } }

    /// The metric against `key`: one cell per (values of the other non-seed keys, value of `key`).
    public func cells(against key: String) -> [Cell] {
        let others = chartedKeys.filter { $0 != key }
        var cells: [Cell] = []
        for row in rows {
            guard let metric = row.metric, metric.isFinite, let value = row.trial.overrides[key] else { continue }
            let group = others.map { "\($0)=\(row.trial.overrides[$0]?.text ?? "–")" }.joined(separator: ", ")
            if let position = cells.firstIndex(where: { $0.group == group && $0.value == value }) {
                cells[position].values.append(metric)
            } else {
                cells.append(Cell(group: group, value: value, values: [metric]))
            }
        }
        return cells
    }

    /// A number for a swept value: itself, or the element of a one-element list (`[64]`).
    static func numeric(_ value: JSONValue) -> Double? {
        if let n = value.number { return n }
        if let a = value.array, a.count == 1 { return a[0].number }
        return nil
    }

    /// The chart of the metric against `key`.
    public func figure(against key: String) -> Figure {
        let cells = cells(against: key)
        let values = Array(Set(cells.map(\.value)))
        let numbers = values.compactMap(Self.numeric)
        let isNumeric = numbers.count == values.count && !values.isEmpty
        let categories = values.map(\.text).sorted()
        func x(_ value: JSONValue) -> Double { isNumeric ? Self.numeric(value) ?? 0 : Double(categories.firstIndex(of: value.text) ?? 0) }
        let logX = isNumeric && (numbers.min() ?? 0) > 0 && (numbers.max() ?? 0) >= 20 * (numbers.min() ?? 1)
        let metrics = cells.flatMap(\.values)
        let logY = (metrics.min() ?? 0) > 0 && (metrics.max() ?? 0) >= 50 * (metrics.min() ?? 1)
        var series: [LineChart.Series] = []
        let groups = cells.map(\.group).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        for (color, group) in groups.enumerated() {
            let members = cells.filter { $0.group == group }.sorted { x($0.value) < x($1.value) }
            let prefix = group.isEmpty ? "" : "\(group): "
            series.append(.init(name: "\(prefix)mean", points: members.map { .init(x($0.value), $0.mean) }, color: color))
            if members.contains(where: { $0.values.count > 1 }) {
                series.append(.init(name: "\(prefix)mean ± s.d.", points: members.map { .init(x($0.value), $0.mean + $0.standardDeviation) }, dashed: true, color: color))
                series.append(.init(name: "", points: members.map { .init(x($0.value), $0.mean - $0.standardDeviation) }, dashed: true, color: color))
            }
        }
        let seeds = Set(rows.compactMap { $0.trial.overrides["seed"] }).count
        var caption = "\(manifest.metric) at the end of each trial against \(key); the line is the mean over \(seeds > 1 ? "\(seeds) seeds" : "the trials"), dashed lines one standard deviation either side."
        if !isNumeric { caption += " Values of \(key): " + categories.enumerated().map { "\($0.offset) = \($0.element)" }.joined(separator: ", ") + "." }
        return .lines(LineChart(title: "\(manifest.metric) against \(key)", xLabel: key, yLabel: manifest.metric, xLog: logX, yLog: logY, series: series, caption: caption))
    }

    /// Writes `report.html` and `results.csv` into the sweep directory.
    public func write(to sweep: SweepDirectory) throws(RunError) {
        do {
            try AtomicWrite.write(Data(html.utf8), to: "\(sweep.path)/report.html")
            try AtomicWrite.write(Data(csv.utf8), to: "\(sweep.path)/results.csv")
        } catch { throw RunError(error) }
    }

    /// One line per trial: index, hash, state, each swept key, the metric and the test loss
    /// (once, when it is the metric).
    public var csv: String {
        let metricIsTestLoss = manifest.metric == "test_loss"
        let header = ["index", "hash", "state"] + manifest.sweptKeys + [manifest.metric] + (metricIsTestLoss ? [] : ["test_loss"])
        return CSVWriter.table(header: header, rows: rows.map { row in
            let keys = manifest.sweptKeys.map { row.trial.overrides[$0]?.text ?? "" }
            let numbers = ([row.metric] + (metricIsTestLoss ? [] : [row.testLoss])).map { $0.map { String($0) } ?? "" }
            return [String(row.trial.index), row.trial.hash, row.state.rawValue] + keys + numbers
        })
    }

    var html: String {
        let escape = SVGRenderer.escape
        let counts = Dictionary(grouping: rows, by: \.state).mapValues(\.count)
        var body = "<h1>Sweep \(escape(manifest.name))</h1>"
        body += "<p>\(rows.count) trials: " + [TrialState.completed, .started, .pending, .failed].map { "\(counts[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
        body += ". Swept: \(manifest.sweptKeys.map { "<code>\(escape($0))</code>" }.joined(separator: ", ")). Metric: <code>\(escape(manifest.metric))</code> (its last logged value).</p>"
        body += "<h2>Figures</h2>"
        for key in chartedKeys {
            let figure = figure(against: key)
            if case .lines(let chart) = figure {
                body += "<figure>\(SVGRenderer.render(figure))<figcaption>\(escape(chart.caption))</figcaption></figure>"
            }
            body += "<table><tr><th>other settings</th><th>\(escape(key))</th><th>trials</th><th>mean</th><th>s.d.</th><th>min</th><th>max</th></tr>"
            for cell in cells(against: key) {
                let stats = [cell.mean, cell.standardDeviation, cell.values.min() ?? .nan, cell.values.max() ?? .nan].map { String(format: "%.5g", $0) }
                body += "<tr><td>\(escape(cell.group.isEmpty ? "–" : cell.group))</td><td>\(escape(cell.value.text))</td><td>\(cell.values.count)</td>" + stats.map { "<td>\($0)</td>" }.joined() + "</tr>"
            }
            body += "</table>"
        }
        if chartedKeys.isEmpty { body += "<p>The sweep varies only the seed; the table below lists every trial.</p>" }
        body += "<h2>Trials</h2><table><tr><th>#</th><th>settings</th><th>state</th><th>\(escape(manifest.metric))</th><th>test loss</th><th>run directory</th></tr>"
        for row in rows {
            let settings = row.trial.overrides.keys.sorted().map { "\($0)=\(row.trial.overrides[$0]?.text ?? "")" }.joined(separator: ", ")
            let numbers = [row.metric, row.testLoss].map { $0.map { String(format: "%.5g", $0) } ?? "–" }
            let directory = "trials/" + ((row.trial.directory(in: "") as NSString).lastPathComponent)
            body += "<tr><td>\(row.trial.index)</td><td>\(escape(settings))</td><td class=\"\(row.state == .failed ? "fails" : "")\">\(row.state.rawValue)</td><td>\(numbers[0])</td><td>\(numbers[1])</td><td><code>\(escape(directory))</code></td></tr>"
        }
        body += "</table>"
        return HTMLPage.render(title: "Sweep \(manifest.name)", body: body)
    }
}
