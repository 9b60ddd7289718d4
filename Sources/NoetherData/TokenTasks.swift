import NoetherTensor

/// The built-in token-sequence tasks: algorithmic problems on which small transformers show
/// plateaus, sudden jumps and grokking. Each is a pure function of its settings and a generator,
/// and stores its sequences as ``TokenSequenceLayout`` describes.
public enum TokenTasks {
    /// Modular addition (Power et al. 2022, "Grokking"): every pair (a, b) ∈ [0, p)² as the
    /// sequence `a, b, =` with `=` the token p (vocabulary p + 1), labelled (a + b) mod p at the
    /// last position. A seeded permutation of the p² pairs puts the first
    /// round(trainFraction · p²) in the training set and the rest in the test set, so the two
    /// never share a pair.
    public static func modularAddition(modulus p: Int, trainFraction: Double, using generator: inout RandomGenerator) -> DataSplit {
        let order = generator.permutation(p * p)
        let trainCount = min(max(Int((trainFraction * Double(p * p)).rounded()), 1), p * p - 1)
        func dataset(_ pairs: ArraySlice<Int>) -> Dataset {
            var inputs = Tensor<Float>(uninitializedShape: [pairs.count, 3])
            var labels: [Int32] = []
            labels.reserveCapacity(pairs.count)
            inputs.withUnsafeMutableBufferPointer { x in
                for (row, pair) in pairs.enumerated() {
                    let (a, b) = pair.quotientAndRemainder(dividingBy: p)
                    (x[row * 3], x[row * 3 + 1], x[row * 3 + 2]) = (Float(a), Float(b), Float(p))
                    labels.append(Int32((a + b) % p))
                }
            }
            return Dataset(name: "modular_addition", inputs: inputs, targets: .classes(labels, classes: p),
                           tokens: TokenSequenceLayout(vocabulary: p + 1, targetPositions: 2..<3))
        }
        return DataSplit(train: dataset(order[..<trainCount]), test: dataset(order[trainCount...]))
    }

    /// Copying: S = 2L tokens `x₁ … x_L, ⟨sep⟩, x₁ … x_{L−1}` with xᵢ uniform in
    /// `0..<vocabulary` and ⟨sep⟩ the token `vocabulary` (so the input vocabulary is one larger).
    /// From the separator on, each position predicts the next copied token: positions L…2L−1
    /// are labelled x₁ … x_L (teacher forcing, as a decoder is trained).
    public static func copying(count: Int, vocabulary v: Int, sequenceLength s: Int, using generator: inout RandomGenerator) -> Dataset {
        let half = s / 2
        var inputs = Tensor<Float>(uninitializedShape: [count, s])
        var labels = [Int32](repeating: 0, count: count * half)
        inputs.withUnsafeMutableBufferPointer { x in
            for n in 0..<count {
                let row = n * s
                for i in 0..<half {
                    let token = generator.index(below: v)
                    x[row + i] = Float(token)
                    labels[n * half + i] = Int32(token)
                    if i + 1 < half { x[row + half + 1 + i] = Float(token) }
                }
                x[row + half] = Float(v)
            }
        }
        return Dataset(name: "copying", inputs: inputs, targets: .classes(labels, classes: v),
                       tokens: TokenSequenceLayout(vocabulary: v + 1, targetPositions: half..<s))
    }

    /// Induction (Olsson et al. 2022): S = 2L tokens, a random first half x₁ … x_L repeated once
    /// with no marker. Inside the repeat, the token at a position has occurred before, and the
    /// token that followed it then comes next: positions L…2L−2 are labelled x₂ … x_L (the
    /// first repeated token is unpredictable and not scored). The first half draws distinct
    /// tokens when `vocabulary ≥ L`, so every scored token is determined by the prefix.
    public static func induction(count: Int, vocabulary v: Int, sequenceLength s: Int, using generator: inout RandomGenerator) -> Dataset {
        let half = s / 2
        var inputs = Tensor<Float>(uninitializedShape: [count, s])
        var labels = [Int32](repeating: 0, count: count * (half - 1))
        var pool = Array(0..<v)
        inputs.withUnsafeMutableBufferPointer { x in
            for n in 0..<count {
                let row = n * s
                for i in 0..<half {
                    let token: Int
                    if v >= half {
                        // A partial Fisher–Yates shuffle: the first `half` entries of the pool.
                        pool.swapAt(i, i + generator.index(below: v - i))
                        token = pool[i]
                    } else {
                        token = generator.index(below: v)
                    }
                    (x[row + i], x[row + half + i]) = (Float(token), Float(token))
                    if i > 0 { labels[n * (half - 1) + i - 1] = Int32(token) }
                }
            }
        }
        return Dataset(name: "induction", inputs: inputs, targets: .classes(labels, classes: v),
                       tokens: TokenSequenceLayout(vocabulary: v, targetPositions: half..<(s - 1)))
    }

    /// The secret of a sparse parity: `degree` distinct coordinates of `0..<bits`, sorted.
    public static func paritySecret(bits: Int, degree: Int, using generator: inout RandomGenerator) -> [Int] {
        Array(generator.permutation(bits).prefix(degree)).sorted()
    }

    /// Sparse parity (Barak et al. 2022): n uniform bits as tokens 0/1, labelled with the XOR of
    /// the bits at the secret coordinates, predicted at the last position.
    public static func sparseParity(count: Int, bits: Int, secret: [Int], using generator: inout RandomGenerator) -> Dataset {
        var inputs = Tensor<Float>(uninitializedShape: [count, bits])
        var labels = [Int32](repeating: 0, count: count)
        inputs.withUnsafeMutableBufferPointer { x in
            for n in 0..<count {
                for i in 0..<bits { x[n * bits + i] = Float(generator.next() & 1) }
                var parity: Int32 = 0
                for coordinate in secret { parity ^= Int32(x[n * bits + coordinate]) }
                labels[n] = parity
            }
        }
        return Dataset(name: "sparse_parity", inputs: inputs, targets: .classes(labels, classes: 2), relevantCoordinates: secret,
                       tokens: TokenSequenceLayout(vocabulary: 2, targetPositions: (bits - 1)..<bits))
    }
}
