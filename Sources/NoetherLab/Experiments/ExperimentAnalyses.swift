import NoetherSymmetry

/// The analyses experiments name in their `analysis:` field.
enum ExperimentAnalyses {
    static func named(_ name: String) -> (any ExperimentAnalysis)? {
        switch name {
        case "saddle_to_saddle": SaddleToSaddleAnalysis()
        case "deep_linear_steps": DeepLinearStepsAnalysis()
        case "weight_decay_restoration": SweepRestorationAnalysis(parameterName: "weight decay γ", logScale: true) { $0.optimizer.weightDecay }
        case "noise_restoration": SweepRestorationAnalysis(parameterName: "noise temperature lr/B + σ²", logScale: true) {
            $0.optimizer.learningRate / Double($0.training.batchSize) + $0.optimizer.gradientNoise * $0.optimizer.gradientNoise
        }
        case "width_capacity": WidthCapacityAnalysis()
        case "neural_collapse": NeuralCollapseAnalysis()
        case "tunnel": TunnelAnalysis()
        case "universal_alignment": UniversalAlignmentAnalysis()
        case "dcs_gates": GateAnalysis()
        case "attention_low_rank": AttentionRankAnalysis()
        default: nil
        }
    }
}

/// Shared reading of loss curves.
enum LossCurves {
    /// Stretches of at least `minimumLength` evaluations within a factor 1.2, above `floor`,
    /// ended by a drop below half their lowest loss within 10 evaluations (`dropEnd`: the first
    /// evaluation below that half).
    static func plateaus(_ points: [LineChart.Point], minimumLength: Int = 4, floor: Double = 1e-4)
        -> [(first: Double, last: Double, loss: Double, dropEnd: Double)] {
        plateauRanges(points.map(\.y), minimumLength: minimumLength, floor: floor).map { plateau in
            (points[plateau.evaluations.lowerBound].x, points[plateau.evaluations.upperBound - 1].x, plateau.loss, points[plateau.drop].x)
        }
    }

    /// The plateaus of a loss sequence as evaluation ranges, with their mean loss and the first
    /// evaluation below half their lowest loss (the drop that ends them).
    static func plateauRanges(_ losses: [Double], minimumLength: Int, floor: Double)
        -> [(evaluations: Range<Int>, loss: Double, drop: Int)] {
        var result: [(Range<Int>, Double, Int)] = []
        var i = 0
        while i + minimumLength < losses.count {
            let window = losses[i..<(i + minimumLength)]
            guard let low = window.min(), let high = window.max(), high < 1.2 * low, low > floor else {
                i += 1
                continue
            }
            var end = i + minimumLength
            while end < losses.count, let high = losses[i...end].max(), let low = losses[i...end].min(), high < 1.2 * low { end += 1 }
            let level = losses[i..<end]
            if let lowest = level.min(), let drop = (end..<min(end + 10, losses.count)).first(where: { losses[$0] < lowest / 2 }) {
                result.append((i..<end, level.reduce(0, +) / Double(level.count), drop))
            }
            i = end
        }
        return result
    }

    /// Train (solid) and test (dashed) loss of each run, with breaking events as markers.
    static func chart(_ runs: [ExperimentRun], title: String, caption: String, xLog: Bool = false) -> LineChart {
        var series: [LineChart.Series] = []
        var markers: [LineChart.Marker] = []
        for (index, run) in runs.enumerated() {
            series.append(.init(name: "\(run.label) train", points: run.series("train_loss"), color: index))
            series.append(.init(name: "\(run.label) test", points: run.series("test_loss"), dashed: true, color: index))
            for event in run.result.events where event.kind == .breaking {
                markers.append(.init(x: Double(max(event.step, 1)), label: "\(run.label): \(event.summary)", color: index))
            }
        }
        return LineChart(title: title, xLabel: "training step", yLabel: "mean squared error", xLog: xLog, yLog: true,
                         series: series, markers: markers, caption: caption)
    }
}
