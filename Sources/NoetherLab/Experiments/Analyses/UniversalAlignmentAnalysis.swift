import Foundation
import NoetherIO
import NoetherNN
import NoetherRepresent
import NoetherSweeps
import NoetherTensor
import NoetherTraining

/// E8: independently trained networks — different seeds and widths, one seeing the inputs in
/// rotated coordinates — learn aligned representations: by linear CKA and mutual k-NN their last
/// hidden layers end above the input baseline, and CKA has risen since initialisation.
struct UniversalAlignmentAnalysis: ExperimentAnalysis {
    /// Trajectories computed for the verdicts, reused by the figures (keyed by A's run directory).
    final class Memo { var trajectories: [String: Trajectory] = [:] }
    let memo = Memo()

    /// Alignment of A's and B's last hidden layers at every common snapshot.
    struct Trajectory {
        var cka: [LineChart.Point] = []
        var ckaBaseline: [LineChart.Point] = []
        var knn: [LineChart.Point] = []
        var knnBaseline: [LineChart.Point] = []
        var final: AlignmentMatrix?
    }

    func trajectory(_ context: SeedContext) throws(RunError) -> Trajectory {
        guard context.runs.count >= 2 else { throw RunError("E8 needs two networks") }
        if let known = memo.trajectories[context.runs[0].directory] { return known }
        let computed = try computeTrajectory(context)
        memo.trajectories[context.runs[0].directory] = computed
        return computed
    }

    func computeTrajectory(_ context: SeedContext) throws(RunError) -> Trajectory {
        let (a, b) = (context.runs[0], context.runs[1])
        let n = Int(context.spec.parameter("probe_samples", default: 1000))
        let k = Int(context.spec.parameter("k", default: 10))
        let (dataA, dataB) = (try a.data(), try b.data())
        let count = min(n, dataA.test.count)
        let (xA, xB) = (dataA.test.inputs.slice(alongAxis: 0, 0..<count), dataB.test.inputs.slice(alongAxis: 0, 0..<count))
        let input = Tensor<Double>(xA)
        var result = Trajectory()
        let steps = Set(b.snapshotSteps()).intersection(a.snapshotSteps()).sorted()
        guard let lastStep = steps.last else { throw RunError("E8 found no common snapshots (set training.snapshot_every)") }
        for step in steps {
            let ma: Model<Float>, mb: Model<Float>
            do {
                ma = try Model<Float>(a.config.model, parameters: try a.snapshot(at: step))
                mb = try Model<Float>(b.config.model, parameters: try b.snapshot(at: step))
            } catch { throw RunError("\(error)") }
            let (ca, cb) = (CapturedRepresentations.capture(ma, inputs: xA), CapturedRepresentations.capture(mb, inputs: xB))
            let (la, lb) = (ca.layers[ca.layers.count - 2], cb.layers[cb.layers.count - 2])
            let x = Double(step)
            do {
                result.cka.append(.init(x, try Alignment.linearCKA(la, lb)))
                result.ckaBaseline.append(.init(x, max(try Alignment.linearCKA(la, input), try Alignment.linearCKA(lb, input))))
                result.knn.append(.init(x, try Alignment.mutualKNN(la, lb, k: k)))
                result.knnBaseline.append(.init(x, max(try Alignment.mutualKNN(la, input, k: k), try Alignment.mutualKNN(lb, input, k: k))))
                if step == lastStep { result.final = try AlignmentMatrix(ca, cb, k: k) }
            } catch { throw RunError(error) }
        }
        return result
    }

    func evaluate(_ context: SeedContext) throws(RunError) -> SeedEvaluation {
        let t = try trajectory(context)
        guard let cka = t.cka.last?.y, let ckaBase = t.ckaBaseline.last?.y, let knn = t.knn.last?.y, let knnBase = t.knnBaseline.last?.y,
              let initial = t.cka.first?.y else { throw RunError("E8 has no alignment measurements") }
        var evidence: [String: JSONValue] = [
            "linear CKA of the last hidden layers during training": .array(t.cka.map { .number($0.y) }),
            "mutual k-NN of the last hidden layers during training": .array(t.knn.map { .number($0.y) }),
            "final test accuracy": .array(context.runs.map { .number($0.last("test_accuracy") ?? .nan) }),
        ]
        if let matrix = t.final { evidence["cross-layer CKA matrix (A rows × B columns)"] = .array(matrix.linearCKA.map { .array($0.map { .number($0) }) }) }
        var failures: [String] = []
        if !(cka > ckaBase) { failures.append("final CKA \(shortNumber(cka)) ≤ input baseline \(shortNumber(ckaBase))") }
        if !(knn > knnBase) { failures.append("final mutual k-NN \(shortNumber(knn)) ≤ input baseline \(shortNumber(knnBase))") }
        if !(cka > initial) { failures.append("CKA did not rise from initialisation (\(shortNumber(initial)) → \(shortNumber(cka)))") }
        let (verdict, reason) = SeedEvaluation.decide(failures.isEmpty, unfit: FitCheck.unfit(context.runs, in: context), failing: failures.joined(separator: "; "))
        return SeedEvaluation(verdict: verdict, reason: reason, evidence: evidence, effects: [
            ("final linear CKA − input baseline", cka - ckaBase),
            ("final mutual k-NN − input baseline", knn - knnBase),
            ("rise of linear CKA since initialisation", cka - initial),
            ("final linear CKA", cka),
            ("final mutual k-NN", knn),
        ])
    }

    func figures(_ study: ExperimentStudy) throws(RunError) -> [Figure] {
        let main = try study.main.map { (context: SeedContext) throws(RunError) in try trajectory(context) }
        var series = [SeedBands.series("CKA, A vs B", color: 0, main.map(\.cka)),
                      SeedBands.series("CKA input baseline", color: 0, dashed: true, main.map(\.ckaBaseline)),
                      SeedBands.series("mutual k-NN, A vs B", color: 1, main.map(\.knn)),
                      SeedBands.series("mutual k-NN input baseline", color: 1, dashed: true, main.map(\.knnBaseline))]
        for (index, control) in study.controls.enumerated() {
            let controlTrajectories = try control.seeds.map { (context: SeedContext) throws(RunError) in try trajectory(context) }
            series.append(SeedBands.series("CKA, control \(control.control.name)", color: 4 + index, controlTrajectories.map(\.cka)))
        }
        var figures: [Figure] = [.lines(LineChart(title: "Alignment of the two networks' last hidden layers", xLabel: "training step", yLabel: "similarity",
                                                  series: series, caption: "Mean over \(study.main.count) seeds with 95% bands; dashed: the larger similarity of either network with the raw inputs."))]
        if let matrix = main.first?.final {
            figures.append(.heatmaps([
                Heatmap(title: "Linear CKA, layers of A × layers of B", rowLabels: matrix.layersA, columnLabels: matrix.layersB,
                        values: matrix.linearCKA, low: 0, high: 1, caption: "After training, seed \(study.main.first?.seed ?? 0)."),
                Heatmap(title: "Mutual k-NN", rowLabels: matrix.layersA, columnLabels: matrix.layersB, values: matrix.mutualKNN, low: 0, high: 1, caption: ""),
            ]))
        }
        return figures
    }
}
