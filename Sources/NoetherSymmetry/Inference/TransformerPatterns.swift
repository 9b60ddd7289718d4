/// How one transformer family names a block's attention and MLP, relative to the block's root.
struct TransformerPattern: Sendable {
    /// How q, k and v are stored.
    enum Packing: Sendable {
        /// Three `[out, in]` matrices.
        case separate(query: String, key: String, value: String)
        /// One Conv1D `[D, 3D]` (GPT-2 `c_attn`): q, k, v side by side along the columns.
        case conv1D(String)
        /// One `[3D, D]` (timm `qkv`): q, k, v stacked along the rows.
        case stacked(String)
        /// One `[3D, D]` interleaved per head: rows [h][q|k|v][d] (GPT-NeoX `query_key_value`).
        case interleaved(String)
        /// GPT-2 cross-attention: Conv1D `q_attn` `[D, D]` and `c_attn` `[D, 2D]` holding k, v.
        case conv1DCross(query: String, keyValue: String)
    }

    enum MLP: Sendable {
        case plain(up: String, down: String)
        case gated(gate: String, up: String, down: String)
    }

    let family: String
    /// The module whose presence (with `output`) marks a block; its name gives the root.
    let anchor: String
    let packing: Packing
    let output: String
    /// The attention row's name under the root.
    let label: String
    let mlps: [MLP]
    /// Normalisations under the root, with the layer kind they are.
    let norms: [(String, String)]
    /// Layer-scale parameters under the root.
    let scales: [String]
    let rotary: Bool
    /// Whether the weights are stored `[in, out]` (GPT-2's Conv1D).
    let transposed: Bool
    /// Attention normalisation → readers, for `--fold-norms` (RMSNorm families).
    let folds: [(norm: String, readers: [String])]

    init(_ family: String, anchor: String, packing: Packing, output: String, label: String, mlps: [MLP] = [], norms: [(String, String)] = [],
         scales: [String] = [], rotary: Bool = false, transposed: Bool = false, folds: [(norm: String, readers: [String])] = []) {
        (self.family, self.anchor, self.packing, self.output, self.label, self.mlps) = (family, anchor, packing, output, label, mlps)
        (self.norms, self.scales, self.rotary, self.transposed, self.folds) = (norms, scales, rotary, transposed, folds)
    }

    static let layerNorm = "layer_norm", rmsNorm = "rms_norm"

    /// Every family's naming, most specific first.
    static let all: [TransformerPattern] = [
        // BERT, RoBERTa (and ELECTRA, …): encoder.layer.N.attention.self.{query,key,value}.
        TransformerPattern("bert", anchor: "attention.self.query", packing: .separate(query: "attention.self.query", key: "attention.self.key", value: "attention.self.value"),
                           output: "attention.output.dense", label: "attention", mlps: [.plain(up: "intermediate.dense", down: "output.dense")],
                           norms: [("attention.output.LayerNorm", layerNorm), ("output.LayerNorm", layerNorm)]),
        // Hugging Face ViT and DINOv2: encoder.layer.N.attention.attention.{query,key,value}.
        TransformerPattern("vit", anchor: "attention.attention.query",
                           packing: .separate(query: "attention.attention.query", key: "attention.attention.key", value: "attention.attention.value"),
                           output: "attention.output.dense", label: "attention",
                           mlps: [.plain(up: "intermediate.dense", down: "output.dense"), .plain(up: "mlp.fc1", down: "mlp.fc2")],
                           norms: [("layernorm_before", layerNorm), ("layernorm_after", layerNorm), ("norm1", layerNorm), ("norm2", layerNorm)],
                           scales: ["layer_scale1.lambda1", "layer_scale2.lambda1"]),
        // ALBERT: one shared layer, albert_layer_groups.G.albert_layers.L.attention.{query,…,dense}.
        TransformerPattern("albert", anchor: "attention.query", packing: .separate(query: "attention.query", key: "attention.key", value: "attention.value"),
                           output: "attention.dense", label: "attention", mlps: [.plain(up: "ffn", down: "ffn_output")],
                           norms: [("attention.LayerNorm", layerNorm), ("full_layer_layer_norm", layerNorm)]),
        // DistilBERT: transformer.layer.N.attention.{q,k,v,out}_lin.
        TransformerPattern("distilbert", anchor: "attention.q_lin", packing: .separate(query: "attention.q_lin", key: "attention.k_lin", value: "attention.v_lin"),
                           output: "attention.out_lin", label: "attention", mlps: [.plain(up: "ffn.lin1", down: "ffn.lin2")],
                           norms: [("sa_layer_norm", layerNorm), ("output_layer_norm", layerNorm)]),
        // GPT-2: h.N.attn.c_attn Conv1D [D, 3D]; cross-attention is its own pattern below.
        TransformerPattern("gpt2", anchor: "attn.c_attn", packing: .conv1D("attn.c_attn"), output: "attn.c_proj", label: "attn",
                           mlps: [.plain(up: "mlp.c_fc", down: "mlp.c_proj")],
                           norms: [("ln_1", layerNorm), ("ln_2", layerNorm), ("ln_cross_attn", layerNorm)], transposed: true),
        TransformerPattern("gpt2", anchor: "crossattention.q_attn", packing: .conv1DCross(query: "crossattention.q_attn", keyValue: "crossattention.c_attn"),
                           output: "crossattention.c_proj", label: "crossattention", transposed: true),
        // GPT-NeoX / Pythia: layers.N.attention.query_key_value, interleaved per head, partial RoPE.
        TransformerPattern("gpt_neox", anchor: "attention.query_key_value", packing: .interleaved("attention.query_key_value"),
                           output: "attention.dense", label: "attention", mlps: [.plain(up: "mlp.dense_h_to_4h", down: "mlp.dense_4h_to_h")],
                           norms: [("input_layernorm", layerNorm), ("post_attention_layernorm", layerNorm)], rotary: true),
        // Llama, Mistral, Qwen2: layers.N.self_attn.{q,k,v,o}_proj, SwiGLU, RMSNorm, RoPE, GQA.
        TransformerPattern("llama", anchor: "self_attn.q_proj", packing: .separate(query: "self_attn.q_proj", key: "self_attn.k_proj", value: "self_attn.v_proj"),
                           output: "self_attn.o_proj", label: "self_attn", mlps: [.gated(gate: "mlp.gate_proj", up: "mlp.up_proj", down: "mlp.down_proj")],
                           norms: [("input_layernorm", rmsNorm), ("post_attention_layernorm", rmsNorm)], rotary: true,
                           folds: [("input_layernorm", ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"]),
                                   ("post_attention_layernorm", ["mlp.gate_proj", "mlp.up_proj"])]),
        // CLIP text and vision towers: encoder.layers.N.self_attn.{q,k,v,out}_proj.
        TransformerPattern("clip", anchor: "self_attn.q_proj", packing: .separate(query: "self_attn.q_proj", key: "self_attn.k_proj", value: "self_attn.v_proj"),
                           output: "self_attn.out_proj", label: "self_attn", mlps: [.plain(up: "mlp.fc1", down: "mlp.fc2")],
                           norms: [("layer_norm1", layerNorm), ("layer_norm2", layerNorm)]),
        // Noether's own transformer blocks.
        TransformerPattern("noether", anchor: "attn.q_proj", packing: .separate(query: "attn.q_proj", key: "attn.k_proj", value: "attn.v_proj"),
                           output: "attn.out_proj", label: "attention", mlps: [.plain(up: "mlp.fc1", down: "mlp.fc2")],
                           norms: [("norm1", layerNorm), ("norm2", layerNorm)]),
        // timm ViT and the original DINOv2: blocks.N.attn.qkv [3D, D], layer scale ls1/ls2.
        TransformerPattern("timm-vit", anchor: "attn.qkv", packing: .stacked("attn.qkv"), output: "attn.proj", label: "attention",
                           mlps: [.plain(up: "mlp.fc1", down: "mlp.fc2")], norms: [("norm1", layerNorm), ("norm2", layerNorm)],
                           scales: ["ls1.gamma", "ls2.gamma", "ls1.scale_factor", "ls2.scale_factor"]),
        // T5 encoder and decoder: block.N.layer.K.{SelfAttention,EncDecAttention}.{q,k,v,o}; the
        // feed-forward sublayer is a separate pattern (it has no attention).
        TransformerPattern("t5", anchor: "SelfAttention.q", packing: .separate(query: "SelfAttention.q", key: "SelfAttention.k", value: "SelfAttention.v"),
                           output: "SelfAttention.o", label: "SelfAttention", norms: [("layer_norm", rmsNorm)]),
        TransformerPattern("t5", anchor: "EncDecAttention.q", packing: .separate(query: "EncDecAttention.q", key: "EncDecAttention.k", value: "EncDecAttention.v"),
                           output: "EncDecAttention.o", label: "EncDecAttention", norms: [("layer_norm", rmsNorm)]),
    ]

    /// Feed-forward sublayers without attention under the same root (T5's `DenseReluDense`).
    static let feedForwards: [(family: String, anchor: String, mlps: [MLP], norms: [(String, String)])] = [
        ("t5", "DenseReluDense.wo", [.gated(gate: "DenseReluDense.wi_0", up: "DenseReluDense.wi_1", down: "DenseReluDense.wo"),
                                     .plain(up: "DenseReluDense.wi", down: "DenseReluDense.wo")], [("layer_norm", rmsNorm)]),
    ]
}
