import NoetherTensor

extension Tape {
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func rotaryEmbedding(_ x: Variable<Scalar>, base: Double, heads: Int) -> Variable<Scalar> {
        let shape = x.shape
        precondition(shape.rank >= 2 && heads > 0 && shape.last % heads == 0, "rotaryEmbedding needs [..., S, H·Dh] with \(heads) heads, got \(shape)")
        let (positions, width) = (shape[shape.rank - 2], shape.last / heads)
        precondition(width % 2 == 0, "rotaryEmbedding needs an even head width, got \(width)")
        let half = width / 2
        // cos θ then sin θ for θ = position · base^(−2i/Dh), computed in Float64 so that Float
        // runs rotate by the same angles as PyTorch's float32 tables to within rounding.
        let table = output([2 * positions * half])
        let (cosines, sines) = (table.unsafeBaseAddress, table.unsafeBaseAddress + positions * half)
        for i in 0..<half {
            let frequency = Double.pow(base, -2 * Double(i) / Double(width))
            for p in 0..<positions {
                let angle = Double(p) * frequency
                cosines[p * half + i] = Scalar(Double.cos(angle))
                sines[p * half + i] = Scalar(Double.sin(angle))
            }
        }
        let result = output(shape)
        Self.rotate(pointer(x.index), into: result.unsafeBaseAddress, rows: shape.count / max(width, 1), positions: positions, heads: heads,
                    half: half, cosines: cosines, sines: sines, inverse: false, accumulate: false)
        return record(result, .rotaryEmbedding(input: x.index, table: save(table)), needsGradient: needsGradient[x.index])
    }

    /// Rotates each pair (xᵢ, x_{i+Dh/2}) of every row by its angle (or by minus it, the
    /// transpose: the rotation is orthogonal, so its vector–Jacobian product is the inverse
    /// rotation). Row r (one head's features) sits at position (r / heads) mod S.
    static func rotate(
        _ x: UnsafePointer<Scalar>, into y: UnsafeMutablePointer<Scalar>, rows: Int, positions: Int, heads: Int, half: Int,
        cosines: UnsafePointer<Scalar>, sines: UnsafePointer<Scalar>, inverse: Bool, accumulate: Bool
    ) {
        let direction: Scalar = inverse ? -1 : 1
        for r in 0..<rows {
            let (input, out) = (x + r * 2 * half, y + r * 2 * half)
            let angle = (r / heads % max(positions, 1)) * half
            for i in 0..<half {
                let (c, s) = (cosines[angle + i], direction * sines[angle + i])
                let (first, second) = (input[i] * c - input[i + half] * s, input[i + half] * c + input[i] * s)
                if accumulate {
                    out[i] += first
                    out[i + half] += second
                } else {
                    out[i] = first
                    out[i + half] = second
                }
            }
        }
    }

    func backwardRotaryEmbedding(input x: Int, table: Int, gradient g: UnsafePointer<Scalar>) {
        guard let (dx, accumulate) = gradientTarget(x) else { return }
        let shape = values[x].shape
        let positions = shape[shape.rank - 2]
        // The table holds cos and sin for each position and pair: its size gives the head width.
        let half = auxiliary[table].shape.count / max(2 * positions, 1)
        let width = 2 * half
        let cosines = auxiliaryPointer(table)
        Self.rotate(g, into: dx, rows: shape.count / max(width, 1), positions: positions, heads: shape.last / max(width, 1), half: half,
                    cosines: cosines, sines: cosines + positions * half, inverse: true, accumulate: accumulate)
    }
}

extension Variable {
    /// Rotary position embedding (RoPE; Su et al. 2021) on `[..., S, Dh]`, e.g. queries or keys
    /// `[N, H, S, Dh]`: the features at position p are rotated pairwise by angles
    /// p·θᵢ, θᵢ = base^(−2i/Dh), i < Dh/2.
    ///
    /// Pairs follow the half-split convention of LLaMA and Hugging Face's `rotate_half`:
    /// feature i pairs with feature i + Dh/2 (not with i + 1 as in the original paper and
    /// GPT-J), so y = x·cos + rotate_half(x)·sin with cos, sin repeated over both halves.
    /// Weights trained with the interleaved convention need their Q/K rows permuted first.
    /// Positions start at 0.
    ///
    /// With `heads` > 1 the last axis holds that many heads side by side, `[..., S, H·Dh]` (the
    /// token-major layout of a projection's output), each head rotated alike — no permutation
    /// to `[..., H, S, Dh]` needed.
    ///
    /// - Parameter base: the frequency base (LLaMA 1/2: 10 000; LLaMA 3: 500 000).
    public func rotaryEmbedding(base: Double = 10_000, heads: Int = 1) -> Variable { tape.rotaryEmbedding(self, base: base, heads: heads) }
}
