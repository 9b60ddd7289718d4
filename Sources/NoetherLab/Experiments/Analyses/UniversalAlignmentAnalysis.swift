import Foundation
import NoetherIO
import NoetherNN
import NoetherRepresent
import NoetherSweeps
import NoetherTensor
import NoetherTraining

/// E8: independently trained networks — different seeds, widths, depths and architectures, one
/// MLP seeing the inputs in rotated coordinates — learn aligned representations: for each pair
/// (the first arm with every other arm), by linear CKA and mutual k-NN their last hidden layers
/// end above the input baseline, and CKA has risen since initialisation.
struct UniversalAlignmentAnalysis: ExperimentAnalysis {
    /// Trajectories computed for the verdicts, reused by the figures (keyed by the pair's run directories).
    final class Memo {
        var trajectories: [String: Trajectory] = [:]
        let data = DataCache()
    }
    let memo = Memo()

    /// Alignment of two networks' last hidden layers at every common snapshot.
    struct Trajectory {
        var cka: [LineChart.Point] = []
        var ckaBaseline: [LineChart.Point] = []
        var knn: [LineChart.Point] = []
        var knnBaseline: [LineChart.Point] = []
        var final: AlignmentMatrix?
    }

    /// The pairs of a seed: the first arm with each other arm.
    static func pairs(_ context: SeedContext) -> [(ExperimentRun, ExperimentRun)] {
        guard let first = context.runs.first else { return [] }
        return context.runs.dropFirst().map { (first, $0) }
    }

    /// The short name of a pair in effects and evidence ("A vs B (rotated inputs)").
    static func pairName(_ a: ExperimentRun, _ b: ExperimentRun) -> String { "\(a.label) vs \(b.label)" }

    func trajectory(_ a: ExperimentRun, _ b: ExperimentRun, spec: ExperimentSpec) throws(RunError) -> Trajectory {
        let key = a.directory + "|" + b.directory
        if let known = memo.trajectories[key] { return known }
        let computed = try computeTrajectory(a, b, spec: spec)
        memo.trajectories[key] = computed
        return computed
    }

    func computeTrajectory(_ a: ExperimentRun, _ b: ExperimentRun, spec: ExperimentSpec) throws(RunError) -> Trajectory {
        let n = Int(spec.parameter("probe_samples", default: 1000))
        let k = Int(spec.parameter("k", default: 10))
        let (dataA, dataB) = (try memo.data.data(of: a), try memo.data.data(of: b))
        let count = min(n, dataA.test.count, dataB.test.count)
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
        let pairs = Self.pairs(context)
        guard !pairs.isEmpty else { throw RunError("E8 needs at least two networks") }
        var evidence: [String: JSONValue] = [
            "final test accuracy": .array(context.runs.map { .number($0.last("test_accuracy") ?? .nan) }),
            "final train accuracy": .array(context.runs.map { .number($0.last("train_accuracy") ?? .nan) }),
        ]
        var effects: [(name: String, value: Double)] = []
        var failures: [String] = []
        for (a, b) in pairs {
            let t = try trajectory(a, b, spec: context.spec)
            let pair = Self.pairName(a, b)
            guard let cka = t.cka.last?.y, let ckaBase = t.ckaBaseline.last?.y, let knn = t.knn.last?.y, let knnBase = t.knnBaseline.last?.y,
                  let initial = t.cka.first?.y else { throw RunError("E8 has no alignment measurements for \(pair)") }
            evidence["\(pair): linear CKA of the last hidden layers during training"] = .array(t.cka.map { .number($0.y) })
            evidence["\(pair): mutual k-NN of the last hidden layers during training"] = .array(t.knn.map { .number($0.y) })
            if let matrix = t.final { evidence["\(pair): cross-layer CKA matrix (rows × columns)"] = .array(matrix.linearCKA.map { .array($0.map { .number($0) }) }) }
            if !(cka > ckaBase) { failures.append("\(pair): final CKA \(shortNumber(cka)) ≤ input baseline \(shortNumber(ckaBase))") }
            if !(knn > knnBase) { failures.append("\(pair): final mutual k-NN \(shortNumber(knn)) ≤ input baseline \(shortNumber(knnBase))") }
            if !(cka > initial) { failures.append("\(pair): CKA did not rise from initialisation (\(shortNumber(initial)) → \(shortNumber(cka)))") }
            effects += [
                ("\(pair): final linear CKA − input baseline", cka - ckaBase),
                ("\(pair): final mutual k-NN − input baseline", knn - knnBase),
                ("\(pair): rise of linear CKA since initialisation", cka - initial),
                ("\(pair): final linear CKA", cka),
                ("\(pair): final mutual k-NN", knn),
            ]
        }
        let (verdict, reason) = SeedEvaluation.decide(failures.isEmpty, unfit: FitCheck.unfit(context.runs, in: context), failing: failures.joined(separator: "; "))
        return SeedEvaluation(verdict: verdict, reason: reason, evidence: evidence, effects: effects)
    }

    func figures(_ study: ExperimentStudy) throws(RunError) -> [Figure] {
        guard let first = study.main.first else { return [] }
        var figures: [Figure] = []
        for (pairIndex, (a0, b0)) in Self.pairs(first).enumerated() {
            let pair = Self.pairName(a0, b0)
            func trajectories(_ seeds: [SeedContext]) throws(RunError) -> [Trajectory] {
                var result: [Trajectory] = []
                for context in seeds {
                    let pairs = Self.pairs(context)
                    if pairIndex < pairs.count { result.append(try trajectory(pairs[pairIndex].0, pairs[pairIndex].1, spec: study.spec)) }
                }
                return result
            }
            let main = try trajectories(study.main)
            var series = [SeedBands.series("CKA, \(pair)", color: 0, main.map(\.cka)),
                          SeedBands.series("CKA input baseline", color: 0, dashed: true, main.map(\.ckaBaseline)),
                          SeedBands.series("mutual k-NN, \(pair)", color: 1, main.map(\.knn)),
                          SeedBands.series("mutual k-NN input baseline", color: 1, dashed: true, main.map(\.knnBaseline))]
            for (index, control) in study.controls.enumerated() {
                series.append(SeedBands.series("CKA, control \(control.control.name)", color: 4 + index, try trajectories(control.seeds).map(\.cka)))
            }
            figures.append(.lines(LineChart(title: "Alignment of the last hidden layers, \(pair)", xLabel: "training step", yLabel: "similarity", series: series,
                                            caption: "Mean over \(main.count) seeds with 95% bands; dashed: the larger similarity of either network with the raw inputs.")))
            if let matrix = main.first?.final {
                figures.append(.heatmaps([
                    Heatmap(title: "Linear CKA, layers of \(a0.label) × layers of \(b0.label)", rowLabels: matrix.layersA, columnLabels: matrix.layersB,
                            values: matrix.linearCKA, low: 0, high: 1, caption: "After training, seed \(first.seed)."),
                    Heatmap(title: "Mutual k-NN", rowLabels: matrix.layersA, columnLabels: matrix.layersB, values: matrix.mutualKNN, low: 0, high: 1, caption: ""),
                ]))
            }
        }
        return figures
    }
}
