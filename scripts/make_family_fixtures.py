"""Writes small synthetic checkpoints of every family `noether analyze` recognises, with the
real tensor names, shapes and orientations of each, and planted structure: per-head ranks of
W_Q^h W_K^g^T and W_V^g W_O^h (grouped-query heads included), dead and duplicate units of MLPs
and gated MLPs, dead and duplicate channels of conv blocks. Each fixture directory holds
model.safetensors, config.json and planted.json (the values the analysis must recover).

Needs numpy only (the safetensors file is written by the format's rules). Seeded: the same
command writes the same bytes. Run from the repository root:

    python3 scripts/make_family_fixtures.py Tests/Fixtures/families
"""
import json
import os
import struct
import sys

import numpy as np

RNG = np.random.default_rng(14)


def gaussian(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def save(path, tensors):
    """A safetensors file: 8-byte header length, JSON header, raw little-endian data."""
    header, chunks, offset = {}, [], 0
    codes = {np.float32: "F32", np.int64: "I64", np.bool_: "BOOL"}
    for name, array in tensors.items():
        array = np.ascontiguousarray(array)
        data = array.tobytes()
        header[name] = {"dtype": codes[array.dtype.type], "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


class Fixture:
    def __init__(self, name, family, config, heads=None, kv_heads=None):
        self.name, self.tensors, self.config = name, {}, config
        self.planted = {"family": family, "heads": heads, "kv_heads": kv_heads, "attention": {}, "units": {}, "no_units": [], "ranks": {}}

    def add(self, name, array):
        self.tensors[name] = array

    def write(self, root):
        directory = os.path.join(root, self.name)
        os.makedirs(directory, exist_ok=True)
        save(os.path.join(directory, "model.safetensors"), self.tensors)
        with open(os.path.join(directory, "config.json"), "w") as f:
            json.dump(self.config, f, indent=1, sort_keys=True)
        with open(os.path.join(directory, "planted.json"), "w") as f:
            json.dump(self.planted, f, indent=1, sort_keys=True)


def attention_weights(d, heads, kv_heads, head_width, layer, rotary=None):
    """q [H·Dh, D], k and v [KV·Dh, D], o [D, H·Dh] in PyTorch's [out, in], with head h's
    W_Q W_K^T rank planted by zeroing query rows and its W_V W_O rank by zeroing its output
    columns. Returns the matrices and the planted ranks (and RoPE pair ranks)."""
    q, k, v, o = gaussian(heads * head_width, d), gaussian(kv_heads * head_width, d), gaussian(kv_heads * head_width, d), gaussian(d, heads * head_width)
    qk, vo, rope = [], [], []
    for h in range(heads):
        r_qk = 1 + (h + layer) % head_width
        r_vo = 1 + (h + 2 * layer + 1) % head_width
        q[h * head_width + r_qk:(h + 1) * head_width] = 0
        o[:, h * head_width + r_vo:(h + 1) * head_width] = 0
        qk.append(r_qk)
        vo.append(r_vo)
        if rotary:
            half = rotary // 2
            rope.append([sum(1 for i in (j, j + half) if i < r_qk) for j in range(half)])
    return q, k, v, o, {"qk": qk, "vo": vo, **({"rope": rope} if rotary else {})}


def mlp_weights(d, hidden):
    """up [hidden, D] with bias, down [D, hidden]: units 0 and 1 dead, unit 3 a copy of unit 2."""
    up, bias, down = gaussian(hidden, d), gaussian(hidden), gaussian(d, hidden)
    up[:2], bias[:2], down[:, :2] = 0, 0, 0
    up[3], bias[3], down[:, 3] = up[2], bias[2], down[:, 2]
    return up, bias, down, {"dead": 2, "distinct": hidden - 3}


def add_mlp(f, root, up_name, down_name, d, hidden=24):
    """A plain MLP with planted dead and duplicate units: up [hidden, D] and down [D, hidden], with biases."""
    up, b, down, units = mlp_weights(d, hidden)
    f.add(f"{root}.{up_name}.weight", up)
    f.add(f"{root}.{up_name}.bias", b)
    f.add(f"{root}.{down_name}.weight", down)
    f.add(f"{root}.{down_name}.bias", gaussian(d))
    f.planted["units"][f"{root}.{up_name}"] = units
    f.planted["no_units"].append(f"{root}.{down_name}")


def gated_weights(d, hidden):
    """gate, up [hidden, D], down [D, hidden]: unit 0's up row and unit 1's gate row zero (dead);
    unit 3 = unit 2 under the gated rescaling (up × -2.5, down ÷ -2.5)."""
    gate, up, down = gaussian(hidden, d), gaussian(hidden, d), gaussian(d, hidden)
    up[0], gate[1] = 0, 0
    gate[3], up[3], down[:, 3] = gate[2], -2.5 * up[2], down[:, 2] / -2.5
    return gate, up, down, {"dead": 2, "distinct": hidden - 3}


def norm(f, prefix, d, bias=True, gain=None):
    f.add(f"{prefix}.weight", gain if gain is not None else (1 + 0.1 * gaussian(d)))
    if bias:
        f.add(f"{prefix}.bias", 0.1 * gaussian(d))


def encoder(name, family, prefix, q_names, o_name, up_down, norms, config_extra=None, d=16, heads=4, ffn=24, layers=2, biases=True):
    f = Fixture(name, family, {"num_attention_heads": heads, "hidden_size": d, **(config_extra or {})}, heads=heads)
    for l in range(layers):
        root = f"{prefix}.{l}"
        q, k, v, o, planted = attention_weights(d, heads, heads, d // heads, l)
        for n, w in zip(q_names, (q, k, v)):
            f.add(f"{root}.{n}.weight", w)
            if biases:
                f.add(f"{root}.{n}.bias", gaussian(d))
        f.add(f"{root}.{o_name}.weight", o)
        if biases:
            f.add(f"{root}.{o_name}.bias", gaussian(d))
        up, b, down, units = mlp_weights(d, ffn)
        f.add(f"{root}.{up_down[0]}.weight", up)
        f.add(f"{root}.{up_down[0]}.bias", b)
        f.add(f"{root}.{up_down[1]}.weight", down)
        f.add(f"{root}.{up_down[1]}.bias", gaussian(d))
        for n in norms:
            norm(f, f"{root}.{n}", d)
        f.planted["units"][f"{root}.{up_down[0]}"] = units
        f.planted["no_units"] += [f"{root}.{up_down[1]}", f"{root}.{o_name}"]
        yield f, root, planted


def bert(name="bert", top="bert"):
    f = None
    for f, root, planted in encoder(name, "roberta" if top == "roberta" else "bert", f"{top}.encoder.layer",
                                    ["attention.self.query", "attention.self.key", "attention.self.value"], "attention.output.dense",
                                    ["intermediate.dense", "output.dense"], ["attention.output.LayerNorm", "output.LayerNorm"]):
        f.planted["attention"][f"{root}.attention"] = planted
    f.add(f"{top}.embeddings.word_embeddings.weight", gaussian(30, 16))
    f.add(f"{top}.embeddings.position_embeddings.weight", gaussian(12, 16))
    f.add(f"{top}.embeddings.token_type_embeddings.weight", gaussian(2, 16))
    norm(f, f"{top}.embeddings.LayerNorm", 16)
    f.add(f"{top}.embeddings.position_ids", np.arange(12, dtype=np.int64).reshape(1, 12))
    f.add(f"{top}.pooler.dense.weight", gaussian(16, 16))
    f.add(f"{top}.pooler.dense.bias", gaussian(16))
    return f


def distilbert():
    f = None
    for f, root, planted in encoder("distilbert", "distilbert", "distilbert.transformer.layer",
                                    ["attention.q_lin", "attention.k_lin", "attention.v_lin"], "attention.out_lin",
                                    ["ffn.lin1", "ffn.lin2"], ["sa_layer_norm", "output_layer_norm"]):
        f.planted["attention"][f"{root}.attention"] = planted
    f.add("distilbert.embeddings.word_embeddings.weight", gaussian(30, 16))
    f.add("distilbert.embeddings.position_embeddings.weight", gaussian(12, 16))
    norm(f, "distilbert.embeddings.LayerNorm", 16)
    f.add("vocab_transform.weight", gaussian(16, 16))
    f.add("vocab_transform.bias", gaussian(16))
    norm(f, "vocab_layer_norm", 16)
    f.add("vocab_projector.bias", gaussian(30))
    return f


def albert():
    f = None
    for f, root, planted in encoder("albert", "albert", "albert.encoder.albert_layer_groups.0.albert_layers",
                                    ["attention.query", "attention.key", "attention.value"], "attention.dense",
                                    ["ffn", "ffn_output"], ["attention.LayerNorm", "full_layer_layer_norm"], layers=1,
                                    config_extra={"num_hidden_layers": 6, "embedding_size": 8}):
        f.planted["attention"][f"{root}.attention"] = planted
    f.add("albert.embeddings.word_embeddings.weight", gaussian(30, 8))
    f.add("albert.embeddings.position_embeddings.weight", gaussian(12, 8))
    norm(f, "albert.embeddings.LayerNorm", 8)
    f.add("albert.encoder.embedding_hidden_mapping_in.weight", gaussian(16, 8))
    f.add("albert.encoder.embedding_hidden_mapping_in.bias", gaussian(16))
    f.add("albert.pooler.weight", gaussian(16, 16))
    f.add("albert.pooler.bias", gaussian(16))
    return f


def vit_hf(name="vit", dinov2=False):
    f = None
    mlp = ["mlp.fc1", "mlp.fc2"] if dinov2 else ["intermediate.dense", "output.dense"]
    norms = ["norm1", "norm2"] if dinov2 else ["layernorm_before", "layernorm_after"]
    top = "" if dinov2 else "vit."
    for f, root, planted in encoder(name, "dinov2" if dinov2 else "vit", f"{top}encoder.layer",
                                    ["attention.attention.query", "attention.attention.key", "attention.attention.value"],
                                    "attention.output.dense", mlp, norms, config_extra={"model_type": "dinov2" if dinov2 else "vit"}):
        f.planted["attention"][f"{root}.attention"] = planted
        if dinov2:
            f.add(f"{root}.layer_scale1.lambda1", gaussian(16))
            f.add(f"{root}.layer_scale2.lambda1", gaussian(16))
    f.add(f"{top}embeddings.cls_token", gaussian(1, 1, 16))
    if dinov2:
        f.add("embeddings.mask_token", gaussian(1, 16))
    f.add(f"{top}embeddings.position_embeddings", gaussian(1, 5, 16))
    f.add(f"{top}embeddings.patch_embeddings.projection.weight", gaussian(16, 3, 2, 2))
    f.add(f"{top}embeddings.patch_embeddings.projection.bias", gaussian(16))
    norm(f, f"{top}layernorm", 16)
    if not dinov2:
        f.add("classifier.weight", gaussian(10, 16))
        f.add("classifier.bias", gaussian(10))
    f.planted["ranks"][f"{top}embeddings.patch_embeddings.projection"] = 12
    return f


def timm_vit():
    d, heads = 16, 4
    f = Fixture("timm_vit", "timm-vit", {"num_heads": heads}, heads=heads)
    for l in range(2):
        root = f"blocks.{l}"
        q, k, v, o, planted = attention_weights(d, heads, heads, d // heads, l)
        f.add(f"{root}.attn.qkv.weight", np.concatenate([q, k, v]))
        f.add(f"{root}.attn.qkv.bias", gaussian(3 * d))
        f.add(f"{root}.attn.proj.weight", o)
        f.add(f"{root}.attn.proj.bias", gaussian(d))
        add_mlp(f, root, "mlp.fc1", "mlp.fc2", d)
        norm(f, f"{root}.norm1", d)
        norm(f, f"{root}.norm2", d)
        f.add(f"{root}.ls1.gamma", gaussian(d))
        f.add(f"{root}.ls2.gamma", gaussian(d))
        f.planted["attention"][f"{root}.attention"] = planted
        f.planted["no_units"].append(f"{root}.attn.proj")
    f.add("cls_token", gaussian(1, 1, d))
    f.add("pos_embed", gaussian(1, 5, d))
    f.add("patch_embed.proj.weight", gaussian(d, 3, 2, 2))
    f.add("patch_embed.proj.bias", gaussian(d))
    norm(f, "norm", d)
    f.add("head.weight", gaussian(10, d))
    f.add("head.bias", gaussian(10))
    return f


def gpt2():
    d, heads = 16, 4
    f = Fixture("gpt2", "gpt2", {"n_head": heads, "n_embd": d, "add_cross_attention": True, "model_type": "gpt2"}, heads=heads)
    for l in range(2):
        root = f"transformer.h.{l}"
        q, k, v, o, planted = attention_weights(d, heads, heads, d // heads, l)
        # Conv1D stores [in, out]: x @ W.
        f.add(f"{root}.attn.c_attn.weight", np.concatenate([q, k, v]).T.copy())
        f.add(f"{root}.attn.c_attn.bias", gaussian(3 * d))
        f.add(f"{root}.attn.c_proj.weight", o.T.copy())
        f.add(f"{root}.attn.c_proj.bias", gaussian(d))
        f.add(f"{root}.attn.bias", np.tril(np.ones((8, 8), dtype=np.float32)).reshape(1, 1, 8, 8))
        f.planted["attention"][f"{root}.attn"] = planted
        q, k, v, o, planted = attention_weights(d, heads, heads, d // heads, l + 1)
        f.add(f"{root}.crossattention.q_attn.weight", q.T.copy())
        f.add(f"{root}.crossattention.q_attn.bias", gaussian(d))
        f.add(f"{root}.crossattention.c_attn.weight", np.concatenate([k, v]).T.copy())
        f.add(f"{root}.crossattention.c_attn.bias", gaussian(2 * d))
        f.add(f"{root}.crossattention.c_proj.weight", o.T.copy())
        f.add(f"{root}.crossattention.c_proj.bias", gaussian(d))
        f.planted["attention"][f"{root}.crossattention"] = planted
        up, b, down, units = mlp_weights(d, 24)
        f.add(f"{root}.mlp.c_fc.weight", up.T.copy())
        f.add(f"{root}.mlp.c_fc.bias", b)
        f.add(f"{root}.mlp.c_proj.weight", down.T.copy())
        f.add(f"{root}.mlp.c_proj.bias", gaussian(d))
        for n in ["ln_1", "ln_2", "ln_cross_attn"]:
            norm(f, f"{root}.{n}", d)
        f.planted["units"][f"{root}.mlp.c_fc"] = units
        f.planted["no_units"] += [f"{root}.mlp.c_proj", f"{root}.attn.c_proj"]
    f.add("transformer.wte.weight", gaussian(30, d))
    f.add("transformer.wpe.weight", gaussian(12, d))
    norm(f, "transformer.ln_f", d)
    return f


def gpt_neox():
    d, heads, width = 16, 4, 4
    f = Fixture("gpt_neox", "gpt_neox", {"num_attention_heads": heads, "hidden_size": d, "rotary_pct": 0.5, "model_type": "gpt_neox"}, heads=heads)
    for l in range(2):
        root = f"gpt_neox.layers.{l}"
        q, k, v, o, planted = attention_weights(d, heads, heads, width, l, rotary=2)
        # Interleaved per head: rows [h][q|k|v][d].
        packed = np.concatenate([np.concatenate([q[h * width:(h + 1) * width], k[h * width:(h + 1) * width], v[h * width:(h + 1) * width]]) for h in range(heads)])
        f.add(f"{root}.attention.query_key_value.weight", packed)
        f.add(f"{root}.attention.query_key_value.bias", gaussian(3 * d))
        f.add(f"{root}.attention.dense.weight", o)
        f.add(f"{root}.attention.dense.bias", gaussian(d))
        f.add(f"{root}.attention.rotary_emb.inv_freq", np.array([1.0], dtype=np.float32))
        f.add(f"{root}.attention.bias", np.tril(np.ones((8, 8), dtype=np.bool_)).reshape(1, 1, 8, 8))
        add_mlp(f, root, "mlp.dense_h_to_4h", "mlp.dense_4h_to_h", d)
        norm(f, f"{root}.input_layernorm", d)
        norm(f, f"{root}.post_attention_layernorm", d)
        f.planted["attention"][f"{root}.attention"] = planted
    f.add("gpt_neox.embed_in.weight", gaussian(30, d))
    norm(f, "gpt_neox.final_layer_norm", d)
    f.add("embed_out.weight", gaussian(30, d))
    return f


def llama(name, model_type, kv_heads, biases=False):
    d, heads, width = 16, 4, 4
    f = Fixture(name, model_type, {"num_attention_heads": heads, "num_key_value_heads": kv_heads, "hidden_size": d, "model_type": model_type},
                heads=heads, kv_heads=kv_heads)
    for l in range(2):
        root = f"model.layers.{l}"
        q, k, v, o, planted = attention_weights(d, heads, kv_heads, width, l, rotary=width)
        for n, w in zip(["q_proj", "k_proj", "v_proj"], (q, k, v)):
            f.add(f"{root}.self_attn.{n}.weight", w)
            if biases:
                f.add(f"{root}.self_attn.{n}.bias", gaussian(w.shape[0]))
        f.add(f"{root}.self_attn.o_proj.weight", o)
        gate, up, down, units = gated_weights(d, 24)
        f.add(f"{root}.mlp.gate_proj.weight", gate)
        f.add(f"{root}.mlp.up_proj.weight", up)
        f.add(f"{root}.mlp.down_proj.weight", down)
        norm(f, f"{root}.input_layernorm", d, bias=False)
        # Layer 1's second norm has four zero gains: folding it removes four input directions.
        gain = 1 + 0.1 * gaussian(d)
        if l == 1:
            gain[:4] = 0
        norm(f, f"{root}.post_attention_layernorm", d, bias=False, gain=gain)
        f.planted["attention"][f"{root}.self_attn"] = planted
        f.planted["units"][f"{root}.mlp"] = units
        f.planted["no_units"] += [f"{root}.mlp.down_proj", f"{root}.self_attn.o_proj"]
    f.planted["ranks"]["model.layers.1.mlp.gate_proj"] = 16
    f.planted["folded_ranks"] = {"model.layers.1.mlp.gate_proj": 12}
    f.add("model.embed_tokens.weight", gaussian(30, d))
    norm(f, "model.norm", d, bias=False)
    f.add("lm_head.weight", gaussian(30, d))
    return f


def t5():
    d, heads, d_kv = 16, 4, 3
    f = Fixture("t5", "t5", {"num_heads": heads, "d_model": d, "d_kv": d_kv, "model_type": "t5"}, heads=heads)

    def attention(root, layer):
        q, k, v, o, planted = attention_weights(d, heads, heads, d_kv, layer)
        for n, w in zip("qkvo", (q, k, v, o)):
            f.add(f"{root}.{n}.weight", w)
        return planted

    for stack, sublayers in [("encoder", ["SelfAttention"]), ("decoder", ["SelfAttention", "EncDecAttention"])]:
        for l in range(2):
            root = f"{stack}.block.{l}.layer"
            for i, kind in enumerate(sublayers):
                f.planted["attention"][f"{root}.{i}.{kind}"] = attention(f"{root}.{i}.{kind}", l + i)
                norm(f, f"{root}.{i}.layer_norm", d, bias=False)
                if l == 0 and kind == "SelfAttention":
                    f.add(f"{root}.{i}.{kind}.relative_attention_bias.weight", gaussian(32, heads))
            ff = f"{root}.{len(sublayers)}"
            up, _, down, units = mlp_weights(d, 24)
            f.add(f"{ff}.DenseReluDense.wi.weight", up)
            f.add(f"{ff}.DenseReluDense.wo.weight", down)
            norm(f, f"{ff}.layer_norm", d, bias=False)
            # No bias: a unit is its up row and down column, so the planted copy and dead units hold.
            f.planted["units"][f"{ff}.DenseReluDense.wi"] = units
            f.planted["no_units"].append(f"{ff}.DenseReluDense.wo")
        norm(f, f"{stack}.final_layer_norm", d, bias=False)
    f.add("shared.weight", gaussian(30, d))
    f.add("lm_head.weight", gaussian(30, d))
    return f


def clip():
    f = Fixture("clip", "clip", {"model_type": "clip", "text_config": {"num_attention_heads": 4, "hidden_size": 16},
                                 "vision_config": {"num_attention_heads": 2, "hidden_size": 12}}, heads=4)
    for tower, d, heads in [("text_model", 16, 4), ("vision_model", 12, 2)]:
        for l in range(2):
            root = f"{tower}.encoder.layers.{l}"
            q, k, v, o, planted = attention_weights(d, heads, heads, d // heads, l)
            for n, w in zip(["q_proj", "k_proj", "v_proj", "out_proj"], (q, k, v, o)):
                f.add(f"{root}.self_attn.{n}.weight", w)
                f.add(f"{root}.self_attn.{n}.bias", gaussian(w.shape[0]))
            add_mlp(f, root, "mlp.fc1", "mlp.fc2", d)
            norm(f, f"{root}.layer_norm1", d)
            norm(f, f"{root}.layer_norm2", d)
            f.planted["attention"][f"{root}.self_attn"] = planted
            f.planted["no_units"].append(f"{root}.self_attn.out_proj")
    f.add("text_model.embeddings.token_embedding.weight", gaussian(30, 16))
    f.add("text_model.embeddings.position_embedding.weight", gaussian(8, 16))
    f.add("text_model.embeddings.position_ids", np.arange(8, dtype=np.int64).reshape(1, 8))
    norm(f, "text_model.final_layer_norm", 16)
    f.add("vision_model.embeddings.class_embedding", gaussian(12))
    f.add("vision_model.embeddings.patch_embedding.weight", gaussian(12, 3, 2, 2))
    f.add("vision_model.embeddings.position_embedding.weight", gaussian(5, 12))
    norm(f, "vision_model.pre_layrnorm", 12)
    norm(f, "vision_model.post_layernorm", 12)
    f.add("visual_projection.weight", gaussian(8, 12))
    f.add("text_projection.weight", gaussian(8, 16))
    f.add("logit_scale", np.array(2.6592, dtype=np.float32))
    return f


def batch_norm(f, prefix, c, zero=(), copy=None):
    w, b = 1 + 0.1 * gaussian(c), 0.1 * gaussian(c)
    for i in zero:
        w[i], b[i] = 0, 0
    if copy:
        w[copy[1]], b[copy[1]] = w[copy[0]], b[copy[0]]
    f.add(f"{prefix}.weight", w)
    f.add(f"{prefix}.bias", b)
    f.add(f"{prefix}.running_mean", 0.1 * gaussian(c))
    f.add(f"{prefix}.running_var", 1 + 0.1 * np.abs(gaussian(c)))
    f.add(f"{prefix}.num_batches_tracked", np.array(100, dtype=np.int64))


def plant_channels(writer, reader, dead=0, source=1, target=2):
    """Channel `dead` zero in the writer's rows and the reader's columns; channel `target` a copy of `source`."""
    writer[dead], reader[:, dead] = 0, 0
    writer[target], reader[:, target] = writer[source], reader[:, source]


def resnet():
    f = Fixture("resnet", "resnet", {"model_type": "resnet"})
    f.add("conv1.weight", gaussian(8, 3, 3, 3))
    batch_norm(f, "bn1", 8)
    for layer, (cin, c) in enumerate([(8, 8), (8, 16)], start=1):
        root = f"layer{layer}.0"
        conv1, conv2 = gaussian(c, cin, 3, 3), gaussian(c, c, 3, 3)
        plant_channels(conv1, conv2)
        f.add(f"{root}.conv1.weight", conv1)
        batch_norm(f, f"{root}.bn1", c, zero=[0], copy=(1, 2))
        f.add(f"{root}.conv2.weight", conv2)
        batch_norm(f, f"{root}.bn2", c)
        if cin != c:
            f.add(f"{root}.downsample.0.weight", gaussian(c, cin, 1, 1))
            batch_norm(f, f"{root}.downsample.1", c)
            f.planted["no_units"].append(f"{root}.downsample.0")
        f.planted["units"][f"{root}.conv1"] = {"dead": 1, "distinct": c - 2}
        f.planted["no_units"].append(f"{root}.conv2")
    f.add("fc.weight", gaussian(10, 16))
    f.add("fc.bias", gaussian(10))
    f.planted["no_units"] += ["conv1", "fc"]
    return f


def mobilenet(v3=False):
    f = Fixture("mobilenet_v3" if v3 else "mobilenet_v2", "mobilenet", {"model_type": "mobilenet_v3" if v3 else "mobilenet_v2"})
    f.add("features.0.0.weight", gaussian(8, 3, 3, 3))
    batch_norm(f, "features.0.1", 8)
    f.add("features.1.conv.0.0.weight", gaussian(8, 1, 3, 3))
    batch_norm(f, "features.1.conv.0.1", 8)
    f.add("features.1.conv.1.weight", gaussian(8, 8, 1, 1))
    batch_norm(f, "features.1.conv.2", 8)
    f.planted["no_units"] += ["features.0.0", "features.1.conv.0.0", "features.1.conv.1"]
    expand, depthwise, project = gaussian(24, 8, 1, 1), gaussian(24, 1, 3, 3), gaussian(8, 24, 1, 1)
    expand[0], depthwise[0], project[:, 0] = 0, 0, 0
    expand[2], depthwise[2], project[:, 2] = expand[1], depthwise[1], project[:, 1]
    if v3:
        root = "features.2.block"
        reduce, reduce_bias, restore, restore_bias = gaussian(6, 24, 1, 1), gaussian(6), gaussian(24, 6, 1, 1), gaussian(24)
        reduce[:, 0], restore[0], restore_bias[0] = 0, 0, 0
        reduce[:, 2], restore[2], restore_bias[2] = reduce[:, 1], restore[1], restore_bias[1]
        # The squeeze-excitation's own unit 0 is dead.
        reduce[0], reduce_bias[0], restore[:, 0] = 0, 0, 0
        f.add(f"{root}.0.0.weight", expand)
        batch_norm(f, f"{root}.0.1", 24, zero=[0], copy=(1, 2))
        f.add(f"{root}.1.0.weight", depthwise)
        batch_norm(f, f"{root}.1.1", 24, zero=[0], copy=(1, 2))
        f.add(f"{root}.2.fc1.weight", reduce)
        f.add(f"{root}.2.fc1.bias", reduce_bias)
        f.add(f"{root}.2.fc2.weight", restore)
        f.add(f"{root}.2.fc2.bias", restore_bias)
        f.add(f"{root}.3.0.weight", project)
        batch_norm(f, f"{root}.3.1", 8)
        f.planted["units"][f"{root}.0.0"] = {"dead": 1, "distinct": 22}
        f.planted["units"][f"{root}.2.fc1"] = {"dead": 1, "distinct": 5}
        f.planted["no_units"] += [f"{root}.3.0"]
        f.add("classifier.0.weight", gaussian(12, 8))
        f.add("classifier.0.bias", gaussian(12))
        f.add("classifier.3.weight", gaussian(10, 12))
        f.add("classifier.3.bias", gaussian(10))
        f.planted["units"]["classifier.0"] = {"dead": 0, "distinct": 12}
    else:
        root = "features.2.conv"
        f.add(f"{root}.0.0.weight", expand)
        batch_norm(f, f"{root}.0.1", 24, zero=[0], copy=(1, 2))
        f.add(f"{root}.1.0.weight", depthwise)
        batch_norm(f, f"{root}.1.1", 24, zero=[0], copy=(1, 2))
        f.add(f"{root}.2.weight", project)
        batch_norm(f, f"{root}.3", 8)
        f.planted["units"][f"{root}.0.0"] = {"dead": 1, "distinct": 22}
        f.planted["no_units"] += [f"{root}.2"]
        f.add("classifier.1.weight", gaussian(10, 8))
        f.add("classifier.1.bias", gaussian(10))
    return f


def sequential_mlp():
    f = Fixture("sequential_mlp", "mlp", {})
    w0, b0, w2 = gaussian(24, 8), gaussian(24), gaussian(24, 24)
    w0[0], b0[0], w2[:, 0] = 0, 0, 0
    w0[2], b0[2], w2[:, 2] = w0[1], b0[1], w2[:, 1]
    f.add("0.weight", w0)
    f.add("0.bias", b0)
    f.add("2.weight", w2)
    f.add("2.bias", gaussian(24))
    f.add("4.weight", gaussian(3, 24))
    f.add("4.bias", gaussian(3))
    f.planted["units"]["0"] = {"dead": 1, "distinct": 22}
    f.planted["units"]["2"] = {"dead": 0, "distinct": 24}
    f.planted["no_units"].append("4")
    return f


def main(root):
    fixtures = [bert(), bert("roberta", "roberta"), albert(), distilbert(), gpt2(), gpt_neox(),
                llama("llama", "llama", 2), llama("mistral", "mistral", 1), llama("qwen2", "qwen2", 2, biases=True),
                t5(), vit_hf(), vit_hf("dinov2", dinov2=True), timm_vit(), clip(), resnet(), mobilenet(), mobilenet(v3=True),
                sequential_mlp()]
    for f in fixtures:
        f.write(root)
    print(f"{len(fixtures)} fixtures in {root}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "Tests/Fixtures/families")
