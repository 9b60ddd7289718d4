import NoetherAutograd
import NoetherTensor

/// Self-attention on `[S, D]` tokens with `heads` query heads sharing `kv_heads` key/value
/// heads (multi-head when equal, grouped-query when fewer, multi-query at 1), bidirectional or
/// causal, with optional rotary positions (RoPE, half-split pairs). Parameters follow
/// PyTorch/Hugging Face: `q_proj` `[H·Dh, D]`, `k_proj` and `v_proj` `[KV·Dh, D]`, `out_proj`
/// `[D, H·Dh]`, each with a bias when `bias` is set; Dh = D / H.
///
/// Symmetry slices: the projections read the input's units and `out_proj` writes new ones;
/// the block's own groups (head permutations, per-head or per-group double rotations, the
/// RoPE-restricted query/key rotation) are stated as an ``AttentionStructure``.
public struct AttentionLayer: LayerSpec {
    public static let kind = "attention"
    public var heads: Int
    public var kvHeads: Int?
    public var causal: Bool
    public var bias: Bool
    public var rope: Bool
    public var ropeBase: Double

    public init(heads: Int, kvHeads: Int? = nil, causal: Bool = false, bias: Bool = true, rope: Bool = false, ropeBase: Double = 10_000) {
        (self.heads, self.kvHeads, self.causal, self.bias, self.rope, self.ropeBase) = (heads, kvHeads, causal, bias, rope, ropeBase)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(heads: try c.decode(Int.self, forKey: .heads), kvHeads: try c.decodeIfPresent(Int.self, forKey: .kvHeads),
                  causal: try c.decodeIfPresent(Bool.self, forKey: .causal) ?? false, bias: try c.decodeIfPresent(Bool.self, forKey: .bias) ?? true,
                  rope: try c.decodeIfPresent(Bool.self, forKey: .rope) ?? false, ropeBase: try c.decodeIfPresent(Double.self, forKey: .ropeBase) ?? 10_000)
    }

    public func build(into graph: inout GraphBuilder) throws(ModelSpecError) {
        let name = graph.name
        guard graph.shape.count == 2 else { throw ModelSpecError("attention '\(name)' needs [tokens, width] per sample, got \(graph.shape)") }
        let width = graph.shape[1]
        let keyHeads = kvHeads ?? heads
        guard heads > 0, keyHeads > 0, width % heads == 0 else {
            throw ModelSpecError("attention '\(name)': width \(width) is not divisible by heads \(heads)")
        }
        guard heads % keyHeads == 0 else {
            throw ModelSpecError("attention '\(name)': \(heads) query heads cannot share \(keyHeads) key/value heads evenly")
        }
        let headWidth = width / heads
        guard !rope || headWidth % 2 == 0 else { throw ModelSpecError("attention '\(name)': RoPE needs an even head width, got \(headWidth)") }
        var positions = AttentionStep.Positions()
        func projection(_ prefix: String, rows: Int, columns: Int) -> (Int, Int?) {
            let weight = graph.parameter("\(prefix).weight", shape: [rows, columns], role: .weight, fanIn: columns)
            return (weight, bias ? graph.parameter("\(prefix).bias", shape: [rows], role: .bias, fanIn: columns) : nil)
        }
        (positions.query, positions.queryBias) = projection("q_proj", rows: heads * headWidth, columns: width)
        (positions.key, positions.keyBias) = projection("k_proj", rows: keyHeads * headWidth, columns: width)
        (positions.value, positions.valueBias) = projection("v_proj", rows: keyHeads * headWidth, columns: width)
        (positions.out, positions.outBias) = projection("out_proj", rows: width, columns: heads * headWidth)
        graph.append(AttentionStep(positions: positions, heads: heads, keyHeads: keyHeads,
                                   causal: causal, rope: rope ? ropeBase : nil))
        for prefix in ["q_proj", "k_proj", "v_proj"] { graph.read("\(prefix).weight", axis: 1) }
        func rows(_ prefix: String) -> [UnitSlice] {
            [UnitSlice(graph.qualified("\(prefix).weight"), axis: 0)] + (bias ? [UnitSlice(graph.qualified("\(prefix).bias"), axis: 0)] : [])
        }
        graph.addAttention(AttentionStructure(label: name, heads: heads, keyValueHeads: keyHeads, headWidth: headWidth, rotary: rope,
                                              query: rows("q_proj"), key: rows("k_proj"), value: rows("v_proj"),
                                              output: UnitSlice(graph.qualified("out_proj.weight"), axis: 1)))
        var writers = [GraphBuilder.Writer("out_proj.weight", axis: 0)]
        if bias { writers.append(GraphBuilder.Writer("out_proj.bias", axis: 0)) }
        graph.writeNewUnits(width, by: writers)
    }
}

struct AttentionStep: CompiledLayer {
    struct Positions: Sendable {
        var query = 0, key = 0, value = 0, out = 0
        var queryBias: Int?, keyBias: Int?, valueBias: Int?, outBias: Int?
    }
    let positions: Positions
    let heads: Int, keyHeads: Int, causal: Bool
    /// The RoPE base, when rotary positions are on.
    let rope: Double?

    init(positions: Positions, heads: Int, keyHeads: Int, causal: Bool, rope: Double?) {
        (self.positions, self.heads, self.keyHeads, self.causal, self.rope) = (positions, heads, keyHeads, causal, rope)
    }

    /// The projections' outputs stay token-major, `[N, S, heads·Dh]`: RoPE and the fused
    /// attention address each head as a column block, so no tensor is permuted to head-major
    /// layout and back.
    func forward<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ pass: inout ForwardPass<Scalar>) -> Variable<Scalar> {
        func project(_ weight: Int, _ bias: Int?) -> Variable<Scalar> {
            x.linear(weight: pass[weight], bias: bias.map { pass[$0] })
        }
        var q = project(positions.query, positions.queryBias)
        var k = project(positions.key, positions.keyBias)
        let v = project(positions.value, positions.valueBias)
        if let base = rope {
            q = q.rotaryEmbedding(base: base, heads: heads)
            k = k.rotaryEmbedding(base: base, heads: keyHeads)
        }
        return q.attention(key: k, value: v, heads: heads, keyHeads: keyHeads, causal: causal)
            .linear(weight: pass[positions.out], bias: positions.outBias.map { pass[$0] })
    }
}
