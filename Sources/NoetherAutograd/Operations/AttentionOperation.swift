import NoetherTensor

/// The extents and memory layout of a (grouped-query) attention with H query heads and KV
/// key/value heads; query head h reads key/value head h / (H / KV).
///
/// Two layouts: head-major, queries `[N, H, S, Dh]`, keys `[N, KV, T, Dh]`, values
/// `[N, KV, T, Dv]`; and token-major, queries `[N, S, H·Dh]`, keys `[N, T, KV·Dh]`, values
/// `[N, T, KV·Dv]` — a projection's output as it comes, each head a column block. The kernels
/// address a head's rows through an offset and a row stride, so neither layout is permuted.
struct AttentionGeometry {
    let batch: Int, heads: Int, keyHeads: Int, queries: Int, keys: Int, width: Int, valueWidth: Int
    let tokenMajor: Bool

    /// Head-major operands.
    init(query: Shape, key: Shape, value: Shape) {
        precondition(query.rank == 4 && key.rank == 4 && value.rank == 4,
                     "attention needs query [N, H, S, Dh], key [N, KV, T, Dh], value [N, KV, T, Dv]; got \(query), \(key), \(value)")
        (batch, heads, queries, width) = (query[0], query[1], query[2], query[3])
        (keyHeads, keys, valueWidth) = (key[1], key[2], value[3])
        tokenMajor = false
        precondition(key[0] == batch && value[0] == batch && key[3] == width && value[1] == keyHeads && value[2] == keys,
                     "attention: key \(key) and value \(value) do not match query \(query)")
        precondition(keyHeads > 0 && heads % keyHeads == 0, "attention: \(heads) query heads cannot share \(keyHeads) key/value heads evenly")
    }

    /// Token-major operands with `heads` query and `keyHeads` key/value heads.
    init(query: Shape, key: Shape, value: Shape, heads: Int, keyHeads: Int) {
        precondition(query.rank == 3 && key.rank == 3 && value.rank == 3,
                     "attention needs query [N, S, H·Dh], key [N, T, KV·Dh], value [N, T, KV·Dv]; got \(query), \(key), \(value)")
        precondition(heads > 0 && keyHeads > 0 && heads % keyHeads == 0, "attention: \(heads) query heads cannot share \(keyHeads) key/value heads evenly")
        precondition(query[2] % heads == 0 && value[2] % keyHeads == 0, "attention: widths \(query[2]) and \(value[2]) do not split into \(heads) and \(keyHeads) heads")
        (batch, queries, keys, tokenMajor) = (query[0], query[1], key[1], true)
        (self.heads, self.keyHeads, width, valueWidth) = (heads, keyHeads, query[2] / heads, value[2] / keyHeads)
        precondition(key[0] == batch && value[0] == batch && key[2] == keyHeads * width && value[1] == keys,
                     "attention: key \(key) and value \(value) do not match query \(query) with \(heads) and \(keyHeads) heads")
    }

    /// Query heads per key/value head.
    var groupSize: Int { heads / keyHeads }
    var outputShape: Shape { tokenMajor ? [batch, queries, heads * valueWidth] : [batch, heads, queries, valueWidth] }
    /// The key/value head `n·KV + h/group` read by query head `n·H + h`.
    func keyHead(of head: Int) -> Int { head / heads * keyHeads + head % heads / groupSize }
    /// The first query head `n·H + g·group` reading key/value head `n·KV + g`.
    func firstQueryHead(of keyHead: Int) -> Int { keyHead / keyHeads * heads + keyHead % keyHeads * groupSize }

    /// Where head `head` (of `count` per sample, `rows` rows of `columns` each) starts.
    private func offset(_ head: Int, count: Int, rows: Int, columns: Int) -> Int {
        tokenMajor ? head / count * rows * count * columns + head % count * columns : head * rows * columns
    }
    func queryOffset(_ head: Int) -> Int { offset(head, count: heads, rows: queries, columns: width) }
    func keyOffset(_ keyHead: Int) -> Int { offset(keyHead, count: keyHeads, rows: keys, columns: width) }
    func valueOffset(_ keyHead: Int) -> Int { offset(keyHead, count: keyHeads, rows: keys, columns: valueWidth) }
    func outputOffset(_ head: Int) -> Int { offset(head, count: heads, rows: queries, columns: valueWidth) }
    var queryStride: Int { tokenMajor ? heads * width : width }
    var keyStride: Int { tokenMajor ? keyHeads * width : width }
    var valueStride: Int { tokenMajor ? keyHeads * valueWidth : valueWidth }
    var outputStride: Int { tokenMajor ? heads * valueWidth : valueWidth }
    /// 1/√Dh, computed in Float64 as PyTorch does.
    func scale<Scalar: TensorScalar>() -> Scalar { Scalar(1 / Double(width).squareRoot()) }
    /// Multiply-adds of one pass over all heads, to decide whether to split it over the cores.
    var work: Int { batch * heads * queries * keys * (width + valueWidth) }
}

extension Tape {
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func attention(query q: Variable<Scalar>, key k: Variable<Scalar>, value v: Variable<Scalar>, _ geometry: AttentionGeometry, causal: Bool) -> Variable<Scalar> {
        let (s, t, dh, dv) = (geometry.queries, geometry.keys, geometry.width, geometry.valueWidth)
        precondition(!causal || s <= t, "causal attention needs at least as many keys (\(t)) as queries (\(s))")
        let count = geometry.batch * geometry.heads
        let probabilities = output([geometry.batch, geometry.heads, s, t])
        let result = output(geometry.outputShape)
        noteProducts(count, m: s, n: t, k: dh, transposeA: false, transposeB: true)
        noteProducts(count, m: s, n: dv, k: t, transposeA: false, transposeB: false)
        // Each head writes its own block of the probabilities and its own columns of the output.
        nonisolated(unsafe) let (pq, pk, pv, pp, out) = (pointer(q.index), pointer(k.index), pointer(v.index), probabilities.unsafeBaseAddress, result.unsafeBaseAddress)
        let scale: Scalar = geometry.scale()
        // With fewer queries than keys, the queries are the last S positions of the T.
        let offset = t - s
        Parallel.forEachRange(count, work: geometry.work) { range in
            for head in range {
                let kv = geometry.keyHead(of: head)
                let scores = pp + head * s * t
                Kernels.gemm(transposeA: false, transposeB: true, m: s, n: t, k: dh, pq + geometry.queryOffset(head), lda: geometry.queryStride,
                             pk + geometry.keyOffset(kv), ldb: geometry.keyStride, scores, ldc: t, accumulate: false, onThisThread: true)
                // Scale, mask and softmax fused per row, on this thread (the heads are already split).
                for i in 0..<s {
                    Kernels.maskedSoftmaxRow(scores + i * t, visible: causal ? i + offset + 1 : t, columns: t, scale: scale)
                }
                Kernels.gemm(transposeA: false, transposeB: false, m: s, n: dv, k: t, scores, lda: t, pv + geometry.valueOffset(kv), ldb: geometry.valueStride,
                             out + geometry.outputOffset(head), ldc: geometry.outputStride, accumulate: false, onThisThread: true)
            }
        }
        let needs = needsGradient[q.index] || needsGradient[k.index] || needsGradient[v.index]
        return record(result, .attention(query: q.index, key: k.index, value: v.index, probabilities: save(probabilities)),
                      needsGradient: needs)
    }

    /// With P = softmax(QKᵀ/√Dh) and O = PV: ∂V = Pᵀ ∂O, ∂P = ∂O Vᵀ, ∂S = P ⊙ (∂P − rowsum(∂P ⊙ P))/√Dh,
    /// ∂Q = ∂S K, ∂K = ∂Sᵀ Q; a key/value head sums over the query heads sharing it, in their
    /// order, on one thread, so the sum does not depend on the thread count. Each operand's
    /// gradient is written in a pass of its own, so one value passed as several operands
    /// (self-attention on a shared tensor) accumulates correctly.
    ///
    /// P is kept from the forward pass rather than recomputed from saved row statistics: at
    /// the sequence lengths trained here (T ≤ a few hundred) an `[S, T]` block per head is
    /// cheaper to keep than the QKᵀ product it would take to rebuild it.
    func backwardAttention(query q: Int, key k: Int, value v: Int, probabilities: Int, output: Int, gradient g: UnsafePointer<Scalar>) {
        let probabilityShape = auxiliary[probabilities].shape
        let geometry = values[q].shape.rank == 3
            ? AttentionGeometry(query: values[q].shape, key: values[k].shape, value: values[v].shape,
                                heads: probabilityShape[1], keyHeads: values[k].shape[2] / max(values[q].shape[2] / max(probabilityShape[1], 1), 1))
            : AttentionGeometry(query: values[q].shape, key: values[k].shape, value: values[v].shape)
        let (s, t, dh, dv) = (geometry.queries, geometry.keys, geometry.width, geometry.valueWidth)
        nonisolated(unsafe) let (pq, pk, pv, pp, g) = (pointer(q), pointer(k), pointer(v), auxiliaryPointer(probabilities), g)
        let count = geometry.batch * geometry.heads
        let groups = geometry.batch * geometry.keyHeads
        let group = geometry.groupSize
        /// `target_kv (+)= Σ_h op(left_h)ᵀ · right_h` over the query heads h of each key/value
        /// head: `left` is a `[S, T]` block per head, `right` the head's rows of a token tensor.
        /// The groups are split over the cores; within one, the heads are added in order.
        func sumOverGroups(_ left: UnsafePointer<Scalar>, _ right: UnsafePointer<Scalar>, columns: Int, rightOffset: (Int) -> Int, rightStride: Int,
                           into target: (pointer: UnsafeMutablePointer<Scalar>, accumulate: Bool), targetOffset: (Int) -> Int, targetStride: Int) {
            noteProducts(count, m: t, n: columns, k: s, transposeA: true, transposeB: false)
            nonisolated(unsafe) let (left, right, out) = (left, right, target.pointer)
            Parallel.forEachRange(groups, work: geometry.work / 2) { range in
                for kv in range {
                    for member in 0..<group {
                        let head = geometry.firstQueryHead(of: kv) + member
                        Kernels.gemm(transposeA: true, transposeB: false, m: t, n: columns, k: s, left + head * s * t, lda: t, right + rightOffset(head),
                                     ldb: rightStride, out + targetOffset(kv), ldc: targetStride, accumulate: target.accumulate || member > 0, onThisThread: true)
                    }
                }
            }
        }
        if let dV = gradientTarget(v) {
            sumOverGroups(pp, g, columns: dv, rightOffset: geometry.outputOffset, rightStride: geometry.outputStride,
                          into: dV, targetOffset: geometry.valueOffset, targetStride: geometry.valueStride)
        }
        guard needsGradient[q] || needsGradient[k] else { return }
        nonisolated(unsafe) let ds = self.output([count * s * t]).unsafeBaseAddress
        let scale: Scalar = geometry.scale()
        let queryTarget = gradientTarget(q)
        nonisolated(unsafe) let dQ = queryTarget?.pointer
        let accumulateQuery = queryTarget?.accumulate ?? false
        noteProducts(count, m: s, n: t, k: dv, transposeA: false, transposeB: true)
        if dQ != nil { noteProducts(count, m: s, n: dh, k: t, transposeA: false, transposeB: false) }
        Parallel.forEachRange(count, work: geometry.work) { range in
            for head in range {
                let kv = geometry.keyHead(of: head)
                let block = ds + head * s * t
                Kernels.gemm(transposeA: false, transposeB: true, m: s, n: t, k: dv, g + geometry.outputOffset(head), lda: geometry.outputStride,
                             pv + geometry.valueOffset(kv), ldb: geometry.valueStride, block, ldc: t, accumulate: false, onThisThread: true)
                // Row by row, so the softmax's derivative stays on this thread (the heads are already split).
                for i in 0..<s {
                    Kernels.scaledSoftmaxBackwardRow(probabilities: pp + (head * s + i) * t, block + i * t, columns: t, scale: scale)
                }
                if let dQ {
                    Kernels.gemm(transposeA: false, transposeB: false, m: s, n: dh, k: t, block, lda: t, pk + geometry.keyOffset(kv), ldb: geometry.keyStride,
                                 dQ + geometry.queryOffset(head), ldc: geometry.queryStride, accumulate: accumulateQuery, onThisThread: true)
                }
            }
        }
        if let dK = gradientTarget(k) {
            sumOverGroups(ds, pq, columns: dh, rightOffset: geometry.queryOffset, rightStride: geometry.queryStride,
                          into: dK, targetOffset: geometry.keyOffset, targetStride: geometry.keyStride)
        }
    }
}

extension Variable {
    /// Scaled dot-product attention with grouped-query heads (PyTorch's
    /// `scaled_dot_product_attention` with `enable_gqa=True`): softmax(Q Kᵀ/√Dh) V per head.
    ///
    /// `self` holds the queries `[N, H, S, Dh]`, `key` is `[N, KV, T, Dh]` and `value`
    /// `[N, KV, T, Dv]`, in head-major layout. Each key/value head serves H/KV consecutive
    /// query heads: KV = H is multi-head attention, KV = 1 multi-query attention. The result is
    /// `[N, H, S, Dv]`.
    ///
    /// - Parameter causal: query i attends only to keys j ≤ i (decoder masking); with S < T
    ///   the queries are the last S positions.
    public func attention(key: Variable, value: Variable, causal: Bool) -> Variable {
        tape.attention(query: self, key: key, value: value, AttentionGeometry(query: shape, key: key.shape, value: value.shape), causal: causal)
    }

    /// The same attention on token-major operands, as projections produce them: queries
    /// `[N, S, H·Dh]`, keys `[N, T, KV·Dh]`, values `[N, T, KV·Dv]`, result `[N, S, H·Dv]`
    /// (heads side by side, ready for the output projection). No operand is permuted or copied:
    /// the query heads of a group read their key/value head in place.
    public func attention(key: Variable, value: Variable, heads: Int, keyHeads: Int, causal: Bool) -> Variable {
        tape.attention(query: self, key: key, value: value,
                       AttentionGeometry(query: shape, key: key.shape, value: value.shape, heads: heads, keyHeads: keyHeads), causal: causal)
    }
}
