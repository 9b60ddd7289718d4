import ArgumentParser
import Foundation
import Noether

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Saddle-to-saddle learning on a built-in task, in a few seconds (the paper's Figure 2).")

    @Option(help: "The random seed.")
    var seed: UInt64 = 0

    func run() throws {
        print(
            """
            Noether demo: learning goes from symmetry to symmetry
            task   y = x1 + x1·x2 + x1·x2·x3 + x1·x2·x3·x4,  x ∈ {±1}^30,  2000 training samples
            model  two-layer ReLU network, width 64, SGD (lr 0.02, batch 200), 8000 steps
            """)
        let clock = ContinuousClock()
        let start = clock.now
        var runs: [(scale: Double, points: [SaddleToSaddleDemo.Point])] = []
        for scale in SaddleToSaddleDemo.initScales {
            runs.append((scale, try SaddleToSaddleDemo.run(initScale: scale, seed: seed, showsProgress: true)))
        }
        let elapsed = start.duration(to: clock.now)

        print("\n        " + runs.map { String(format: "init scale %-4g (train / test loss)   ", $0.scale) }.joined())
        let steps = Set([250, 500, 1000, 1500, 2000, 2500, 3000, 4000, 6000, 8000])
        for index in runs[0].points.indices where steps.contains(runs[0].points[index].step) {
            let columns = runs.map { run in
                let p = run.points[index]
                return String(format: "%11.3g / %-11.3g            ", p.trainLoss, p.testLoss)
            }
            print(String(format: "%6d  ", runs[0].points[index].step) + columns.joined())
        }
        print()
        for run in runs {
            guard let last = run.points.last else { continue }
            let plateaus = SaddleToSaddleDemo.plateaus(run.points)
            let plateauText = plateaus.isEmpty
                ? "no plateau"
                : plateaus.map { String(format: "a plateau at loss %.2g (steps %d–%d)", $0.loss, $0.firstStep, $0.lastStep) }.joined(separator: ", ")
                    + ", each ended by a sudden drop"
            print(String(format: "init scale %g: %@;", run.scale, plateauText))
            print(String(format: "  final test loss %.2g; rank of the first layer W1 (σ > 0.1·σ_max): %d of %d",
                         last.testLoss, last.rank(), last.singularValues.count))
        }
        if runs.count == 2, let small = runs[0].points.last, let large = runs[1].points.last {
            print()
            print(Self.summary(smallPlateaus: SaddleToSaddleDemo.plateaus(runs[0].points).count, small: small,
                               largePlateaus: SaddleToSaddleDemo.plateaus(runs[1].points).count, large: large))
            print(String(format: "(%.1f s.) Next: noether train CONFIG, or noether bench.",
                         Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18))
        }
    }

    /// What the two runs show, each clause chosen by the numbers (no fixed sentence asserts a result).
    static func summary(smallPlateaus: Int, small: SaddleToSaddleDemo.Point, largePlateaus: Int, large: SaddleToSaddleDemo.Point) -> String {
        let width = small.singularValues.count
        var lines: [String] = []
        lines.append(smallPlateaus > 0
            ? "Started near the symmetric state θ = 0, the loss went through \(smallPlateaus) plateau\(smallPlateaus == 1 ? "" : "s") ended by drops,"
            : "Started near the symmetric state θ = 0, the loss showed no plateau,")
        lines.append(small.rank() < width
            ? "and the first layer uses \(small.rank()) of \(width) directions: the rotation symmetry of the others was not broken."
            : "and the first layer uses all \(width) directions.")
        lines.append("From the standard init: \(largePlateaus == 0 ? "no plateau" : "\(largePlateaus) plateau\(largePlateaus == 1 ? "" : "s")"), a first layer of rank \(large.rank()).")
        let ratio = large.testLoss / max(small.testLoss, 1e-300)
        lines.append(ratio > 1
            ? String(format: "The small init's test loss is %.1e× lower.", ratio)
            : String(format: "The small init's test loss is not lower (ratio %.2g).", ratio))
        return lines.joined(separator: "\n")
    }
}
