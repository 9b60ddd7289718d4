#!/usr/bin/env python3
"""Trains a small MLP in PyTorch and saves a checkpoint series for `noether track`.

The task is a student–teacher regression whose teacher has a decaying spectrum, so the
student's first layer gains rank in steps as training goes on. Every --every steps the weights
are written as step-N.safetensors (PyTorch's own names: 0.weight, 0.bias, 2.weight, …) and the
training loss goes to losses.csv. Seeded: the same command writes the same files.

    python scripts/torch_checkpoint_series.py --out /tmp/torch-run
    noether track /tmp/torch-run --losses /tmp/torch-run/losses.csv --out runs/torch-run-timeline
"""
import argparse
import json
import os
import struct

import torch


def save_safetensors(tensors, path, metadata):
    """A minimal safetensors writer (header length, JSON header, raw little-endian data)."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, tensor in tensors.items():
        data = tensor.detach().to(torch.float32).contiguous().cpu().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    os.replace(path + ".tmp", path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--every", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    dimension, width, samples = 20, 64, 1000
    # Teacher y = A x with singular values 10, 3, 1, 0.3: directions are learned one by one.
    u, _ = torch.linalg.qr(torch.randn(dimension, dimension))
    v, _ = torch.linalg.qr(torch.randn(dimension, dimension))
    spectrum = torch.tensor([10.0, 3.0, 1.0, 0.3])
    teacher = (u[:, :4] * spectrum) @ v[:, :4].T
    x = torch.randn(samples, dimension)
    y = x @ teacher.T
    model = torch.nn.Sequential(torch.nn.Linear(dimension, width), torch.nn.ReLU(), torch.nn.Linear(width, dimension))
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(1e-2)  # a small initialisation: the saddle-to-saddle regime
    optimizer = torch.optim.SGD(model.parameters(), lr=0.02, weight_decay=1e-3)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "losses.csv"), "w") as log:
        log.write("step,loss\n")
        for step in range(args.steps + 1):
            if step % args.every == 0:
                save_safetensors(model.state_dict(), os.path.join(args.out, f"step-{step}.safetensors"), {"step": str(step)})
            if step == args.steps:
                break
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
            if step % 10 == 0:
                log.write(f"{step},{loss.item():.8g}\n")
    print(f"{args.steps // args.every + 1} checkpoints in {args.out}")


if __name__ == "__main__":
    main()
