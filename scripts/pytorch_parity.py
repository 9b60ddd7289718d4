"""Loads a Noether run's exported weights into PyTorch and checks that both give the same
outputs on the same inputs (needs torch, numpy and safetensors; not part of CI).

    python scripts/pytorch_parity.py RUN_DIR [--noether .build/release/noether] [--samples 64]

Works for every preset (mlp, deep_linear, cnn, transformer, resnet with its BatchNorm running
statistics in eval mode, vit, gpt with token-id inputs). The PyTorch modules (scripts/noether_torch.py) follow Noether's parameter names and orientation
(the README's "Exchanging weights with PyTorch"), so `load_state_dict(..., strict=True)` takes
the file as is.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from noether_torch import build  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("run")
    parser.add_argument("--noether", default=".build/release/noether")
    parser.add_argument("--samples", type=int, default=64)
    args = parser.parse_args()
    config = json.load(open(os.path.join(args.run, "config.json")))
    model = build(config["model"]).double()
    state = {k: v.double() for k, v in load_file(os.path.join(args.run, "weights.safetensors")).items()}
    model.load_state_dict(state, strict=True)
    model.eval()
    spec = config["model"]
    rng = np.random.default_rng(0)
    if spec["kind"] == "gpt":
        # Token ids, written as integers: `noether predict` reads them as such.
        inputs = rng.integers(0, spec["vocabulary"], (args.samples, spec["sequence_length"])).astype(np.int64)
    else:
        inputs = rng.standard_normal((args.samples, input_count(spec))).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        np.save(os.path.join(tmp, "x.npy"), inputs)
        subprocess.run([args.noether, "predict", args.run, "--inputs", os.path.join(tmp, "x.npy"),
                        "--out", os.path.join(tmp, "y.npy")], check=True)
        noether = np.load(os.path.join(tmp, "y.npy")).astype(np.float64)
    with torch.no_grad():
        reference = model(torch.from_numpy(inputs.astype(np.float64))).numpy()
    noether = noether.reshape(reference.shape)
    scale = max(np.abs(reference).max(), 1e-12)
    error = np.abs(noether - reference).max() / scale
    print(f"{config['model']['kind']}: max |noether − torch| / max |torch| = {error:.3e} over {args.samples} samples")
    sys.exit(0 if error < 1e-5 else 1)


def input_count(spec):
    kind = spec["kind"]
    if kind in ("mlp", "deep_linear"):
        return spec["input"]
    if kind in ("cnn", "resnet", "vit"):
        return int(np.prod(spec["input_shape"]))
    return spec["sequence_length"] * spec["token_dimension"]


if __name__ == "__main__":
    main()
