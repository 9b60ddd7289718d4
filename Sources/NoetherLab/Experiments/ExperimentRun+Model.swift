import NoetherData
import NoetherNN
import NoetherSweeps
import NoetherTensor
import NoetherTraining

extension ExperimentRun {
    /// The run's data, exactly as it was trained on.
    func data() throws(RunError) -> DataSplit {
        do { return try config.data.load(using: RandomGenerator(seed: config.seed).derived("data")) } catch { throw RunError(error) }
    }

    /// The trained model (the effective parameters).
    func model() throws(RunError) -> Model<Float> {
        do { return try Model<Float>(config.model, parameters: result.parameters) } catch { throw RunError(error) }
    }
}

/// Class labels of a dataset as integers.
func labels(_ dataset: Dataset) -> [Int] {
    if case .classes(let l, _) = dataset.targets { return l.map { Int($0) } }
    return []
}
