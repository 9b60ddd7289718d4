import NoetherData
import NoetherNN
import NoetherSweeps
import NoetherSymmetry
import NoetherTensor
import NoetherTraining

extension ExperimentRun {
    /// The run's data, exactly as it was trained on.
    func data() throws(RunError) -> DataSplit {
        do { return try config.data.load(using: RandomGenerator(seed: config.seed).derived("data")) } catch { throw RunError(error) }
    }

    /// The learned part θ of the final parameters: the saved (effective) θ + θ₀ minus syre's
    /// frozen offset θ₀, redrawn exactly as the trainer drew it; the saved parameters when the
    /// run has no syre. Weight-level symmetry of a syre run is measured on this (DESIGN §5 rule 8).
    func learnedParameters() throws(RunError) -> Parameters<Float> {
        guard let syre = config.control.syre else { return result.parameters }
        let architecture: Architecture
        do { architecture = try Architecture(config.model) } catch { throw RunError("model: \(error.description)") }
        let generator = syre.seed.map { RandomGenerator(seed: $0) } ?? RandomGenerator(seed: config.seed).derived("syre")
        let (anchors, _): ([Tensor<Float>?], [Tensor<Float>?]) = syre.anchors(for: architecture, initializer: config.initializer, generator: generator)
        var learned = result.parameters
        for (descriptor, anchor) in zip(architecture.layout, anchors) {
            guard let anchor, let saved = learned[descriptor.name] else { continue }
            learned[descriptor.name] = saved - anchor
        }
        return learned
    }

    /// Identifies the run's data: its data spec, and the seed only where the data is drawn from
    /// it (file data is the same under every seed), so runs on the same files share one load.
    var dataKey: String {
        let fromFiles: Set<DataSpec.Kind> = [.fashionMNIST, .mnist, .cifar10, .csv, .npz]
        return "\(config.data)" + (fromFiles.contains(config.data.kind) ? "" : " seed \(config.seed)")
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

/// Data sets loaded once per analysis, by ``ExperimentRun/dataKey``: runs on the same image
/// files share one load (reading, scaling and rotating Fashion-MNIST is most of an image
/// experiment's analysis time).
final class DataCache {
    private var loaded: [String: DataSplit] = [:]

    func data(of run: ExperimentRun) throws(RunError) -> DataSplit {
        let key = run.dataKey
        if let known = loaded[key] { return known }
        let split = try run.data()
        loaded[key] = split
        return split
    }
}
