"""Checks `noether analyze` on a real checkpoint against an independent numpy computation.

For every row: the union of the rows' `tensors` is every tensor of the file; each analysed
matrix's ranks (τ = 1e-2, 1e-3, 1e-4), spectral and Frobenius norms, effective and stable rank
match numpy's SVD in float64; each attention head's rank of W_Q^h W_K^gᵀ and W_V^g W_O^h
matches numpy's rank of the D × D products, and under RoPE each frequency pair's rank; dead and
distinct units of MLP and conv hidden layers match a numpy re-count from the neuron vectors, and
those of gated MLPs (SwiGLU) a re-count modulo the gated rescaling. Needs numpy and safetensors:

    /work/torch-venv/bin/python scripts/compare_analyze_numpy.py MODEL [--noether .build/release/noether]

MODEL is what `noether analyze` takes (a .safetensors file or a model directory).
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
from safetensors.numpy import load_file


def singular_values(m):
    return np.linalg.svd(m, compute_uv=False)


def rank(s, tau=1e-3, scale=None):
    top = s[0] if scale is None else scale
    return int((s > tau * top).sum()) if top > 0 else 0


def matrix(t):
    shape = list(t.shape)
    while len(shape) > 2 and shape[0] == 1:
        shape.pop(0)
    return t.reshape(shape[0], -1).astype(np.float64)


def close(a, b, tolerance=1e-8):
    return abs(a - b) <= tolerance * max(abs(a), abs(b), 1e-300)


def neuron_counts(units, dead_relative=1e-3, tolerance=1e-2):
    norms = np.linalg.norm(units, axis=1)
    median = np.median(norms)
    alive = np.flatnonzero(norms >= (dead_relative * median if median > 0 else 1e-6))
    normalised = units[alive] / norms[alive, None]
    cosine = normalised @ normalised.T
    parent = list(range(len(alive)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(alive)):
        for j in range(i + 1, len(alive)):
            if cosine[i, j] > 1 - tolerance * tolerance / 2:
                parent[root(i)] = root(j)
    return len(units) - len(alive), len({root(i) for i in range(len(alive))})


def gated_counts(gate, up, down, dead_relative=1e-3):
    """Dead and distinct units of y = W_down(σ(W_gate x) ⊙ W_up x): a unit is dead when its gate row
    or its √(‖up‖·‖down‖) is below dead_relative × the median; the alive units are compared after
    the rescaling (up × c, down ÷ c) is fixed to ‖up‖ = ‖down‖ and the sign by up's largest entry."""
    d = down.T
    gate_norms = np.linalg.norm(gate, axis=1)
    strengths = np.sqrt(np.linalg.norm(up, axis=1) * np.linalg.norm(d, axis=1))
    alive = (gate_norms >= dead_relative * np.median(gate_norms)) & (strengths >= dead_relative * np.median(strengths)) & (strengths > 0)
    g, u, d = gate[alive], up[alive], d[alive]
    nu, nd = np.linalg.norm(u, axis=1), np.linalg.norm(d, axis=1)
    sign = np.where(u[np.arange(len(u)), np.abs(u).argmax(axis=1)] < 0, -1.0, 1.0)
    canonical = np.concatenate([g, u * (sign * np.sqrt(nd / nu))[:, None], d * (sign * np.sqrt(nu / nd))[:, None]], axis=1)
    return int((~alive).sum()), neuron_counts(canonical, dead_relative=0)[1]


def form_singular_values(a, b):
    """Singular values of aᵀ b (a, b: r × D with r ≤ D) from the r × r product of QR factors."""
    ra, rb = np.linalg.qr(a.T, mode="r"), np.linalg.qr(b.T, mode="r")
    return singular_values(ra @ rb.T)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--noether", default=".build/release/noether")
    parser.add_argument("--heads", type=int)
    args = parser.parse_args()
    command = [args.noether, "analyze", args.model, "--format", "json"] + (["--heads", str(args.heads)] if args.heads else [])
    report = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    path = args.model if args.model.endswith(".safetensors") else os.path.join(args.model, "model.safetensors")
    tensors = load_file(path)
    rows = report["layers"]
    failures = []
    covered = set(n for r in rows for n in r["tensors"])
    if covered != set(tensors):
        failures.append(f"rows cover {len(covered)} tensors, the file has {len(tensors)}: missing {sorted(set(tensors) - covered)[:5]}")
    matrices = heads = units = 0
    for index, row in enumerate(rows):
        if row["status"] != "ok":
            continue
        if "rank" in row:
            matrices += 1
            s = singular_values(matrix(tensors[row["tensors"][0]]))
            p = s / s.sum()
            expected = {"rank": rank(s), "spectral_norm": s[0], "frobenius_norm": np.sqrt((s * s).sum()),
                        "stable_rank": (s * s).sum() / s[0] ** 2, "effective_rank": float(np.exp(-(p[p > 0] * np.log(p[p > 0])).sum()))}
            for tau in ["0.01", "0.0001"]:
                if row["ranks"][tau] != rank(s, float(tau)):
                    failures.append(f"{row['name']}: rank at {tau} {row['ranks'][tau]} != {rank(s, float(tau))}")
            for key, value in expected.items():
                if not (row[key] == value if key == "rank" else close(row[key], value, 1e-6)):
                    failures.append(f"{row['name']}: {key} {row[key]} != numpy {value}")
        if "dead" in row and row["kind"] in ("dense", "conv2d"):
            units += 1
            names = row["tensors"]
            weight = tensors[names[0]].astype(np.float64)
            transposed = names[0].endswith("c_fc.weight")
            w = weight.T if transposed else weight
            parts = [w.reshape(w.shape[0], -1)] + [tensors[n].astype(np.float64)[:, None] for n in names[1:]]
            # The batch norm after a conv, then the reader: the next row that reads as many inputs.
            for bn in (f"{row['name']}_BN", f"{row['name']}_bn"):
                if f"{bn}.weight" in tensors:
                    parts += [tensors[f"{bn}.weight"][:, None], tensors[f"{bn}.bias"][:, None]]
            reader = next(r for r in rows[index + 1:] if r.get("role") == "mlp.down" or (row.get("role") is None and r["kind"] == row["kind"]))
            r = tensors[reader["tensors"][0]].astype(np.float64)
            r = r if transposed else np.swapaxes(r, 0, 1)
            parts.append(r.reshape(r.shape[0], -1))
            dead, distinct = neuron_counts(np.concatenate(parts, axis=1))
            if (row["dead"], row["distinct"]) != (dead, distinct):
                failures.append(f"{row['name']}: dead/distinct {row['dead']}/{row['distinct']} != numpy {dead}/{distinct}")
        if row["kind"] == "gated_mlp" and "dead" in row:
            units += 1
            gate, up, down = (tensors[n].astype(np.float64) for n in row["tensors"])
            dead, distinct = gated_counts(gate, up, down)
            if (row["dead"], row["distinct"]) != (dead, distinct):
                failures.append(f"{row['name']}: gated dead/distinct {row['dead']}/{row['distinct']} != numpy {dead}/{distinct}")
        if row["kind"] == "attention" and row.get("heads"):
            width, groups = row["head_width"], row["kv_heads"]
            names = row["tensors"]
            weights = [tensors[n].astype(np.float64) for n in names if n.endswith(".weight")]
            if len(weights) == 2:  # GPT-2 Conv1D: c_attn [D, 3D], c_proj [D, D], both [in, out]
                packed, o = weights[0].T, weights[1].T
                d = packed.shape[0] // 3
                q, k, v = packed[:d], packed[d:2 * d], packed[2 * d:]
            else:
                q, k, v, o = weights
            per_group = len(row["heads"]) // groups
            for head in row["heads"]:
                heads += 1
                h, g = head["head"], head["head"] // per_group
                qk = q[h * width:(h + 1) * width].T @ k[g * width:(g + 1) * width]
                vo = o[:, h * width:(h + 1) * width] @ v[g * width:(g + 1) * width]
                qk_values = singular_values(qk)
                expected = (rank(qk_values), rank(singular_values(vo)))
                if (head["qk_rank"], head["vo_rank"]) != expected:
                    failures.append(f"{row['name']} head {h}: ranks {(head['qk_rank'], head['vo_rank'])} != numpy {expected}")
                if "rope_pair_ranks" in head:
                    qh, kg = q[h * width:(h + 1) * width], k[g * width:(g + 1) * width]
                    limit, half = 1e-3 * qk_values[0], row["rotary_dimensions"] // 2
                    pairs = [int((form_singular_values(qh[[j, j + half]], kg[[j, j + half]]) > limit).sum()) for j in range(half)]
                    if head["rope_pair_ranks"] != pairs:
                        failures.append(f"{row['name']} head {h}: RoPE pair ranks differ from numpy's {pairs}")
    summary = (f"{report['model']['family']}: {len(rows)} rows over {len(tensors)} tensors, {matrices} matrices, {heads} heads, "
               f"{units} unit layers compared with numpy: {len(failures)} mismatches")
    print(summary)
    for failure in failures[:20]:
        print("  " + failure)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
