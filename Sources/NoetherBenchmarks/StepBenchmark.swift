import Foundation
import NoetherAutograd
import NoetherData
import NoetherIO
import NoetherNN
import NoetherRepresent
import NoetherSymmetry
import NoetherTensor
import NoetherTraining

/// One benchmark's result, as `noether bench --json` prints it.
public struct BenchmarkRecord: Codable, Sendable {
    public var name: String
    /// Median wall time of one step (or one call).
    public var medianMilliseconds: Double
    /// The summed time of the step's GEMMs run alone in the same process: the physical floor.
    public var floorMilliseconds: Double?
    /// Achieved GFLOP/s (for pure GEMM records).
    public var gflops: Double?
    /// Buffers the tape allocated per step after warm-up (0 means buffers are fully reused).
    public var allocationsPerStep: Double?
    /// For overhead records: the median time of the same work without the feature measured.
    public var baselineMilliseconds: Double?
    /// 100 · (median / baseline − 1).
    public var overheadPercent: Double?
    public var repeats: Int

    enum CodingKeys: String, CodingKey {
        case name, medianMilliseconds = "median_ms", floorMilliseconds = "floor_ms", gflops
        case allocationsPerStep = "allocations_per_step", baselineMilliseconds = "baseline_ms"
        case overheadPercent = "overhead_percent", repeats
    }
}

/// Training-step benchmarks: forward + backward + SGD update (momentum 0.9, weight decay 5e-4)
/// of the workloads named in the core-engine issue, each with its GEMM floor.
public enum StepBenchmarks {
    /// The workload names, in the order ``run(_:repeats:)`` measures them.
    public static let names = ["mlp-64", "mlp-256", "mlp-512", "mlp-1024", "cnn", "transformer-block", "resnet-8", "gpt", "resnet-8-cifar", "gpt-block", "sgemm-1024", "symmetry-analysis", "tracking-overhead", "representation-analysis", "weight-spectra", "linear-assignment-1024", "e1-8-seeds", "e1-8-seeds-one-core", "convolution-paths"]
    /// Workloads that run only when named: measurements of kernel choices, not of training.
    public static let onlyWhenNamed: Set<String> = ["convolution-paths"]

    /// Runs the named workloads (all but ``onlyWhenNamed`` when `names` is empty); `weight-spectra` runs only when
    /// `weights` names a safetensors file, and a file it cannot read is an error.
    public static func run(_ selected: [String] = [], repeats: Int = 30, weights: String? = nil) throws(FileFormatError) -> [BenchmarkRecord] {
        let chosen = selected.isEmpty ? names.filter { !onlyWhenNamed.contains($0) } : names.filter { selected.contains($0) }
        // Opened first, so a bad file is reported before minutes of other workloads.
        let weightsFile = try weights.map { path throws(FileFormatError) in try SafetensorsCollection(path: path) }
        var records: [BenchmarkRecord] = []
        for name in chosen {
            if name == "convolution-paths" {
                records += convolutionPaths(repeats: repeats)
                continue
            }
            let record: BenchmarkRecord? = switch name {
            case "mlp-64": mlp(width: 64, repeats: repeats)
            case "mlp-256": mlp(width: 256, repeats: repeats)
            case "mlp-512": mlp(width: 512, repeats: repeats)
            case "mlp-1024": mlp(width: 1024, repeats: repeats)
            case "cnn": cnn(repeats: repeats)
            case "transformer-block": transformerBlock(repeats: repeats)
            case "resnet-8": resnet(repeats: repeats)
            case "gpt": gpt(repeats: repeats)
            case "resnet-8-cifar": cifarResNet(repeats: repeats)
            case "gpt-block": gptBlock(repeats: repeats)
            case "sgemm-1024": sgemm(n: 1024, repeats: repeats)
            case "symmetry-analysis": symmetryAnalysis(repeats: repeats)
            case "tracking-overhead": trackingOverhead(repeats: max(3, repeats / 10))
            case "representation-analysis": representationAnalysis(repeats: max(3, repeats / 10))
            case "weight-spectra": try weightsFile.map { file throws(FileFormatError) in try weightSpectra(file, repeats: max(3, repeats / 10)) }
            case "linear-assignment-1024": linearAssignment(n: 1024, repeats: max(3, repeats / 10))
            case "e1-8-seeds": e1EightSeeds(repeats: max(3, repeats / 10))
            case "e1-8-seeds-one-core": e1EightSeeds(repeats: max(3, repeats / 10), oneCore: true)
            default: nil
            }
            if let record { records.append(record) }
        }
        return records
    }

    /// MLP 784-W-W-10, batch 128, cross-entropy.
    public static func mlp(width: Int, repeats: Int) -> BenchmarkRecord {
        let spec = ModelSpec.mlp(MLPSpec(input: 784, hidden: [width, width], output: 10))
        return trainingStep(name: "mlp-\(width)", spec: spec, batch: 128, repeats: repeats)
    }

    /// A small CNN on 28×28 inputs: conv 16 → pool → conv 32 → pool → 128 → 10, batch 128.
    public static func cnn(repeats: Int) -> BenchmarkRecord {
        let spec = ModelSpec.cnn(CNNSpec(inputShape: [1, 28, 28],
                                         convolutions: [ConvolutionLayerSpec(channels: 16), ConvolutionLayerSpec(channels: 32)],
                                         hidden: [128], output: 10))
        return trainingStep(name: "cnn", spec: spec, batch: 128, repeats: repeats)
    }

    /// One encoder block: sequence 64, width 128, 4 heads, feed-forward 512, batch 32.
    public static func transformerBlock(repeats: Int) -> BenchmarkRecord {
        let spec = ModelSpec.transformer(TransformerSpec(sequenceLength: 64, tokenDimension: 128, width: 128, heads: 4, depth: 1, feedForward: 512, output: 10))
        return trainingStep(name: "transformer-block", spec: spec, batch: 32, repeats: repeats)
    }

    /// A CIFAR-style ResNet-8 with BatchNorm (16/32/64 channels) on 28×28 inputs, batch 64.
    public static func resnet(repeats: Int) -> BenchmarkRecord {
        trainingStep(name: "resnet-8", spec: .resnet(ResNetSpec(inputShape: [1, 28, 28], depth: 8, output: 10)), batch: 64, repeats: repeats)
    }

    /// A GPT-style decoder: vocabulary 64, context 64, width 128, 2 layers, 4 query heads sharing
    /// 2 key/value heads, RoPE, RMSNorm, SwiGLU; next-token loss at every position, batch 16.
    public static func gpt(repeats: Int) -> BenchmarkRecord {
        let spec = ModelSpec.gpt(GPTSpec(vocabulary: 64, sequenceLength: 64, width: 128, depth: 2, heads: 4, kvHeads: 2))
        return trainingStep(name: "gpt", spec: spec, batch: 16, repeats: repeats)
    }

    /// The performance issue's ResNet-8: BatchNorm, 16/32/64 channels on 3×32×32, batch 128.
    public static func cifarResNet(repeats: Int) -> BenchmarkRecord {
        trainingStep(name: "resnet-8-cifar", spec: .resnet(ResNetSpec(inputShape: [3, 32, 32], depth: 8, output: 10)), batch: 128, repeats: repeats)
    }

    /// The performance issue's GPT block: one decoder layer, context 128, width 256, 8 query
    /// heads sharing 2 key/value heads (causal, RoPE), RMSNorm, SwiGLU; vocabulary 64, batch 16.
    public static func gptBlock(repeats: Int) -> BenchmarkRecord {
        let spec = ModelSpec.gpt(GPTSpec(vocabulary: 64, sequenceLength: 128, width: 256, depth: 1, heads: 8, kvHeads: 2))
        return trainingStep(name: "gpt-block", spec: spec, batch: 16, repeats: repeats)
    }

    static func trainingStep(name: String, spec: ModelSpec, batch: Int, repeats: Int) -> BenchmarkRecord {
        var generator = RandomGenerator(seed: 0)
        guard var model = try? Model<Float>(spec, generator: generator.derived("init")) else {
            preconditionFailure("benchmark model \(name) is invalid")
        }
        let inputs: Tensor<Float> = model.architecture.randomInputs(batch, using: &generator)
        let labels = (0..<(batch * model.architecture.outputsPerSample)).map { Int32($0 % spec.outputCount) }
        let step = TrainingStep<Float>(architecture: model.architecture, loss: .crossEntropy)
        var optimizer = Optimizer<Float>(OptimizerSpec(learningRate: 0.01, momentum: 0.9, weightDecay: 5e-4), noiseSeed: generator)
        func once() { step.step(&model.parameters, optimizer: &optimizer, inputs: inputs, targets: .classes(labels), learningRate: 0.01) }
        for _ in 0..<5 { once() }
        let allocationsBefore = step.tape.freshAllocations
        let median = medianMilliseconds(repeats: repeats, once)
        let allocations = Double(step.tape.freshAllocations - allocationsBefore) / Double(repeats)
        // The GEMMs of one step, replayed alone on buffers of the same sizes.
        step.tape.recordsMatrixProducts = true
        once()
        let products = step.tape.matrixProducts
        step.tape.recordsMatrixProducts = false
        return BenchmarkRecord(name: name, medianMilliseconds: median, floorMilliseconds: gemmFloor(products, repeats: repeats),
                               gflops: nil, allocationsPerStep: allocations, baselineMilliseconds: nil, overheadPercent: nil, repeats: repeats)
    }

    /// The median time of running `products` back to back.
    static func gemmFloor(_ products: [MatrixProductGeometry], repeats: Int) -> Double {
        var generator = RandomGenerator(seed: 1)
        let operands = products.map { p in
            (Tensor<Float>.normal([p.m * p.k], using: &generator), Tensor<Float>.normal([p.k * p.n], using: &generator),
             Tensor<Float>.zeros([p.m * p.n]), Tensor<Float>.zeros([p.cutAlongSharedRows ? Swift.max(1, Kernels.sharedRowsPartialCount(m: p.m, n: p.n, k: p.k)) : 1]))
        }
        func once() {
            // Through the same dispatch as the step (BLAS, or the long-product or shared-rows kernels).
            for (p, (a, b, c, partials)) in zip(products, operands) {
                if p.cutAlongSharedRows {
                    Kernels.sharedRowsProduct(a.unsafeBaseAddress, b.unsafeBaseAddress, m: p.m, n: p.n, k: p.k, c.unsafeBaseAddress,
                                              accumulate: false, partials: partials.unsafeBaseAddress)
                    continue
                }
                Kernels.matmul(a.unsafeBaseAddress, b.unsafeBaseAddress,
                               .unchecked(m: p.m, n: p.n, k: p.k, transposeA: p.transposeA, transposeB: p.transposeB),
                               c.unsafeBaseAddress, accumulate: false)
            }
        }
        for _ in 0..<3 { once() }
        return medianMilliseconds(repeats: repeats, once)
    }

    /// One symmetry measurement (every layer report, ΔG and conserved quantity) of an MLP
    /// 784-256-256-10: the cost of one tracker interval.
    public static func symmetryAnalysis(repeats: Int) -> BenchmarkRecord {
        let spec = ModelSpec.mlp(MLPSpec(input: 784, hidden: [256, 256], output: 10))
        guard let model = try? Model<Float>(spec, generator: RandomGenerator(seed: 0)),
              let catalogue = try? SymmetryCatalogue.infer(spec, loss: .crossEntropy) else {
            preconditionFailure("benchmark model is invalid")
        }
        let tracker = SymmetryTracker(catalogue: catalogue, spec: TrackSpec(), interval: 1)
        tracker.start(model.parameters)
        let median = medianMilliseconds(repeats: repeats) {
            _ = tracker.measure(model.parameters, step: 0, loss: 0, sink: MetricSink())
        }
        return BenchmarkRecord(name: "symmetry-analysis", medianMilliseconds: median, floorMilliseconds: nil, gflops: nil,
                               allocationsPerStep: nil, baselineMilliseconds: nil, overheadPercent: nil, repeats: repeats)
    }

    /// A whole training run like `examples/fashion-mnist-mlp.yaml` (MLP 784-256-256-10,
    /// 3000 steps of batch 128, on a 784-dimensional Gaussian mixture so that no files are
    /// needed; evaluation and symmetry tracking at their default interval, steps/20) with and
    /// without the tracker, interleaved; the median of each.
    public static func trackingOverhead(repeats: Int) -> BenchmarkRecord {
        var data = DataSpec(kind: .gaussianMixture)
        (data.dimension, data.classes, data.train, data.test) = (784, 10, 10_000, 2000)
        var config = RunConfig(name: "tracking-overhead", model: .mlp(MLPSpec(input: 784, hidden: [256, 256], output: 10)),
                               data: data, optimizer: OptimizerSpec(learningRate: 0.05, momentum: 0.9), training: TrainingSpec(steps: 3000))
        var tracked: [Double] = [], untracked: [Double] = []
        for _ in 0..<repeats {
            for enabled in [true, false] {
                config.track.enabled = enabled
                let trainer = ConfigTrainer(config: config)
                let time = medianMilliseconds(repeats: 1) { _ = try? trainer.run() }
                if enabled { tracked.append(time) } else { untracked.append(time) }
            }
        }
        return comparison("tracking-overhead", measured: tracked, baseline: untracked, repeats: repeats)
    }

    /// A record of two alternated measurements: the medians of each, and the measured one's
    /// excess over the baseline in percent.
    static func comparison(_ name: String, measured: [Double], baseline: [Double], repeats: Int) -> BenchmarkRecord {
        func median(_ values: [Double]) -> Double { values.isEmpty ? .nan : values.sorted()[values.count / 2] }
        let (time, base) = (median(measured), median(baseline))
        return BenchmarkRecord(name: name, medianMilliseconds: time, floorMilliseconds: nil, gflops: nil,
                               allocationsPerStep: nil, baselineMilliseconds: base,
                               overheadPercent: 100 * (time / base - 1), repeats: repeats)
    }

    /// Representation analysis of 10,000 samples × 512 features with 10 classes: rank and
    /// effective rank, a ridge probe, neural collapse, and linear CKA, unbiased CKA, kernel
    /// alignment and mutual 10-NN against a second 10,000 × 512 representation.
    public static func representationAnalysis(repeats: Int) -> BenchmarkRecord {
        var generator = RandomGenerator(seed: 3)
        let labels = (0..<10_000).map { $0 % 10 }
        let means = Tensor<Double>.normal([10, 512], standardDeviation: 3, using: &generator)
        let a = means.gatherRows(labels) + Tensor<Double>.normal([10_000, 512], using: &generator)
        let b = a.matmul(Tensor<Double>.normal([512, 512], using: &generator)) + Tensor<Double>.normal([10_000, 512], using: &generator)
        let median = medianMilliseconds(repeats: repeats) {
            _ = try? RepresentationRank(a)
            _ = try? LinearProbe(features: a, labels: labels, classes: 10).accuracy(a, labels: labels)
            _ = try? NeuralCollapse(features: a, labels: labels)
            _ = try? Alignment.all(a, b, k: 10)
        }
        return BenchmarkRecord(name: "representation-analysis", medianMilliseconds: median, floorMilliseconds: nil, gflops: nil,
                               allocationsPerStep: nil, baselineMilliseconds: nil, overheadPercent: nil, repeats: repeats)
    }

    /// The singular values (values only) and ranks at the three reported thresholds of every
    /// matrix of a safetensors file, as `noether analyze` computes them; loading excluded.
    public static func weightSpectra(_ file: SafetensorsCollection, repeats: Int) throws(FileFormatError) -> BenchmarkRecord {
        var matrices: [Tensor<Double>] = []
        for (entry, _) in file.entries where entry.shape.count == 2 && entry.shape.allSatisfy({ $0 > 1 }) {
            matrices.append(try file.tensor(entry.name, as: Double.self))
        }
        let median = medianMilliseconds(repeats: repeats) {
            for matrix in matrices {
                let spectrum = Spectrum(matrix)
                for tau in SymmetryThresholds.reportedRankThresholds { _ = spectrum.rank(relative: tau) }
            }
        }
        return BenchmarkRecord(name: "weight-spectra", medianMilliseconds: median, floorMilliseconds: nil, gflops: nil,
                               allocationsPerStep: nil, baselineMilliseconds: nil, overheadPercent: nil, repeats: repeats)
    }

    /// Square single-precision GEMM through BLAS.
    public static func sgemm(n: Int, repeats: Int) -> BenchmarkRecord {
        let product = MatrixProductGeometry.unchecked(m: n, n: n, k: n, transposeA: false, transposeB: false)
        let median = gemmFloor([product], repeats: repeats)
        return BenchmarkRecord(name: "sgemm-\(n)", medianMilliseconds: median, floorMilliseconds: nil,
                               gflops: product.flops / (median * 1e6), allocationsPerStep: nil, baselineMilliseconds: nil,
                               overheadPercent: nil, repeats: repeats)
    }

    /// The median over `repeats` timed calls of `body`, in milliseconds.
    public static func medianMilliseconds(repeats: Int, _ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        var times: [Double] = []
        for _ in 0..<max(repeats, 1) {
            let start = clock.now
            body()
            let d = start.duration(to: clock.now)
            times.append(Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) * 1e-15)
        }
        times.sort()
        return times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
    }
}
