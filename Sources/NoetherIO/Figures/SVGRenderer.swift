import Foundation

/// Draws figures as self-contained SVG: axes with ticks and labels, log scales, legends,
/// event markers, colour bars.
public enum SVGRenderer {
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]

    static func color(_ index: Int) -> String { palette[((index % palette.count) + palette.count) % palette.count] }

    public static func render(_ figure: Figure) -> String {
        switch figure {
        case .lines(let chart): lines(chart)
        case .heatmap(let map): heatmaps([map])
        case .heatmaps(let maps): heatmaps(maps)
        }
    }

    public static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    static func format(_ v: Double) -> String {
        if v == 0 { return "0" }
        let magnitude = abs(v)
        if magnitude >= 1e4 || magnitude < 1e-2 {
            let exponent = Int(floor(log10(magnitude)))
            let mantissa = v / pow(10, Double(exponent))
            return abs(mantissa - 1) < 1e-9 ? "1e\(exponent)" : String(format: "%.1fe%d", mantissa, exponent)
        }
        // Tick values computed as 10^(log10 5 + 1) land a hair off the integer.
        if abs(v - v.rounded()) < 1e-9 * magnitude { return String(Int(v.rounded())) }
        return String(format: magnitude >= 100 ? "%.0f" : (magnitude >= 10 ? "%.1f" : "%.2g"), v)
    }

    /// Tick positions for a linear axis: 4–8 round numbers.
    static func linearTicks(_ low: Double, _ high: Double) -> [Double] {
        let span = max(high - low, 1e-12)
        let raw = span / 5
        let power = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * power }.first { span / $0 <= 7 } ?? power * 10
        var ticks: [Double] = []
        var t = ceil(low / step) * step
        while t <= high + step * 1e-9 {
            ticks.append(abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        return ticks
    }

    /// Powers of ten within [low, high] (log10 values), thinned to at most 8; over less than
    /// two decades also 2× and 5× (and over less than one, 1–9×) so there are enough to read.
    static func logTicks(_ low: Double, _ high: Double) -> [Double] {
        let first = Int(floor(low)), last = Int(ceil(high))
        for multipliers in [[1.0], [1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]] {
            let ticks = (first...max(first, last)).flatMap { e in multipliers.map { log10($0) + Double(e) } }
                .filter { $0 >= low - 1e-9 && $0 <= high + 1e-9 }
            if ticks.count >= 3 || multipliers.count == 9 {
                let every = max(1, (ticks.count + 7) / 8)
                return stride(from: 0, to: ticks.count, by: every).map { ticks[$0] }
            }
        }
        return [low, high]
    }

    static func lines(_ chart: LineChart) -> String {
        let (width, height) = (760.0, 420.0)
        let (left, right, top, bottom) = (78.0, 190.0, 40.0, 58.0)
        let plotW = width - left - right, plotH = height - top - bottom
        func tx(_ x: Double) -> Double? { chart.xLog ? (x > 0 ? log10(x) : nil) : x }
        func ty(_ y: Double) -> Double? { chart.yLog ? (y > 0 ? log10(y) : nil) : (y.isFinite ? y : nil) }
        let xs = chart.series.flatMap { $0.points.compactMap { tx($0.x) } } + chart.markers.compactMap { tx($0.x) }
        let ys = chart.series.flatMap { $0.points.compactMap { ty($0.y) } }
            + chart.series.flatMap { ($0.band ?? []).flatMap { [ty($0.low), ty($0.high)].compactMap { $0 } } }
        guard var x0 = xs.min(), var x1 = xs.max(), var y0 = ys.min(), var y1 = ys.max() else {
            return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"60\"><text x=\"10\" y=\"30\" font-family=\"sans-serif\">\(escape(chart.title)): no data</text></svg>"
        }
        if x1 - x0 < 1e-12 { (x0, x1) = (x0 - 1, x1 + 1) }
        if y1 - y0 < 1e-12 { (y0, y1) = (y0 - 1, y1 + 1) }
        if !chart.yLog { let pad = (y1 - y0) * 0.05; (y0, y1) = (y0 - pad, y1 + pad) } else { (y0, y1) = (floor(y0 * 10) / 10, ceil(y1 * 10) / 10) }
        func px(_ v: Double) -> Double { left + (v - x0) / (x1 - x0) * plotW }
        func py(_ v: Double) -> Double { top + plotH - (v - y0) / (y1 - y0) * plotH }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"Helvetica, Arial, sans-serif\">"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
        svg += "<text x=\"\(left)\" y=\"24\" font-size=\"16\" font-weight=\"bold\">\(escape(chart.title))</text>"
        // Grid and ticks.
        let xTicks = chart.xLog ? logTicks(x0, x1) : linearTicks(x0, x1)
        let yTicks = chart.yLog ? logTicks(y0, y1) : linearTicks(y0, y1)
        for t in xTicks {
            let x = px(t)
            svg += "<line x1=\"\(x)\" y1=\"\(top)\" x2=\"\(x)\" y2=\"\(top + plotH)\" stroke=\"#e5e5e5\"/>"
            svg += "<text x=\"\(x)\" y=\"\(top + plotH + 18)\" font-size=\"12\" text-anchor=\"middle\">\(chart.xLog ? format(pow(10, t)) : format(t))</text>"
        }
        for t in yTicks {
            let y = py(t)
            svg += "<line x1=\"\(left)\" y1=\"\(y)\" x2=\"\(left + plotW)\" y2=\"\(y)\" stroke=\"#e5e5e5\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(y + 4)\" font-size=\"12\" text-anchor=\"end\">\(chart.yLog ? format(pow(10, t)) : format(t))</text>"
        }
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotW)\" height=\"\(plotH)\" fill=\"none\" stroke=\"#333\"/>"
        svg += "<text x=\"\(left + plotW / 2)\" y=\"\(height - 14)\" font-size=\"13\" text-anchor=\"middle\">\(escape(chart.xLabel))\(chart.xLog ? " (log scale)" : "")</text>"
        svg += "<text transform=\"translate(18 \(top + plotH / 2)) rotate(-90)\" font-size=\"13\" text-anchor=\"middle\">\(escape(chart.yLabel))\(chart.yLog ? " (log scale)" : "")</text>"
        // Event markers.
        for marker in chart.markers {
            guard let v = tx(marker.x) else { continue }
            let x = px(v)
            svg += "<line x1=\"\(x)\" y1=\"\(top)\" x2=\"\(x)\" y2=\"\(top + plotH)\" stroke=\"\(color(marker.color))\" stroke-width=\"1\" stroke-dasharray=\"2,3\" opacity=\"0.8\"><title>\(escape(marker.label))</title></line>"
        }
        // Bands (spread across seeds), under every curve.
        for series in chart.series {
            let edges = (series.band ?? []).compactMap { b -> (Double, Double, Double)? in
                guard let x = tx(b.x), let low = ty(b.low), let high = ty(b.high) else { return nil }
                return (px(x), py(low), py(high))
            }
            guard edges.count >= 2 else { continue }
            let outline = (edges.map { ($0.0, $0.2) } + edges.reversed().map { ($0.0, $0.1) })
                .map { String(format: "%.1f,%.1f", $0.0, $0.1) }.joined(separator: " ")
            svg += "<polygon points=\"\(outline)\" fill=\"\(color(series.color))\" opacity=\"0.15\" stroke=\"none\"/>"
        }
        // Series.
        for series in chart.series {
            let points = series.points.compactMap { p -> (Double, Double)? in
                guard let x = tx(p.x), let y = ty(p.y) else { return nil }
                return (px(x), py(y))
            }
            guard !points.isEmpty else { continue }
            let path = points.map { String(format: "%.1f,%.1f", $0.0, $0.1) }.joined(separator: " ")
            svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color(series.color))\" stroke-width=\"2\"\(series.dashed ? " stroke-dasharray=\"6,4\"" : "")><title>\(escape(series.name))</title></polyline>"
            if points.count == 1 { svg += "<circle cx=\"\(points[0].0)\" cy=\"\(points[0].1)\" r=\"3\" fill=\"\(color(series.color))\"/>" }
            if points.count <= 12 {
                for p in points { svg += "<circle cx=\"\(p.0)\" cy=\"\(p.1)\" r=\"2.5\" fill=\"\(color(series.color))\"/>" }
            }
        }
        // Legend (unnamed series continue the one before, e.g. the lower band of a spread).
        var ly = top + 6
        for series in chart.series where !series.name.isEmpty {
            svg += "<line x1=\"\(left + plotW + 14)\" y1=\"\(ly)\" x2=\"\(left + plotW + 38)\" y2=\"\(ly)\" stroke=\"\(color(series.color))\" stroke-width=\"2\"\(series.dashed ? " stroke-dasharray=\"6,4\"" : "")/>"
            svg += "<text x=\"\(left + plotW + 44)\" y=\"\(ly + 4)\" font-size=\"12\">\(escape(series.name))</text>"
            ly += 18
        }
        if !chart.markers.isEmpty {
            svg += "<line x1=\"\(left + plotW + 14)\" y1=\"\(ly)\" x2=\"\(left + plotW + 38)\" y2=\"\(ly)\" stroke=\"#555\" stroke-dasharray=\"2,3\"/>"
            svg += "<text x=\"\(left + plotW + 44)\" y=\"\(ly + 4)\" font-size=\"12\">symmetry event</text>"
        }
        return svg + "</svg>"
    }

    /// A diverging blue–white–red scale from low to high.
    static func heat(_ v: Double, _ low: Double, _ high: Double) -> String {
        let t = max(0, min(1, (v - low) / max(high - low, 1e-12)))
        let (r, g, b): (Double, Double, Double) = t < 0.5
            ? (59 + (255 - 59) * t * 2, 76 + (255 - 76) * t * 2, 192 + (255 - 192) * t * 2)
            : (255 - (255 - 180) * (t - 0.5) * 2, 255 - (255 - 4) * (t - 0.5) * 2, 255 - (255 - 38) * (t - 0.5) * 2)
        return String(format: "rgb(%d,%d,%d)", Int(r), Int(g), Int(b))
    }

    static func heatmaps(_ maps: [Heatmap]) -> String {
        let largest = maps.map { max($0.rowLabels.count, $0.columnLabels.count) }.max() ?? 1
        let cell = min(52.0, 300.0 / Double(max(largest, 1)))
        // Small matrices get their values written in the cells.
        let showsValues = largest <= 8
        let labelWidth = 90.0, gap = 40.0
        // Wide enough for the title (about 8.5 px per character of bold 15 px text).
        let panel = maps.map { labelWidth + max(Double($0.columnLabels.count) * cell, Double($0.title.count) * 8.5 - labelWidth + 10) }
        let width = panel.reduce(0, +) + gap * Double(maps.count) + 110
        let rows = Double(maps.map(\.rowLabels.count).max() ?? 0)
        let height = 70 + rows * cell + 70
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"Helvetica, Arial, sans-serif\"><rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
        var x = 10.0
        let low = maps.map(\.low).min() ?? 0, high = maps.map(\.high).max() ?? 1
        for (index, map) in maps.enumerated() {
            svg += "<text x=\"\(x + labelWidth)\" y=\"24\" font-size=\"15\" font-weight=\"bold\">\(escape(map.title))</text>"
            let top = 40.0
            for (r, label) in map.rowLabels.enumerated() {
                svg += "<text x=\"\(x + labelWidth - 6)\" y=\"\(top + (Double(r) + 0.65) * cell)\" font-size=\"11\" text-anchor=\"end\">\(escape(label))</text>"
                for c in map.columnLabels.indices where c < map.values[r].count {
                    let v = map.values[r][c]
                    svg += "<rect x=\"\(x + labelWidth + Double(c) * cell)\" y=\"\(top + Double(r) * cell)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"\(heat(v, low, high))\"><title>\(escape(map.rowLabels[r])) × \(escape(map.columnLabels[c])): \(format(v))</title></rect>"
                    if showsValues {
                        let t = (v - low) / max(high - low, 1e-12)
                        svg += "<text x=\"\(x + labelWidth + (Double(c) + 0.5) * cell)\" y=\"\(top + (Double(r) + 0.5) * cell + 4)\" font-size=\"11\" text-anchor=\"middle\" fill=\"\(t > 0.8 || t < 0.2 ? "white" : "#222")\">\(String(format: "%.2f", v))</text>"
                    }
                }
            }
            for (c, label) in map.columnLabels.enumerated() {
                let cx = x + labelWidth + (Double(c) + 0.5) * cell
                let cy = top + rows * cell + 10
                svg += "<text transform=\"translate(\(cx) \(cy)) rotate(45)\" font-size=\"11\">\(escape(label))</text>"
            }
            x += panel[index] + gap
        }
        // Colour bar.
        let barTop = 40.0, barHeight = max(rows * cell, 80)
        for i in 0..<40 {
            let v = high - (high - low) * Double(i) / 39
            svg += "<rect x=\"\(x)\" y=\"\(barTop + barHeight * Double(i) / 40)\" width=\"16\" height=\"\(barHeight / 40 + 0.5)\" fill=\"\(heat(v, low, high))\"/>"
        }
        svg += "<text x=\"\(x + 22)\" y=\"\(barTop + 10)\" font-size=\"11\">\(format(high))</text>"
        svg += "<text x=\"\(x + 22)\" y=\"\(barTop + barHeight)\" font-size=\"11\">\(format(low))</text>"
        return svg + "</svg>"
    }
}
