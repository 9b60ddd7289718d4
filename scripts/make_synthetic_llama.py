#!/usr/bin/env python3
"""Writes a synthetic Llama-layout checkpoint in bf16, for benchmarking `noether analyze` at scale.

Llama's tensor names and shapes (model.layers.{i}.self_attn.{q,k,v,o}_proj, mlp.{gate,up,down}_proj,
input_layernorm, post_attention_layernorm, embed_tokens, norm, lm_head), Gaussian weights of
standard deviation 0.02, sharded into model-0000k-of-0000n.safetensors with an index and a
config.json. The defaults are the 1B layout of issue 14 (22 layers, hidden 2048, 32 query heads,
4 KV heads, intermediate 5632, vocabulary 32000): 1.1 B parameters, 2.2 GB. Seeded; numpy only.
Write it outside the repository:

    python3 scripts/make_synthetic_llama.py --out /work/llama-1b
"""
import argparse
import json
import os
import struct

import numpy as np


def bf16(array):
    """Float32 → bfloat16 bits (round to nearest even), as uint16."""
    bits = array.astype(np.float32).view(np.uint32)
    rounded = bits + 0x7FFF + ((bits >> 16) & 1)
    return (rounded >> 16).astype(np.uint16)


def write_shard(path, tensors):
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, data in tensors:
        header[name] = {"dtype": "BF16", "shape": list(data.shape), "data_offsets": [offset, offset + data.nbytes]}
        offset += data.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for _, data in tensors:
            f.write(data.tobytes())


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--layers", type=int, default=22)
    p.add_argument("--hidden", type=int, default=2048)
    p.add_argument("--heads", type=int, default=32)
    p.add_argument("--kv-heads", type=int, default=4)
    p.add_argument("--intermediate", type=int, default=5632)
    p.add_argument("--vocabulary", type=int, default=32000)
    p.add_argument("--shard-bytes", type=int, default=1 << 30)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    head = a.hidden // a.heads
    shapes = [("model.embed_tokens.weight", (a.vocabulary, a.hidden))]
    for i in range(a.layers):
        prefix = f"model.layers.{i}"
        shapes += [
            (f"{prefix}.input_layernorm.weight", (a.hidden,)),
            (f"{prefix}.self_attn.q_proj.weight", (a.heads * head, a.hidden)),
            (f"{prefix}.self_attn.k_proj.weight", (a.kv_heads * head, a.hidden)),
            (f"{prefix}.self_attn.v_proj.weight", (a.kv_heads * head, a.hidden)),
            (f"{prefix}.self_attn.o_proj.weight", (a.hidden, a.heads * head)),
            (f"{prefix}.post_attention_layernorm.weight", (a.hidden,)),
            (f"{prefix}.mlp.gate_proj.weight", (a.intermediate, a.hidden)),
            (f"{prefix}.mlp.up_proj.weight", (a.intermediate, a.hidden)),
            (f"{prefix}.mlp.down_proj.weight", (a.hidden, a.intermediate)),
        ]
    shapes += [("model.norm.weight", (a.hidden,)), ("lm_head.weight", (a.vocabulary, a.hidden))]
    os.makedirs(a.out, exist_ok=True)
    shards, current, size = [], [], 0
    for name, shape in shapes:
        n = int(np.prod(shape)) * 2
        if current and size + n > a.shard_bytes:
            shards.append(current)
            current, size = [], 0
        current.append((name, shape))
        size += n
    shards.append(current)
    weight_map, total = {}, 0
    for k, shard in enumerate(shards):
        file = f"model-{k + 1:05d}-of-{len(shards):05d}.safetensors"
        tensors = []
        for name, shape in shard:
            values = np.ones(shape, np.float32) if name.endswith("norm.weight") else rng.standard_normal(shape, np.float32) * 0.02
            tensors.append((name, bf16(values)))
            weight_map[name] = file
            total += values.size
        write_shard(os.path.join(a.out, file), tensors)
    with open(os.path.join(a.out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total * 2}, "weight_map": weight_map}, f, indent=1)
    config = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": a.hidden, "num_hidden_layers": a.layers,
              "num_attention_heads": a.heads, "num_key_value_heads": a.kv_heads, "intermediate_size": a.intermediate,
              "vocab_size": a.vocabulary, "rope_theta": 10000.0, "rms_norm_eps": 1e-5, "torch_dtype": "bfloat16"}
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    print(f"{total / 1e9:.2f} B parameters in {len(shards)} shards in {a.out}")


if __name__ == "__main__":
    main()
