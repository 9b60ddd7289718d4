import NoetherAutograd
import NoetherNN
import NoetherTensor

/// The activations of every layer of a model on a probe set (and, when asked, the gradients
/// ∂ℓ/∂h of the loss at each of them), one `[N, features]` matrix per layer, in Float64.
///
/// Samples are processed in chunks, so memory holds the probe set's representations and one
/// chunk's computation — never more. Each sample's representation is flattened (a conv layer
/// gives C·H·W features, a transformer block S·D).
public struct CapturedRepresentations: Sendable {
    /// The representation names (``Architecture/representationNames``), in depth order.
    public let names: [String]
    /// The inputs themselves, `[N, inputCount]`.
    public let input: Tensor<Double>
    public let layers: [Tensor<Double>]
    /// ∂ℓᵢ/∂h per sample (the gradient of each sample's own loss), when captured.
    public let gradients: [Tensor<Double>]?
    /// ∂ℓᵢ/∂x per sample, when gradients are captured.
    public let inputGradient: Tensor<Double>?

    /// The representation called `name`.
    public func layer(_ name: String) -> Tensor<Double>? { names.firstIndex(of: name).map { layers[$0] } }

    /// Runs `model` on `inputs` in chunks of `chunk` samples.
    ///
    /// - Parameter gradientsFor: targets and loss for ∂ℓ/∂h (nil: activations only).
    public static func capture<Scalar: TensorScalar>(
        _ model: Model<Scalar>, inputs: Tensor<Scalar>, gradientsFor targets: (Targets<Scalar>, LossKind)? = nil, chunk: Int = 512
    ) -> CapturedRepresentations {
        let n = inputs.shape[0]
        let names = model.architecture.representationNames
        var layers: [Tensor<Double>] = []
        var gradients: [Tensor<Double>] = []
        var inputGradient: Tensor<Double>?
        var start = 0
        while start < n {
            let end = min(start + chunk, n)
            let tape = Tape<Scalar>()
            let x = tape.variable(inputs.slice(alongAxis: 0, start..<end), requiresGradient: targets != nil)
            let bound = model.parameters.tensors.values.map { tape.constant($0) }
            var captured: [Variable<Scalar>] = []
            let output = model.architecture.forward(x, parameters: Array(bound)) { _, value in captured.append(value) }
            if let (allTargets, loss) = targets {
                let batchTargets: Targets<Scalar> = switch allTargets {
                case .classes(let labels): .classes(Array(labels[start..<end]))
                case .values(let values): .values(values.slice(alongAxis: 0, start..<end))
                }
                tape.backward(from: loss.apply(output, batchTargets))
            }
            // The loss is a batch mean: scaling by the chunk size gives per-sample gradients.
            let scale = Double(end - start)
            for (index, value) in captured.enumerated() {
                let rows = flatten(value.value)
                if start == 0 {
                    layers.append(Tensor.zeros([n, rows.shape[1]]))
                    if targets != nil { gradients.append(Tensor.zeros([n, rows.shape[1]])) }
                }
                place(rows, into: &layers[index], at: start)
                if targets != nil, let g = tape.gradient(of: value) { place(flatten(g) * scale, into: &gradients[index], at: start) }
            }
            if targets != nil, let g = tape.gradient(of: x) {
                if inputGradient == nil { inputGradient = Tensor.zeros([n, inputs.shape.last]) }
                place(Tensor<Double>(g) * scale, into: &inputGradient!, at: start)
            }
            start = end
        }
        return CapturedRepresentations(names: names, input: Tensor<Double>(inputs), layers: layers,
                                       gradients: targets == nil ? nil : gradients, inputGradient: inputGradient)
    }

    static func flatten<Scalar: TensorScalar>(_ value: Tensor<Scalar>) -> Tensor<Double> {
        let samples = value.shape[0]
        return Tensor<Double>(value).reshaped([samples, value.count / max(samples, 1)])
    }

    static func place(_ rows: Tensor<Double>, into destination: inout Tensor<Double>, at start: Int) {
        let width = rows.shape[1]
        destination.withUnsafeMutableBufferPointer { d in
            rows.withUnsafeBufferPointer { r in
                (d.baseAddress! + start * width).update(from: r.baseAddress!, count: r.count)
            }
        }
    }
}
