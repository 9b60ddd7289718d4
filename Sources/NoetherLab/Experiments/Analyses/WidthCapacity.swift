import Foundation
import NoetherIO
import NoetherSweeps
import NoetherTraining

/// E4: the number of distinct units (at function level) is set by the task, not by the width:
/// across widths it stays within a two-sided band.
struct WidthCapacityAnalysis: ExperimentAnalysis {
    func evaluate(_ context: SeedContext) throws(RunError) -> SeedEvaluation {
        let sorted = context.runs.sorted { RestorationReading.width($0) < RestorationReading.width($1) }
        guard sorted.count >= 2 else { throw RunError("E4 needs at least two widths") }
        let distinct = sorted.map { RestorationReading.last($0, "functional_distinct") }
        let alive = sorted.map { RestorationReading.width($0) - RestorationReading.last($0, "functional_dead") }
        let spread = (distinct.max() ?? .nan) / max(distinct.min() ?? .nan, 1)
        let tolerance = context.spec.parameter("tolerance", default: 0.2)
        let gaps = sorted.map { ($0.last("test_loss") ?? .nan) - ($0.last("train_loss") ?? .nan) }
        let evidence: [String: JSONValue] = [
            "widths": .array(sorted.map { .number(RestorationReading.width($0)) }),
            "functional distinct units": .array(distinct.map { .number($0) }),
            "functional alive units": .array(alive.map { .number($0) }),
            "weight-level distinct neurons of θ": .array(sorted.map { .number(RestorationReading.last($0, "distinct")) }),
            "rank of W₁": .array(sorted.map { .number(RestorationReading.last($0, "rank")) }),
            "final train loss": .array(sorted.map { .number($0.last("train_loss") ?? .nan) }),
            "generalisation gap (test − train loss)": .array(gaps.map { .number($0) }),
        ]
        let (verdict, reason) = SeedEvaluation.decide(spread <= 1 + tolerance, unfit: FitCheck.unfit(sorted, in: context),
                                                      failing: "distinct units range over a factor \(shortNumber(spread)) across widths (> \(shortNumber(1 + tolerance))): \(distinct.map(shortNumber).joined(separator: ", "))")
        return SeedEvaluation(verdict: verdict, reason: reason, evidence: evidence, effects: [
            ("largest / smallest number of distinct units across widths", spread),
            ("distinct units at the smallest width", distinct.first ?? .nan),
            ("distinct units at the largest width", distinct.last ?? .nan),
            ("alive units at the largest width", alive.last ?? .nan),
        ])
    }

    func figures(_ study: ExperimentStudy) throws(RunError) -> [Figure] {
        func curve(_ seeds: [SeedContext], _ measure: (ExperimentRun) -> Double) -> [[LineChart.Point]] {
            seeds.map { seed in seed.runs.map { LineChart.Point(RestorationReading.width($0), measure($0)) }.sorted { $0.x < $1.x } }
        }
        var series = [
            SeedBands.series("distinct units", color: 0, curve(study.main) { RestorationReading.last($0, "functional_distinct") }),
            SeedBands.series("alive units", color: 2, curve(study.main) { RestorationReading.width($0) - RestorationReading.last($0, "functional_dead") }),
        ]
        for (index, control) in study.controls.enumerated() {
            series.append(SeedBands.series("distinct, control \(control.control.name)", color: 3 + index, dashed: true,
                                           curve(control.seeds) { RestorationReading.last($0, "functional_distinct") }))
        }
        let widths = study.main.first?.runs.map { RestorationReading.width($0) }.sorted() ?? []
        series.append(.init(name: "width", points: widths.map { .init($0, $0) }, dashed: true, color: 8))
        return [
            .lines(LineChart(title: "Capacity against width (function level)", xLabel: "width", yLabel: "units", xLog: true, yLog: true, series: series,
                             caption: "Mean over \(study.main.count) seeds with 95% bands, and the controls dashed.")),
            .lines(LineChart(title: "Generalisation gap against width", xLabel: "width", yLabel: "test − train loss", xLog: true,
                             series: [SeedBands.series("gap", color: 0, curve(study.main) { ($0.last("test_loss") ?? .nan) - ($0.last("train_loss") ?? .nan) })],
                             caption: "Mean over seeds with 95% bands.")),
        ]
    }
}
