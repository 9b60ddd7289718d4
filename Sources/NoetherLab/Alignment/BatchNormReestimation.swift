import NoetherAutograd
import NoetherNN
import NoetherTensor

/// Re-estimates every BatchNorm's running statistics of a model on data (as after averaging two
/// models, whose running statistics no longer describe the merged weights' activations):
/// a training-mode pass over chunks of the inputs, the running mean and variance set to the
/// chunk average of the batch statistics each BatchNorm reports.
public enum BatchNormReestimation {
    /// The model with re-estimated running statistics, and how many BatchNorms it has.
    public static func reestimate(_ model: Model<Float>, inputs: Tensor<Float>, chunk: Int = 500) -> (Model<Float>, Int) {
        let n = inputs.shape[0]
        var sums: [Int: (mean: Tensor<Double>, variance: Tensor<Double>)] = [:]
        var positions: [Int: Int] = [:]
        var chunks = 0
        var start = 0
        while start < n {
            let end = min(start + chunk, n)
            // A chunk of one sample has no variance; it is left out unless it is all there is.
            if end - start < 2 && chunks > 0 { break }
            let tape = Tape<Float>()
            let bound = model.parameters.tensors.values.map { tape.constant($0) }
            var pass = ForwardPass(parameters: Array(bound), mode: .training)
            _ = model.architecture.forward(tape.constant(inputs.slice(alongAxis: 0, start..<end)), pass: &pass)
            for reported in pass.batchStatistics {
                let (mean, variance) = (Tensor<Double>(reported.statistics.mean), Tensor<Double>(reported.statistics.variance))
                if let sum = sums[reported.mean] { sums[reported.mean] = (sum.mean + mean, sum.variance + variance) }
                else { sums[reported.mean] = (mean, variance) }
                positions[reported.mean] = reported.variance
            }
            chunks += 1
            start = end
        }
        var result = model
        for (meanPosition, sum) in sums {
            guard let variancePosition = positions[meanPosition] else { continue }
            result.parameters[position: meanPosition] = Tensor<Float>(sum.mean * (1 / Double(chunks)))
            result.parameters[position: variancePosition] = Tensor<Float>(sum.variance * (1 / Double(chunks)))
        }
        return (result, sums.count)
    }
}
