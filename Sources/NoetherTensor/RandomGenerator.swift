import RealModule

/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64) whose streams are
/// identical on every run and platform: every random draw in Noether comes from one of these.
///
/// Independent streams for independent purposes (initialisation, data order, noise) come from
/// ``derived(_:)``, so adding draws to one purpose never shifts another.
public struct RandomGenerator: RandomNumberGenerator, Sendable, Codable, Equatable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// A generator whose stream is fully determined by `seed`.
    public init(seed: UInt64) {
        var mixer = seed
        state = (Self.splitMix(&mixer), Self.splitMix(&mixer), Self.splitMix(&mixer), Self.splitMix(&mixer))
    }

    private static func splitMix(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inlinable
    static func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 &- k)) }

    public mutating func next() -> UInt64 {
        let result = Self.rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = Self.rotate(state.3, 45)
        return result
    }

    /// An independent generator for a named purpose, derived from this one's current state
    /// without advancing it.
    public func derived(_ label: String) -> RandomGenerator {
        // FNV-1a: a stable hash (Swift's Hasher is seeded per process).
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in label.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return RandomGenerator(seed: state.0 ^ Self.rotate(state.2, 23) ^ hash)
    }

    /// A uniform draw from [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A uniform draw from [low, high).
    public mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * uniform() }

    /// A standard normal draw (Box–Muller; one of the pair is discarded to keep draws independent
    /// of how many are requested at a time).
    public mutating func normal() -> Double {
        let (z, _) = normalPair()
        return z
    }

    /// Two independent standard normal draws.
    public mutating func normalPair() -> (Double, Double) {
        // 1 - u is in (0, 1], so the logarithm is finite.
        let radius = (-2 * Double.log(1 - uniform())).squareRoot()
        let angle = 2 * Double.pi * uniform()
        return (radius * Double.cos(angle), radius * Double.sin(angle))
    }

    /// True with probability `p`.
    public mutating func bernoulli(_ p: Double) -> Bool { uniform() < p }

    /// A uniformly random integer in `0..<n` (unbiased, Lemire's method).
    public mutating func index(below n: Int) -> Int {
        precondition(n > 0, "index(below:) needs a positive bound")
        return Int(next(upperBound: UInt64(n)))
    }

    /// A uniformly random permutation of `0..<n` (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var result = Array(0..<n)
        shuffle(&result)
        return result
    }

    /// Shuffles `values` in place (Fisher–Yates, deterministic for a given state).
    public mutating func shuffle<T>(_ values: inout [T]) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            values.swapAt(i, index(below: i + 1))
        }
    }

    /// Fills `buffer` with uniform draws from [low, high).
    public mutating func fillUniform<T: TensorScalar>(_ buffer: UnsafeMutableBufferPointer<T>, low: Double, high: Double) {
        for i in buffer.indices { buffer[i] = T(uniform(low, high)) }
    }

    /// Fills `buffer` with normal draws of the given mean and standard deviation.
    public mutating func fillNormal<T: TensorScalar>(_ buffer: UnsafeMutableBufferPointer<T>, mean: Double, standardDeviation: Double) {
        var i = 0
        while i + 1 < buffer.count {
            let (a, b) = normalPair()
            buffer[i] = T(mean + standardDeviation * a)
            buffer[i + 1] = T(mean + standardDeviation * b)
            i += 2
        }
        if i < buffer.count { buffer[i] = T(mean + standardDeviation * normal()) }
    }

    public static func == (lhs: RandomGenerator, rhs: RandomGenerator) -> Bool {
        lhs.state == rhs.state
    }

    private enum CodingKeys: String, CodingKey { case state }

    public init(from decoder: Decoder) throws {
        let words = try decoder.container(keyedBy: CodingKeys.self).decode([UInt64].self, forKey: .state)
        guard words.count == 4, words.contains(where: { $0 != 0 }) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "a generator state is four words, not all zero"))
        }
        state = (words[0], words[1], words[2], words[3])
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode([state.0, state.1, state.2, state.3], forKey: .state)
    }
}

extension Tensor {
    /// Uniform draws from [low, high).
    public static func uniform(_ shape: Shape, low: Double = 0, high: Double = 1, using generator: inout RandomGenerator) -> Tensor {
        var result = Tensor(uninitializedShape: shape)
        result.withUnsafeMutableBufferPointer { generator.fillUniform($0, low: low, high: high) }
        return result
    }

    /// Normal draws with the given mean and standard deviation.
    public static func normal(_ shape: Shape, mean: Double = 0, standardDeviation: Double = 1, using generator: inout RandomGenerator) -> Tensor {
        var result = Tensor(uninitializedShape: shape)
        result.withUnsafeMutableBufferPointer { generator.fillNormal($0, mean: mean, standardDeviation: standardDeviation) }
        return result
    }

    /// Ones with probability `p`, zeros otherwise.
    public static func bernoulli(_ shape: Shape, probability p: Double, using generator: inout RandomGenerator) -> Tensor {
        var result = Tensor(uninitializedShape: shape)
        result.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = generator.bernoulli(p) ? 1 : 0 }
        }
        return result
    }
}
