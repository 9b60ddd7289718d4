import NoetherNN
import NoetherTensor

/// The representation of one layer: its rank structure and how linearly decodable the labels
/// are from it.
public struct LayerRepresentation: Hashable, Sendable, Codable {
    public let layer: String
    public let features: Int
    /// rank_τ of the centred representation at τ = 1e-2, 1e-3, 1e-4.
    public let ranks: [String: Int]
    public let rank: Int
    public let effectiveRank: Double
    /// Ridge-probe accuracy on held-out samples (nil without labels).
    public let probeAccuracy: Double?

    enum CodingKeys: String, CodingKey {
        case layer, features, ranks, rank, effectiveRank = "effective_rank", probeAccuracy = "probe_accuracy"
    }
}

/// Per-layer representation analysis of a model (the tunnel-effect picture of the paper's
/// Figure 4), with neural collapse of the last hidden layer.
public struct LayerwiseReport: Sendable, Codable {
    public let samples: Int
    /// The input first, then every layer in depth order.
    public let layers: [LayerRepresentation]
    /// Neural collapse of the penultimate representation against the output layer (for
    /// classifiers whose output layer is linear).
    public let neuralCollapse: NeuralCollapse?
    public let penultimateLayer: String?

    enum CodingKeys: String, CodingKey {
        case samples, layers, neuralCollapse = "neural_collapse", penultimateLayer = "penultimate_layer"
    }
}

public enum LayerwiseAnalysis {
    /// Analyses every layer of `model`: ranks on the probe inputs, probes fitted on the probe
    /// inputs and scored on the held-out inputs, neural collapse of the penultimate layer.
    ///
    /// - Parameters:
    ///   - probe: inputs `[N, inputCount]` and their labels (labels nil for regression).
    ///   - heldOut: inputs and labels to score the probes on (default: the probe set itself).
    public static func analyze<Scalar: TensorScalar>(
        _ model: Model<Scalar>, probe: (Tensor<Scalar>, [Int]?), heldOut: (Tensor<Scalar>, [Int])? = nil, classes: Int? = nil
    ) throws(RepresentationError) -> LayerwiseReport {
        let captured = CapturedRepresentations.capture(model, inputs: probe.0)
        let test = heldOut.map { CapturedRepresentations.capture(model, inputs: $0.0) }
        let labels = probe.1
        let classCount = classes ?? labels.map { ($0.max() ?? 0) + 1 }
        var layers: [LayerRepresentation] = []
        let all = [("input", captured.input, test?.input)]
            + captured.names.indices.map { (captured.names[$0], captured.layers[$0], test?.layers[$0]) }
        for (name, representation, heldOutRepresentation) in all {
            // Centred once, one Gram matrix for both the rank and the probe.
            let centredGram = CentredGram(try validated(representation, name: "the representation of \(name)"))
            let rank = try RepresentationRank(centredGram)
            var accuracy: Double?
            if let labels, let classCount, classCount >= 2 {
                let probe = try LinearProbe(centredGram, labels: labels, classes: classCount)
                if let heldOut, let heldOutRepresentation {
                    accuracy = probe.accuracy(heldOutRepresentation, labels: heldOut.1)
                } else {
                    accuracy = probe.accuracy(representation, labels: labels)
                }
            }
            layers.append(LayerRepresentation(
                layer: name, features: representation.shape[1],
                ranks: Dictionary(uniqueKeysWithValues: [1e-2, 1e-3, 1e-4].map { ("\($0)", rank.rank(threshold: $0)) }),
                rank: rank.rank(), effectiveRank: rank.effectiveRank, probeAccuracy: accuracy))
        }
        // The penultimate representation and the linear output layer that reads it.
        var collapse: NeuralCollapse?
        var penultimate: String?
        if let labels, captured.names.count >= 2, let head = outputLayer(model) {
            penultimate = captured.names[captured.names.count - 2]
            collapse = try NeuralCollapse(features: captured.layers[captured.names.count - 2], labels: labels,
                                          classifier: head.weight, bias: head.bias)
        }
        return LayerwiseReport(samples: captured.input.shape[0], layers: layers, neuralCollapse: collapse, penultimateLayer: penultimate)
    }

    /// The weight and bias of the model's final linear layer.
    public static func outputLayer<Scalar: TensorScalar>(_ model: Model<Scalar>) -> (weight: Tensor<Double>, bias: Tensor<Double>?)? {
        guard let last = model.architecture.layout.last(where: { $0.role == .weight }),
              let weight = model.parameters[last.name], weight.rank == 2 else { return nil }
        let prefix = String(last.name.dropLast(".weight".count))
        return (Tensor<Double>(weight), model.parameters["\(prefix).bias"].map { Tensor<Double>($0) })
    }
}
