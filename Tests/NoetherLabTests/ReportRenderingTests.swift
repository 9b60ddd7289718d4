import Foundation
import Testing
@testable import NoetherIO
@testable import NoetherLab
@testable import NoetherSweeps
@testable import NoetherTraining

@Suite("Report figures")
struct ReportRenderingTests {
    @Test func tickLabelsAreRoundNumbers() {
        #expect(SVGRenderer.format(pow(10, log10(5) + 1)) == "50")
        #expect(SVGRenderer.format(0.5) == "0.5")
        #expect(SVGRenderer.format(2048) == "2048")
        #expect(SVGRenderer.format(1e-4) == "1e-4")
        #expect(SVGRenderer.format(2.5e-5) == "2.5e-5")
        let ticks = SVGRenderer.logTicks(log10(32), log10(2048)).map { SVGRenderer.format(pow(10, $0)) }
        #expect(ticks == ["50", "100", "200", "500", "1000", "2000"])
    }

    @Test func smallHeatmapsShowTheirValuesAndFitTheirTitles() {
        let map = Heatmap(title: "Linear CKA, layers of A × layers of B", rowLabels: ["a0", "a1"], columnLabels: ["b0", "b1"],
                          values: [[0.9412, 0.5], [0.25, 1]], low: 0, high: 1)
        let svg = SVGRenderer.render(.heatmaps([map, map]))
        #expect(svg.contains(">0.94</text>") && svg.contains(">0.25</text>"))
        // The second panel's title starts after the first one's ends (≈ 8.5 px per character).
        let titleX = svg.components(separatedBy: "<text x=\"").dropFirst().filter { $0.contains("font-weight=\"bold\"") }
            .compactMap { Double($0.prefix { $0 != "\"" }) }
        #expect(titleX.count == 2)
        #expect(titleX[1] - titleX[0] >= Double(map.title.count) * 8)
        let large = Heatmap(title: "t", rowLabels: (0..<20).map(String.init), columnLabels: (0..<20).map(String.init),
                            values: Array(repeating: Array(repeating: 0.5, count: 20), count: 20), low: 0, high: 1)
        #expect(!SVGRenderer.render(.heatmap(large)).contains(">0.50</text>"))
    }

    @Test func unnamedSeriesStayOutOfTheLegend() {
        let chart = LineChart(title: "t", xLabel: "x", yLabel: "y", series: [
            .init(name: "mean ± s.d.", points: [.init(1, 2), .init(2, 3)], dashed: true, color: 0),
            .init(name: "", points: [.init(1, 0), .init(2, 1)], dashed: true, color: 0),
        ])
        let svg = SVGRenderer.render(.lines(chart))
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 2)
        #expect(svg.components(separatedBy: "font-size=\"12\">").filter { $0.hasPrefix("</text>") }.isEmpty)
    }
}
