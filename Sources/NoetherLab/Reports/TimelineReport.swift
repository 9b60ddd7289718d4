import Foundation
import NoetherIO
import NoetherSymmetry
import NoetherTraining

/// The report of a symmetry timeline (`noether track`): loss curves, per-layer ranks, dead and
/// distinct units, head ranks and the degree of symmetry against the step, with the breaking and
/// restoration events marked, and the events as a table.
enum TimelineReport {
    /// Series per layer for each layer-level quantity; head ranks are averaged over each layer's heads.
    static func figures(_ timeline: SymmetryTimeline) -> [Figure] {
        var byName: [String: [LineChart.Point]] = [:]
        for record in timeline.metrics where record.value.isFinite {
            byName[record.name, default: []].append(LineChart.Point(Double(record.step), record.value))
        }
        func markers(_ quantities: Set<String>) -> [LineChart.Marker] {
            timeline.events.filter { quantities.contains($0.quantity) }.map {
                LineChart.Marker(x: Double($0.step), label: "\($0.kind == .breaking ? "↑" : "↓") \($0.layer)", color: $0.kind == .breaking ? 1 : 2)
            }
        }
        var figures: [Figure] = []
        let losses = ["train_loss", "test_loss"].filter { byName[$0] != nil }
        if !losses.isEmpty {
            figures.append(.lines(LineChart(
                title: "Loss", xLabel: "step", yLabel: "loss", yLog: true,
                series: losses.enumerated().map { LineChart.Series(name: $1, points: byName[$1] ?? [], color: $0) },
                markers: markers(["rank", "distinct", "dead", "qk_rank", "vo_rank"]),
                caption: "From the run's own log; vertical lines are the symmetry events below.")))
        }
        let layerQuantities: [(String, String)] = [("rank", "rank (σ > τ·σ_max)"), ("effective_rank", "effective rank"),
                                                   ("distinct", "distinct units"), ("dead", "dead units")]
        for (quantity, label) in layerQuantities {
            let names = byName.keys.filter { $0.hasSuffix("/\(quantity)") && !$0.contains("/head.") && !$0.hasPrefix("model/") }.sorted()
            guard !names.isEmpty else { continue }
            figures.append(.lines(LineChart(
                title: "\(label) per layer", xLabel: "step", yLabel: label,
                series: names.enumerated().map { LineChart.Series(name: String($1.dropLast(quantity.count + 1)), points: byName[$1] ?? [], color: $0) },
                markers: markers([quantity]), caption: "One curve per layer of \(timeline.checkpoints.count) checkpoints.")))
        }
        for quantity in ["qk_rank", "vo_rank"] {
            var perLayer: [String: [Double: [Double]]] = [:]
            for (name, points) in byName where name.hasSuffix("/\(quantity)") {
                guard let range = name.range(of: "/head.") else { continue }
                for point in points { perLayer[String(name[..<range.lowerBound]), default: [:]][point.x, default: []].append(point.y) }
            }
            guard !perLayer.isEmpty else { continue }
            let title = quantity == "qk_rank" ? "Rank of W_Q W_Kᵀ (mean over heads)" : "Rank of W_V W_O (mean over heads)"
            figures.append(.lines(LineChart(
                title: title, xLabel: "step", yLabel: "rank",
                series: perLayer.keys.sorted().enumerated().map { index, layer in
                    let steps = perLayer[layer] ?? [:]
                    return LineChart.Series(name: layer, points: steps.keys.sorted().map { LineChart.Point($0, SeedBands.mean(steps[$0] ?? [])) }, color: index)
                },
                markers: markers([quantity]), caption: "One curve per attention layer.")))
        }
        if let degree = byName["model/degree_of_symmetry"] {
            figures.append(.lines(LineChart(title: "Degree of symmetry", xLabel: "step", yLabel: "mean over layers",
                                            series: [LineChart.Series(name: "model", points: degree, color: 0)])))
        }
        return figures
    }

    static func html(_ timeline: SymmetryTimeline, name: String) -> String {
        let escape = SVGRenderer.escape
        let breaking = timeline.events.filter { $0.kind == .breaking }.count
        var body = "<h1>Symmetry timeline: \(escape(name))</h1>"
        body += "<p>\(timeline.checkpoints.count) checkpoints from step \(timeline.checkpoints.first?.step ?? 0) to \(timeline.checkpoints.last?.step ?? 0); "
            + "family \(escape(timeline.family)), \(timeline.parameters) parameters; \(breaking) breaking and \(timeline.events.count - breaking) restoration events.</p>"
        for figure in figures(timeline) { body += SVGRenderer.render(figure) }
        body += "<h2>Events</h2><table><tr><th>step</th><th>layer</th><th>quantity</th><th>kind</th><th>change</th><th>detected at</th></tr>"
        for event in timeline.events {
            body += "<tr><td>\(event.step)</td><td>\(escape(event.layer))</td><td>\(escape(event.quantity))</td><td>\(event.kind.rawValue)</td>"
                + "<td>\(event.before) → \(event.after)</td><td>\(event.detectedAt)</td></tr>"
        }
        body += "</table><h2>Checkpoints</h2><table><tr><th>step</th><th>path</th></tr>"
        for checkpoint in timeline.checkpoints { body += "<tr><td>\(checkpoint.step)</td><td>\(escape(checkpoint.path))</td></tr>" }
        body += "</table>"
        return HTMLPage.render(title: "Symmetry timeline: \(name)", body: body)
    }
}
