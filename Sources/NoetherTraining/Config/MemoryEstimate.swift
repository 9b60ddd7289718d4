import Foundation
import NoetherData
import NoetherNN

/// What a run's largest allocations will take, estimated from its config alone before anything
/// is allocated: the parameters with their gradients and optimiser moments, the generated data,
/// and a batch's activations forward and backward. In floating point, so that no size in a
/// config (`hidden: [4611686018427387904]`) can overflow; a config over the limit is refused
/// with the estimate instead of aborting in the allocator.
public struct MemoryEstimate: Sendable, Equatable {
    public let parameters: Double
    public let dataElements: Double
    public let activationsPerSample: Double
    public let batchSize: Double

    /// The estimate in bytes (Float32 everywhere).
    public var bytes: Double {
        4 * (4 * parameters + dataElements + 3 * batchSize * activationsPerSample)
    }

    /// The limit when none is given: three quarters of the machine's physical memory.
    public static var defaultLimit: Int { Int(Double(ProcessInfo.processInfo.physicalMemory) * 0.75) }

    public init(_ config: RunConfig) {
        let (parameters, activations, inputs) = Self.model(config.model)
        self.parameters = parameters
        activationsPerSample = activations
        let samples = Double(max(config.data.train ?? 0, 0)) + Double(max(config.data.test ?? 0, 0))
        let dimension = config.data.dimension.map { Double(max($0, 0)) } ?? inputs
        dataElements = samples * max(dimension, inputs)
        batchSize = Double(max(config.training.batchSize, 0))
    }

    /// Refuses an estimate above `limit` bytes, saying how to proceed.
    public func check(limit: Int) throws(RunError) {
        guard parameters.isFinite else {
            throw RunError("the model graph's sizes are so large that their products overflow, so its memory cannot be estimated",
                           hint: "shrink the graph's sizes: the product of its four largest numbers must stay under 2^62")
        }
        guard bytes <= Double(limit) else {
            throw RunError("this config needs about \(Self.describe(bytes)) of memory (\(Self.describe(4 * parameters)) of parameters ×4 with "
                           + "gradients and optimiser moments, \(Self.describe(4 * dataElements)) of data, \(Self.describe(12 * batchSize * activationsPerSample)) "
                           + "of activations), over the \(Self.describe(Double(limit))) limit; shrink the model, data or batch, or raise --max-memory")
        }
    }

    /// A size such as `8G`, `512M`, `64k` or a number of bytes (`--max-memory`).
    public static func parseSize(_ text: String) -> Int? {
        let units: [Character: Double] = ["k": 0x1p10, "m": 0x1p20, "g": 0x1p30, "t": 0x1p40]
        var digits = text.trimmingCharacters(in: .whitespaces).lowercased()
        if digits.hasSuffix("ib") || digits.hasSuffix("b") { digits = String(digits.dropLast(digits.hasSuffix("ib") ? 2 : 1)) }
        var scale = 1.0
        if let last = digits.last, let unit = units[last] { scale = unit; digits.removeLast() }
        guard let value = Double(digits), value.isFinite, value > 0, value * scale < 9e18 else { return nil }
        return Int(value * scale)
    }

    static func describe(_ bytes: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = bytes, unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        return value >= 1024 ? String(format: "%.3g %@", value, units[unit]) : String(format: unit == 0 ? "%.0f %@" : "%.1f %@", value, units[unit])
    }

    /// Parameters, activations per sample and inputs per sample of a model.
    static func model(_ spec: ModelSpec) -> (parameters: Double, activations: Double, inputs: Double) {
        func dense(_ widths: [Double], bias: Bool) -> (Double, Double) {
            var parameters = 0.0
            for (a, b) in zip(widths, widths.dropFirst()) { parameters += a * b + (bias ? b : 0) }
            return (parameters, 2 * widths.reduce(0, +))
        }
        switch spec {
        case .mlp(let s):
            let (p, a) = dense(([s.input] + s.hidden + [s.output]).map(Double.init), bias: s.bias)
            return (p, a, Double(s.input))
        case .deepLinear(let s):
            let (p, a) = dense(([s.input] + s.hidden + [s.output]).map(Double.init), bias: false)
            return (p, a, Double(s.input))
        case .cnn(let s):
            let image = s.inputShape.map(Double.init)
            let pixels = image.dropFirst().reduce(1, *)
            var channels = image.first ?? 1, parameters = 0.0, activations = image.reduce(1, *)
            for convolution in s.convolutions {
                let c = Double(convolution.channels), k = Double(convolution.kernel)
                parameters += k * k * channels * c + c
                activations += 2 * c * pixels
                channels = c
            }
            let (p, a) = dense([channels * pixels] + (s.hidden + [s.output]).map(Double.init), bias: s.bias)
            return (parameters + p, activations + a, image.reduce(1, *))
        case .transformer(let s):
            let (n, d, w, f) = (Double(s.sequenceLength), Double(s.tokenDimension), Double(s.width), Double(s.feedForward))
            let block = 4 * w * w + 2 * w * f + 9 * w + f
            let parameters = d * w + w + Double(s.depth) * block + w * Double(s.output) + Double(s.output)
            let activations = n * d + Double(s.depth) * (n * (8 * w + 2 * f) + 2 * Double(s.heads) * n * n)
            return (parameters, activations, n * d)
        case .resnet(let s):
            let image = s.inputShape.map(Double.init)
            let pixels = image.dropFirst().reduce(1, *)
            let blocks = Double(max(s.depth - 2, 0)) / 6, w = Double(s.width)
            var channels = 16 * w
            var parameters = 9 * (image.first ?? 1) * channels, activations = 2 * image.reduce(1, *) + 4 * channels * pixels
            for (stage, c) in [16 * w, 32 * w, 64 * w].enumerated() {
                let stagePixels = pixels / Double(1 << (2 * stage))
                // The first block reads the previous stage (with a 1×1 shortcut when it widens).
                parameters += 9 * channels * c + 9 * c * c + (channels == c ? 0 : channels * c) + max(blocks - 1, 0) * 18 * c * c + 8 * blocks * c
                activations += blocks * 10 * c * stagePixels
                channels = c
            }
            return (parameters + channels * Double(s.output), activations, image.reduce(1, *))
        case .vit(let s):
            let image = s.inputShape.map(Double.init)
            let p = Double(s.patch), c = image.first ?? 1
            let n = image.dropFirst().reduce(1, *) / max(p * p, 1) + 1
            let (w, f) = (Double(s.width), Double(s.feedForward))
            let block = 4 * w * w + 2 * w * f + 9 * w + f
            let parameters = c * p * p * w + n * w + Double(s.depth) * block + w * Double(s.output)
            let activations = image.reduce(1, *) + Double(s.depth) * (n * (8 * w + 2 * f) + 2 * Double(s.heads) * n * n)
            return (parameters, activations, image.reduce(1, *))
        case .gpt(let s):
            let (n, v, w, f) = (Double(s.sequenceLength), Double(s.vocabulary), Double(s.width), Double(s.feedForward))
            let keyValue = 2 * w * Double(s.kvHeads) / Double(max(s.heads, 1))
            let mlp = (s.mlp == .gelu ? 2 : 3) * w * f
            let parameters = v * w * (s.tieEmbeddings ? 1 : 2) + (s.positions == .learned ? n * w : 0)
                + Double(s.depth) * (2 * w * w + w * keyValue + mlp + 4 * w)
            let activations = n * (v + Double(s.depth) * (8 * w + 3 * f)) + Double(s.depth) * 2 * Double(s.heads) * n * n
            return (parameters, activations, n)
        case .graph(let s):
            // A free-form graph has no closed form: its parameters are counted exactly from the
            // layout (built only once its sizes are small enough that no product can overflow),
            // and its activations are taken as a multiple of the input.
            let inputs = s.input.map(Double.init).reduce(1, *)
            guard Self.isSafeToBuild(spec) else { return (.infinity, 16 * inputs, inputs) }
            // A graph that cannot be built is reported by the model's own validation, which follows.
            guard let architecture = try? Architecture(spec) else { return (0, 0, inputs) }
            let parameters = architecture.layout.reduce(0.0) { $0 + $1.shape.dimensions.map(Double.init).reduce(1, *) }
            return (parameters, 16 * inputs * Double(max(s.layers.count, 1)), inputs)
        }
    }

    /// Whether a graph can be built without any size product overflowing: the product of its
    /// four largest numbers (a convolution's weight count has four factors) must stay under 2^62.
    static func isSafeToBuild(_ spec: ModelSpec) -> Bool {
        guard let data = try? JSONEncoder().encode(spec), let object = try? JSONSerialization.jsonObject(with: data) else { return false }
        func numbers(_ value: Any) -> [Double] {
            switch value {
            case let number as NSNumber: [abs(number.doubleValue)]
            case let array as [Any]: array.flatMap(numbers)
            case let dictionary as [String: Any]: dictionary.values.flatMap(numbers)
            default: []
            }
        }
        let largest = numbers(object).sorted(by: >).prefix(4)
        return largest.reduce(1.0) { $0 * max($1, 1) } < 0x1p62
    }
}
