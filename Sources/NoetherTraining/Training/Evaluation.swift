import NoetherData
import NoetherNN
import NoetherTensor

/// Loss and accuracy of a model on a dataset, computed in chunks so memory stays bounded.
public enum Evaluation {
    /// - Returns: the mean loss, and the accuracy for class labels.
    public static func evaluate(
        _ parameters: Parameters<Float>, on dataset: Dataset, limit: Int? = nil, loss: LossKind,
        predict: (Parameters<Float>, Tensor<Float>) -> Tensor<Float>
    ) -> (loss: Double, accuracy: Double?) {
        let count = min(dataset.count, limit ?? dataset.count)
        let chunk = 1024
        var totalLoss = 0.0
        var correct = 0
        var start = 0
        while start < count {
            let end = min(start + chunk, count)
            let outputs = predict(parameters, dataset.inputs.slice(alongAxis: 0, start..<end))
            let columns = outputs.shape.last
            // A sequence model gives one row per scored position, in the labels' order.
            let per = dataset.targetsPerSample
            outputs.withUnsafeBufferPointer { y in
                switch dataset.targets {
                case .classes(let labels, _):
                    for row in 0..<((end - start) * per) {
                        let label = Int(labels[start * per + row])
                        let logits = y.baseAddress! + row * columns
                        var largest = -Float.infinity
                        var best = 0
                        for j in 0..<columns where logits[j] > largest { (largest, best) = (logits[j], j) }
                        if best == label { correct += 1 }
                        if loss == .crossEntropy {
                            var total = 0.0
                            for j in 0..<columns { total += Double.exp(Double(logits[j] - largest)) }
                            totalLoss += Double.log(total) + Double(largest) - Double(logits[label])
                        } else {
                            for j in 0..<columns {
                                let d = Double(logits[j]) - (j == label ? 1 : 0)
                                totalLoss += d * d / Double(columns)
                            }
                        }
                    }
                case .values(let targets):
                    targets.withUnsafeBufferPointer { t in
                        for i in 0..<((end - start) * columns) {
                            let d = Double(y[i]) - Double(t[start * columns + i])
                            totalLoss += d * d / Double(columns)
                        }
                    }
                }
            }
            start = end
        }
        let n = Double(max(count * dataset.targetsPerSample, 1))
        if case .classes = dataset.targets { return (totalLoss / n, Double(correct) / n) }
        return (totalLoss / n, nil)
    }
}
import RealModule
