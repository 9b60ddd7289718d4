/// A CIFAR-style ResNet (He et al. 2016, §4.2) with BatchNorm: a 3×3 stem, three stages of
/// basic blocks (conv–BN–ReLU–conv–BN plus a shortcut, ReLU after the sum) with 16·w, 32·w and
/// 64·w channels, the last two starting with stride 2 and a 1×1 convolution–BN shortcut
/// (torchvision's `downsample`), global average pooling and a linear `fc`. Depth 6n + 2:
/// ResNet-8 has one block per stage, ResNet-20 three.
public struct ResNetSpec: Hashable, Sendable, Codable {
    public var inputShape: [Int]
    public var depth: Int
    /// The width multiplier w.
    public var width: Int
    public var output: Int

    public init(inputShape: [Int], depth: Int = 8, width: Int = 1, output: Int) {
        (self.inputShape, self.depth, self.width, self.output) = (inputShape, depth, width, output)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(inputShape: try c.decode([Int].self, forKey: .inputShape), depth: try c.decodeIfPresent(Int.self, forKey: .depth) ?? 8,
                  width: try c.decodeIfPresent(Int.self, forKey: .width) ?? 1, output: try c.decode(Int.self, forKey: .output))
    }

    public var graph: GraphSpec {
        get throws(ModelSpecError) {
            guard inputShape.count == 3 else { throw ModelSpecError("resnet input_shape must be [channels, height, width], got \(inputShape)") }
            guard depth >= 8, (depth - 2) % 6 == 0 else {
                throw ModelSpecError("resnet depth must be 6n + 2 (8, 14, 20, …), got \(depth)")
            }
            guard width > 0, output > 0 else { throw ModelSpecError("resnet width and output must be positive") }
            let blocks = (depth - 2) / 6
            func convolution(_ channels: Int, stride: Int = 1, kernel: Int = 3) -> ConvolutionLayer {
                ConvolutionLayer(channels: channels, kernel: kernel, stride: stride, padding: kernel / 2, bias: false)
            }
            let relu = ActivationLayer(.relu)
            var layers = [
                GraphLayer(convolution(16 * width), name: "conv1"),
                GraphLayer(BatchNormLayer(), name: "bn1"),
                GraphLayer(relu, name: "relu", capture: "stem"),
            ]
            var channels = 16 * width
            for stage in 0..<3 {
                let stageChannels = (16 << stage) * width
                for block in 0..<blocks {
                    let p = "layer\(stage + 1).\(block)"
                    let stride = stage > 0 && block == 0 ? 2 : 1
                    let shortcut: [GraphLayer]? = stride == 1 && channels == stageChannels ? nil : [
                        GraphLayer(convolution(stageChannels, stride: stride, kernel: 1), name: "\(p).downsample.0"),
                        GraphLayer(BatchNormLayer(), name: "\(p).downsample.1"),
                    ]
                    let branch = [
                        GraphLayer(convolution(stageChannels, stride: stride), name: "\(p).conv1"),
                        GraphLayer(BatchNormLayer(), name: "\(p).bn1"),
                        GraphLayer(relu, name: "\(p).relu1"),
                        GraphLayer(convolution(stageChannels), name: "\(p).conv2"),
                        GraphLayer(BatchNormLayer(), name: "\(p).bn2"),
                    ]
                    layers.append(GraphLayer(ResidualLayer(branch: branch, shortcut: shortcut, stream: "layer\(stage + 1)"), name: "\(p).residual"))
                    layers.append(GraphLayer(relu, name: "\(p).relu2", capture: p))
                    channels = stageChannels
                }
            }
            layers.append(GraphLayer(GlobalAveragePoolLayer(), name: "avgpool", capture: "pool"))
            layers.append(GraphLayer(DenseLayer(units: output), name: "fc", capture: "fc"))
            return GraphSpec(input: inputShape, layers: layers)
        }
    }
}
