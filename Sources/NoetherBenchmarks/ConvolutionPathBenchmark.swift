import NoetherTensor

extension StepBenchmarks {
    /// The stride-1 3×3 convolutions of the CNN and ResNet presets (batch, channels, map size,
    /// output channels), each timed through Winograd (the median) against im2col (the
    /// baseline): the measurements behind ``ConvolutionGeometry/winogradMinimumChannels``.
    static let convolutionShapes: [(batch: Int, channels: Int, size: Int, outputs: Int)] = [
        (128, 1, 28, 16), (128, 16, 14, 32),                   // cnn
        (128, 16, 32, 16), (128, 32, 16, 32), (128, 64, 8, 64), // resnet-8-cifar
        (64, 16, 28, 16), (64, 32, 14, 32), (64, 64, 7, 64),    // resnet-8
        (128, 8, 32, 8), (128, 32, 32, 32), (64, 32, 24, 32),   // around the crossover
        (64, 64, 16, 64), (32, 64, 32, 64), (64, 16, 32, 32), (64, 32, 32, 16),
    ]

    /// Forward, input-gradient and weight-gradient passes of ``convolutionShapes`` by both paths.
    public static func convolutionPaths(repeats: Int) -> [BenchmarkRecord] {
        var records: [BenchmarkRecord] = []
        var generator = RandomGenerator(seed: 2)
        for shape in convolutionShapes {
            guard case .success(let geometry) = ConvolutionGeometry.of(
                input: [shape.batch, shape.channels, shape.size, shape.size], weight: [shape.outputs, shape.channels, 3, 3],
                stride: 1, padding: 1) else { continue }
            let x = Tensor<Float>.normal([geometry.batch * geometry.imageSize], using: &generator)
            let w = Tensor<Float>.normal([geometry.outChannels * geometry.patchLength], using: &generator)
            let dy = Tensor<Float>.normal([geometry.outputShape.count], using: &generator)
            let dx = Tensor<Float>.zeros([geometry.batch * geometry.imageSize])
            let dw = Tensor<Float>.zeros([geometry.outChannels * geometry.patchLength])
            // Each pass by each path, the two alternated call by call so that a shared machine's
            // load falls on both alike.
            func passes(_ path: ConvolutionPath) -> [(String, () -> Void)] {
                var g = geometry
                g.path = path
                let columns = Tensor<Float>.zeros([g.workspaceCount]), workspace = Tensor<Float>.zeros([g.backwardWorkspaceCount])
                let y = Tensor<Float>.zeros([g.outputShape.count])
                return [
                    ("forward", {
                        Kernels.conv2d(x.unsafeBaseAddress, weight: w.unsafeBaseAddress, bias: nil, g,
                                       columns: columns.unsafeBaseAddress, y.unsafeBaseAddress)
                    }),
                    ("input-gradient", {
                        Kernels.conv2dBackward(gradientOutput: dy.unsafeBaseAddress, input: x.unsafeBaseAddress, weight: w.unsafeBaseAddress, g,
                                               columns: columns.unsafeBaseAddress, workspace: workspace.unsafeBaseAddress,
                                               gradientInput: (dx.unsafeBaseAddress, false), gradientWeight: nil, gradientBias: nil)
                    }),
                    ("weight-gradient", {
                        Kernels.conv2dBackward(gradientOutput: dy.unsafeBaseAddress, input: x.unsafeBaseAddress, weight: w.unsafeBaseAddress, g,
                                               columns: columns.unsafeBaseAddress, workspace: workspace.unsafeBaseAddress,
                                               gradientInput: nil, gradientWeight: (dw.unsafeBaseAddress, false), gradientBias: nil)
                    }),
                ]
            }
            var times: [String: (winograd: Double, im2col: Double)] = [:]
            for ((name, im2col), (_, winograd)) in zip(passes(.im2col), passes(.winograd)) {
                for _ in 0..<2 { im2col(); winograd() }
                var (a, b): ([Double], [Double]) = ([], [])
                for _ in 0..<max(repeats, 1) {
                    a.append(medianMilliseconds(repeats: 1, im2col))
                    b.append(medianMilliseconds(repeats: 1, winograd))
                }
                times[name] = (winograd: b.sorted()[b.count / 2], im2col: a.sorted()[a.count / 2])
            }
            for name in ["forward", "input-gradient", "weight-gradient"] {
                guard let (winograd, im2col) = times[name] else { continue }
                records.append(BenchmarkRecord(
                    name: "conv-\(shape.batch)x\(shape.channels)x\(shape.size)-to-\(shape.outputs)-\(name)", medianMilliseconds: winograd,
                    floorMilliseconds: nil, gflops: nil, allocationsPerStep: nil, baselineMilliseconds: im2col,
                    overheadPercent: 100 * (winograd / im2col - 1), repeats: repeats))
            }
        }
        return records
    }
}
