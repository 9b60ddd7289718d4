import NoetherTensor

/// The extents of a (grouped-query) attention: queries `[N, H, S, Dh]`, keys `[N, KV, T, Dh]`,
/// values `[N, KV, T, Dv]`; query head h reads key/value head h / (H / KV).
struct AttentionGeometry {
    let batch: Int, heads: Int, keyHeads: Int, queries: Int, keys: Int, width: Int, valueWidth: Int

    init(query: Shape, key: Shape, value: Shape) {
        precondition(query.rank == 4 && key.rank == 4 && value.rank == 4,
                     "attention needs query [N, H, S, Dh], key [N, KV, T, Dh], value [N, KV, T, Dv]; got \(query), \(key), \(value)")
        (batch, heads, queries, width) = (query[0], query[1], query[2], query[3])
        (keyHeads, keys, valueWidth) = (key[1], key[2], value[3])
        precondition(key[0] == batch && value[0] == batch && key[3] == width && value[1] == keyHeads && value[2] == keys,
                     "attention: key \(key) and value \(value) do not match query \(query)")
        precondition(keyHeads > 0 && heads % keyHeads == 0, "attention: \(heads) query heads cannot share \(keyHeads) key/value heads evenly")
    }

    /// Query heads per key/value head.
    var groupSize: Int { heads / keyHeads }
    var outputShape: Shape { [batch, heads, queries, valueWidth] }
    func keyHead(_ n: Int, _ h: Int) -> Int { n * keyHeads + h / groupSize }
}

extension Tape {
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func attention(query q: Variable<Scalar>, key k: Variable<Scalar>, value v: Variable<Scalar>, causal: Bool) -> Variable<Scalar> {
        let geometry = AttentionGeometry(query: q.shape, key: k.shape, value: v.shape)
        let (s, t, dh, dv) = (geometry.queries, geometry.keys, geometry.width, geometry.valueWidth)
        precondition(!causal || s <= t, "causal attention needs at least as many keys (\(t)) as queries (\(s))")
        let probabilities = output([geometry.batch, geometry.heads, s, t])
        let result = output(geometry.outputShape)
        let (pq, pk, pv, pp, out) = (pointer(q.index), pointer(k.index), pointer(v.index), probabilities.unsafeBaseAddress, result.unsafeBaseAddress)
        let scale = 1 / Scalar(dh).squareRoot()
        // With fewer queries than keys, the queries are the last S positions of the T.
        let offset = t - s
        for n in 0..<geometry.batch {
            for h in 0..<geometry.heads {
                let head = n * geometry.heads + h
                let kv = geometry.keyHead(n, h)
                let scores = pp + head * s * t
                gemm(transposeA: false, transposeB: true, m: s, n: t, k: dh, pq + head * s * dh, pk + kv * t * dh, scores, accumulate: false)
                for i in 0..<s {
                    let row = scores + i * t
                    let visible = causal ? i + offset + 1 : t
                    for j in 0..<visible { row[j] *= scale }
                    // A masked score of −∞ gets weight exactly 0 from the softmax.
                    for j in visible..<t { row[j] = -Scalar.infinity }
                }
                Kernels.softmax(scores, rows: s, columns: t, scores, logarithm: false)
                gemm(transposeA: false, transposeB: false, m: s, n: dv, k: t, scores, pv + kv * t * dv, out + head * s * dv, accumulate: false)
            }
        }
        let needs = needsGradient[q.index] || needsGradient[k.index] || needsGradient[v.index]
        return record(result, .attention(query: q.index, key: k.index, value: v.index, probabilities: save(probabilities)),
                      needsGradient: needs)
    }

    /// With P = softmax(QKᵀ/√Dh) and O = PV: ∂V = Pᵀ ∂O, ∂P = ∂O Vᵀ, ∂S = P ⊙ (∂P − rowsum(∂P ⊙ P))/√Dh,
    /// ∂Q = ∂S K, ∂K = ∂Sᵀ Q; a key/value head sums over the query heads sharing it. Each
    /// operand's gradient is written in a pass of its own, so one value passed as several
    /// operands (self-attention on a shared tensor) accumulates correctly.
    func backwardAttention(query q: Int, key k: Int, value v: Int, probabilities: Int, output: Int, gradient g: UnsafePointer<Scalar>) {
        let geometry = AttentionGeometry(query: values[q].shape, key: values[k].shape, value: values[v].shape)
        let (s, t, dh, dv) = (geometry.queries, geometry.keys, geometry.width, geometry.valueWidth)
        let (pq, pk, pv, pp) = (pointer(q), pointer(k), pointer(v), auxiliaryPointer(probabilities))
        let heads = geometry.batch * geometry.heads
        /// Runs `body(head, key/value head, accumulate)` with `accumulate` true for every query
        /// head after the first of its group, or when the target already holds a sum.
        func forEachHead(accumulatingInto shared: Bool, _ accumulate: Bool, _ body: (Int, Int, Bool) -> Void) {
            for n in 0..<geometry.batch {
                for h in 0..<geometry.heads {
                    let first = !shared || h % geometry.groupSize == 0
                    body(n * geometry.heads + h, geometry.keyHead(n, h), accumulate || !first)
                }
            }
        }
        if let (dV, accumulate) = gradientTarget(v) {
            forEachHead(accumulatingInto: true, accumulate) { head, kv, add in
                gemm(transposeA: true, transposeB: false, m: t, n: dv, k: s, pp + head * s * t, g + head * s * dv, dV + kv * t * dv, accumulate: add)
            }
        }
        guard needsGradient[q] || needsGradient[k] else { return }
        let scoreGradient = self.output([heads * s * t])
        let ds = scoreGradient.unsafeBaseAddress
        let scale = 1 / Scalar(dh).squareRoot()
        for n in 0..<geometry.batch {
            for h in 0..<geometry.heads {
                let head = n * geometry.heads + h
                let block = ds + head * s * t
                gemm(transposeA: false, transposeB: true, m: s, n: t, k: dv, g + head * s * dv, pv + geometry.keyHead(n, h) * t * dv, block, accumulate: false)
                Kernels.softmaxBackward(output: pp + head * s * t, gradientOutput: block, rows: s, columns: t,
                                        gradientInput: block, logarithm: false, accumulate: false)
                for i in 0..<(s * t) { block[i] *= scale }
            }
        }
        if let (dQ, accumulate) = gradientTarget(q) {
            forEachHead(accumulatingInto: false, accumulate) { head, kv, add in
                gemm(transposeA: false, transposeB: false, m: s, n: dh, k: t, ds + head * s * t, pk + kv * t * dh, dQ + head * s * dh, accumulate: add)
            }
        }
        if let (dK, accumulate) = gradientTarget(k) {
            forEachHead(accumulatingInto: true, accumulate) { head, kv, add in
                gemm(transposeA: true, transposeB: false, m: t, n: dh, k: s, ds + head * s * t, pq + head * s * dh, dK + kv * t * dh, accumulate: add)
            }
        }
    }
}

extension Variable {
    /// Scaled dot-product attention with grouped-query heads (PyTorch's
    /// `scaled_dot_product_attention` with `enable_gqa=True`): softmax(Q Kᵀ/√Dh) V per head.
    ///
    /// `self` holds the queries `[N, H, S, Dh]`, `key` is `[N, KV, T, Dh]` and `value`
    /// `[N, KV, T, Dv]`, in the head-major layout the encoder uses after splitting heads. Each
    /// key/value head serves H/KV consecutive query heads: KV = H is multi-head attention,
    /// KV = 1 multi-query attention. The result is `[N, H, S, Dv]`.
    ///
    /// - Parameter causal: query i attends only to keys j ≤ i (decoder masking); with S < T
    ///   the queries are the last S positions.
    public func attention(key: Variable, value: Variable, causal: Bool) -> Variable {
        tape.attention(query: self, key: key, value: value, causal: causal)
    }
}
