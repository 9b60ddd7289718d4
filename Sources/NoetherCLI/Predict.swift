import ArgumentParser
import Foundation
import Noether

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a trained model on inputs from an npy file (features, or integer token ids) and write its outputs as npy.",
        discussion: "Inputs are [N, features] (or any shape with N samples first); outputs are the model's raw outputs (logits or predictions), float32.")

    @Argument(help: "A run directory.") var runDirectory: String
    @Option(help: "Inputs (.npy).") var inputs: String
    @Option(help: "Where to write the outputs (.npy).") var out: String

    func run() throws {
        let (_, model) = try RunLoader.load(runDirectory)
        let array = try NumpyArray(contentsOf: inputs)
        guard let n = array.shape.first, n > 0, array.count / n == model.spec.inputCount else {
            throw RunError("\(inputs) has shape \(array.shape); the model takes \(model.spec.inputCount) features per sample")
        }
        let x = array.tensor(as: Float.self).reshaped([n, model.spec.inputCount])
        guard x.isFinite else { throw RunError("\(inputs) contains NaN or infinite values") }
        if let vocabulary = model.architecture.inputVocabulary,
           let bad = x.scalars.firstIndex(where: { $0 < 0 || $0 >= Float(vocabulary) || $0.rounded() != $0 }) {
            throw RunError("\(inputs) holds \(x.scalars[bad]) at position \(bad); this model reads token ids, integers in 0..<\(vocabulary)")
        }
        try NumpyArray(model(x)).write(to: out)
    }
}
