import NoetherNN
import NoetherTensor

/// Canonical alignment of a fully connected layer h_a = σ(W h_b + c) (Ziyin et al. 2025,
/// "Formation of Representations in Neural Networks"): how aligned the input covariance
/// H_b = E[h_b h_bᵀ], the gradient covariance G_b = E[g_b g_bᵀ] (g = −∂ℓ/∂h) and Z_b = WᵀW are,
/// and likewise H_a, G_a and Z_a = WWᵀ on the output side, with α(A, B) = Tr(AB)/(‖A‖‖B‖).
///
/// Noether captures post-activation representations, so h_a is the layer's output after its
/// activation (for linear layers, exactly W h_b + c).
public struct CanonicalAlignment: Hashable, Sendable, Codable {
    public let layer: String
    public let inputHG: Double, inputHZ: Double, inputGZ: Double
    public let outputHG: Double, outputHZ: Double, outputGZ: Double

    enum CodingKeys: String, CodingKey {
        case layer
        case inputHG = "input_h_g", inputHZ = "input_h_z", inputGZ = "input_g_z"
        case outputHG = "output_h_g", outputHZ = "output_h_z", outputGZ = "output_g_z"
    }

    /// The alignments of every dense layer of an MLP or deep linear network.
    public static func analyze<Scalar: TensorScalar>(
        _ model: Model<Scalar>, inputs: Tensor<Scalar>, targets: Targets<Scalar>, loss: LossKind
    ) throws(RepresentationError) -> [CanonicalAlignment] {
        switch model.spec {
        case .mlp, .deepLinear: break
        default: throw RepresentationError("canonical alignment is defined for fully connected networks (mlp, deep_linear)")
        }
        let captured = CapturedRepresentations.capture(model, inputs: inputs, gradientsFor: (targets, loss))
        guard let gradients = captured.gradients, let inputGradient = captured.inputGradient else { return [] }
        let n = Double(inputs.shape[0])
        func covariance(_ x: Tensor<Double>) -> Tensor<Double> { x.gramMatrix(ofRows: false) * (1 / n) }
        var results: [CanonicalAlignment] = []
        for (index, name) in captured.names.enumerated() {
            guard let weight = model.parameters["\(name).weight"].map({ Tensor<Double>($0) }) else { continue }
            let (hb, gb) = index == 0 ? (captured.input, inputGradient) : (captured.layers[index - 1], gradients[index - 1])
            let (ha, ga) = (captured.layers[index], gradients[index])
            let (Hb, Gb, Zb) = (covariance(hb), covariance(gb), weight.gramMatrix(ofRows: false))
            let (Ha, Ga, Za) = (covariance(ha), covariance(ga), weight.gramMatrix(ofRows: true))
            results.append(CanonicalAlignment(
                layer: name,
                inputHG: Alignment.canonical(Hb, Gb), inputHZ: Alignment.canonical(Hb, Zb), inputGZ: Alignment.canonical(Gb, Zb),
                outputHG: Alignment.canonical(Ha, Ga), outputHZ: Alignment.canonical(Ha, Za), outputGZ: Alignment.canonical(Ga, Za)))
        }
        return results
    }
}

/// Alignment between two models' layers on the same inputs: every pair of layers (same-layer
/// on the diagonal when the depths agree) and each layer against the inputs (the baseline).
public struct AlignmentMatrix: Sendable, Codable {
    public let layersA: [String]
    public let layersB: [String]
    /// `linearCKA[i][j]`: layer i of A against layer j of B.
    public let linearCKA: [[Double]]
    public let mutualKNN: [[Double]]
    /// Each layer of A and of B against the raw inputs.
    public let inputBaselineA: [Double]
    public let inputBaselineB: [Double]

    enum CodingKeys: String, CodingKey {
        case layersA = "layers_a", layersB = "layers_b", linearCKA = "linear_cka", mutualKNN = "mutual_knn"
        case inputBaselineA = "input_baseline_a", inputBaselineB = "input_baseline_b"
    }

    /// Compares the captured representations of two models on the same inputs.
    public init(_ a: CapturedRepresentations, _ b: CapturedRepresentations, k: Int = 10) throws(RepresentationError) {
        layersA = a.names
        layersB = b.names
        let n = a.input.shape[0]
        let k = min(k, n - 1)
        guard k >= 1 else { throw RepresentationError("mutual k-NN needs 1 ≤ k < samples (k = \(k), samples = \(n))") }
        // What each layer contributes to every pair — centred columns, ‖K‖_F, neighbour lists —
        // computed once per layer rather than once per pair.
        func prepared(_ layers: [Tensor<Double>], _ name: String) throws(RepresentationError) -> [(centred: Tensor<Double>, norm: Double, neighbours: [[Int]])] {
            var result: [(Tensor<Double>, Double, [[Int]])] = []
            for layer in layers {
                let centred = try validated(layer, name: name, rows: n).centeredColumns()
                result.append((centred, Alignment.selfSimilarity(centred), Alignment.nearestNeighbours(layer.unitRows(), k: k)))
            }
            return result
        }
        let (x, y) = (try prepared(a.layers, "representation A"), try prepared(b.layers, "representation B"))
        linearCKA = x.map { p in y.map { q in Alignment.alignment(p.centred, q.centred, selfA: p.norm, selfB: q.norm) } }
        mutualKNN = x.map { p in y.map { q in Alignment.overlap(p.neighbours, q.neighbours, k: k) } }
        var baselineA: [Double] = [], baselineB: [Double] = []
        for x in a.layers { baselineA.append(try Alignment.linearCKA(a.input, x)) }
        for y in b.layers { baselineB.append(try Alignment.linearCKA(b.input, y)) }
        inputBaselineA = baselineA
        inputBaselineB = baselineB
    }
}
