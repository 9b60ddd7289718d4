import NoetherAutograd
import NoetherTensor

/// A 2-D convolution on `[C, H, W]` maps (PyTorch's `nn.Conv2d`: `weight`
/// `[channels, C/groups, k, k]`, `bias` `[channels]`), with stride, zero padding and groups.
///
/// Symmetry slices: its filters (rows) and bias write new channels, its input columns read
/// the input's channels. Grouped convolutions tie channels to groups in a way the catalogue
/// does not describe, so their channels are left out.
public struct ConvolutionLayer: LayerSpec {
    public static let kind = "conv2d"
    public var channels: Int
    public var kernel: Int
    public var stride: Int
    public var padding: Int
    public var groups: Int
    public var bias: Bool

    public init(channels: Int, kernel: Int = 3, stride: Int = 1, padding: Int? = nil, groups: Int = 1, bias: Bool = true) {
        (self.channels, self.kernel, self.stride) = (channels, kernel, stride)
        (self.padding, self.groups, self.bias) = (padding ?? kernel / 2, groups, bias)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(channels: try c.decode(Int.self, forKey: .channels), kernel: try c.decodeIfPresent(Int.self, forKey: .kernel) ?? 3,
                  stride: try c.decodeIfPresent(Int.self, forKey: .stride) ?? 1, padding: try c.decodeIfPresent(Int.self, forKey: .padding),
                  groups: try c.decodeIfPresent(Int.self, forKey: .groups) ?? 1, bias: try c.decodeIfPresent(Bool.self, forKey: .bias) ?? true)
    }

    public func build(into graph: inout GraphBuilder) throws(ModelSpecError) {
        let name = graph.name
        guard graph.shape.count == 3 else {
            throw ModelSpecError("conv2d '\(name)' needs [channels, height, width] per sample, got \(graph.shape)")
        }
        let (inputChannels, height, width) = (graph.shape[0], graph.shape[1], graph.shape[2])
        guard channels > 0, kernel > 0, stride > 0, groups > 0, padding >= 0 else {
            throw ModelSpecError("conv2d '\(name)': channels, kernel, stride and groups must be positive and padding ≥ 0")
        }
        guard inputChannels % groups == 0, channels % groups == 0 else {
            throw ModelSpecError("conv2d '\(name)': \(groups) groups do not divide \(inputChannels) input and \(channels) output channels")
        }
        // Checked before dividing: Swift's division rounds towards zero, which would let a
        // kernel larger than the padded map through as a 1×1 output.
        guard kernel <= height + 2 * padding, kernel <= width + 2 * padding else {
            throw ModelSpecError("conv2d '\(name)': a \(kernel)×\(kernel) kernel does not fit the \(height)×\(width) feature map with padding \(padding)")
        }
        let perGroup = inputChannels / groups
        let fanIn = perGroup * kernel * kernel
        let weight = graph.parameter("weight", shape: [channels, perGroup, kernel, kernel], role: .weight, fanIn: fanIn)
        let biasPosition = bias ? graph.parameter("bias", shape: [channels], role: .bias, fanIn: fanIn) : nil
        graph.append(ConvolutionStep(weight: weight, bias: biasPosition, stride: stride, padding: padding, groups: groups))
        if groups == 1 { graph.read("weight", axis: 1) } else { graph.markOpaque() }
        var writers = [GraphBuilder.Writer("weight", axis: 0)]
        if bias { writers.append(GraphBuilder.Writer("bias", axis: 0)) }
        graph.writeNewUnits(channels, by: writers)
        if groups > 1 { graph.markOpaque() }
        graph.reshape(to: [channels, (height + 2 * padding - kernel) / stride + 1, (width + 2 * padding - kernel) / stride + 1])
    }
}

struct ConvolutionStep: CompiledLayer {
    let weight: Int, bias: Int?, stride: Int, padding: Int, groups: Int

    func forward<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ pass: inout ForwardPass<Scalar>) -> Variable<Scalar> {
        let (w, b) = (pass[weight], bias.map { pass[$0] })
        guard groups > 1 else { return x.conv2d(weight: w, bias: b, stride: stride, padding: padding) }
        // Each group convolves its own slice of the input channels with its own filters.
        let (inputs, outputs) = (x.shape[1] / groups, w.shape[0] / groups)
        var result: Variable<Scalar>?
        for g in 0..<groups {
            let part = x.slice(alongAxis: 1, g * inputs..<(g + 1) * inputs)
                .conv2d(weight: w.slice(alongAxis: 0, g * outputs..<(g + 1) * outputs),
                        bias: b?.slice(alongAxis: 0, g * outputs..<(g + 1) * outputs), stride: stride, padding: padding)
            result = result.map { $0.concatenated(with: part, alongAxis: 1) } ?? part
        }
        return result ?? x
    }
}
