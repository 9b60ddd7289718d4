"""`noether analyze` on a multi-GB sharded bf16 checkpoint, side by side with numpy and WeightWatcher.

    python3 scripts/make_synthetic_llama.py --out /work/llama-1b          # 1.1 B parameters, 2.2 GB, seeded
    PYTHON=/work/torch-venv/bin/python benchmarks/analyze-scale.sh /work/llama-1b [--subset-layers 2] [--jobs 1]

(the wrapper builds Noether in release mode and runs this file with $PYTHON, which needs numpy,
safetensors, torch and weightwatcher). In one run it measures, each as its own process under
/usr/bin/time -v (wall time and peak resident set):

1. `noether analyze CHECKPOINT --format json` on the whole checkpoint: every matrix's spectrum,
   every attention head, every gated-MLP unit (the acceptance: peak RSS ≤ 1.5 GB);
2. the same on the first --subset-layers transformer blocks (`--layers`);
3. numpy's values-only SVD (`np.linalg.svd(W, compute_uv=False)`, float32 as stored, float64 for
   the comparison) of the same subset's matrices, loaded one at a time;
4. WeightWatcher's default `analyze()` on the same subset's matrices: a PyTorch state dict of
   those tensors as stored (bf16), read from the same files with safetensors — WeightWatcher's
   own directory reader cannot filter (its issue #312), and a whole 1B model would take it ~26 min here.

Then it checks that Noether's singular values equal numpy's on a sample of matrices: for
matrices whose whole spectrum Noether reports (`noether analyze --spectra`), the relative
difference of every σ_k to numpy's float64 σ_k, scaled by σ_max. Not a test: CI does not run it;
docs/benchmarks.md records its output.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(command, env=None):
    """Runs a command under /usr/bin/time -v: (stdout, wall seconds, peak RSS in MB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        start = time.perf_counter()
        result = subprocess.run(["/usr/bin/time", "-v", "-o", report.name] + command, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - start
        if result.returncode != 0:
            sys.exit(f"error: {' '.join(command)} failed:\n{result.stderr[-3000:]}")
        text = report.read()
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024
    return result.stdout, wall, rss


def matrices(checkpoint, names):
    """The named tensors, one at a time, as float32 numpy arrays (bf16 widened exactly)."""
    from safetensors import safe_open
    index = json.load(open(os.path.join(checkpoint, "model.safetensors.index.json")))["weight_map"]
    for name in names:
        with safe_open(os.path.join(checkpoint, index[name]), framework="pt") as f:
            yield name, f.get_tensor(name).float().numpy()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoint")
    p.add_argument("--noether", required=True)
    p.add_argument("--subset-layers", type=int, default=2, help="transformer blocks for the numpy and WeightWatcher comparison")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--sample", type=int, default=6, help="matrices whose singular values are compared with numpy's")
    p.add_argument("--skip-full", action="store_true", help="skip the whole-checkpoint Noether run")
    a = p.parse_args()
    index = json.load(open(os.path.join(a.checkpoint, "model.safetensors.index.json")))["weight_map"]
    prefix = re.compile(r"^model\.layers\.(\d+)\.")
    subset = [n for n in index if (m := prefix.match(n)) and int(m.group(1)) < a.subset_layers and n.endswith("proj.weight")]
    subset.sort(key=lambda n: (int(prefix.match(n).group(1)), n))
    pattern = r"^model\.layers\.(" + "|".join(str(i) for i in range(a.subset_layers)) + r")\."
    results = {}
    noether = [a.noether, "analyze", a.checkpoint, "--format", "json", "--jobs", str(a.jobs)]

    if not a.skip_full:
        out, wall, rss = timed(noether)
        report = json.loads(out)
        results["noether, whole checkpoint"] = (wall, rss, f"{report['summary']['analysed']} rows, {report['summary']['heads_analysed']} heads")
        print(f"noether whole: {wall:.1f} s, {rss:.0f} MB", flush=True)

    out, wall, rss = timed(noether + ["--layers", pattern, "--spectra"])
    report = json.loads(out)
    results[f"noether, first {a.subset_layers} blocks"] = (wall, rss, f"{report['summary']['analysed']} rows, {report['summary']['heads_analysed']} heads")
    print(f"noether subset: {wall:.1f} s, {rss:.0f} MB", flush=True)

    code = ("import sys, json, numpy as np\nsys.path.insert(0, %r)\nfrom analyze_scale import matrices\n"
            "for name, w in matrices(%r, %r): np.linalg.svd(w, compute_uv=False)\n") % (HERE, a.checkpoint, subset)
    _, wall, rss = timed([sys.executable, "-c", code])
    results[f"numpy svd(compute_uv=False), float32, first {a.subset_layers} blocks"] = (wall, rss, f"{len(subset)} matrices")
    print(f"numpy subset: {wall:.1f} s, {rss:.0f} MB", flush=True)

    code = ("import sys, json, logging\nlogging.disable(logging.WARNING)\nfrom safetensors import safe_open\nimport weightwatcher as ww\n"
            "index = json.load(open(%r + '/model.safetensors.index.json'))['weight_map']\nstate = {}\n"
            "for name in %r:\n    with safe_open(%r + '/' + index[name], framework='pt') as f: state[name] = f.get_tensor(name)\n"
            "details = ww.WeightWatcher().analyze(model=state)\nprint(len(details))\n") % (a.checkpoint, subset, a.checkpoint)
    out, wall, rss = timed([sys.executable, "-c", code])
    results[f"WeightWatcher {__import__('weightwatcher').__version__} analyze(), first {a.subset_layers} blocks"] = (wall, rss, f"{out.strip().splitlines()[-1]} layers")
    print(f"weightwatcher subset: {wall:.1f} s, {rss:.0f} MB", flush=True)

    # Singular values: Noether's (from the subset run) against numpy's float64 SVD.
    spectra = {row["name"]: row["singular_values"] for row in report["layers"] if row.get("singular_values")}
    sample = [n for n in subset if n.removesuffix(".weight") in spectra][:: max(1, len(subset) // a.sample)][: a.sample]
    worst = 0.0
    for name, w in matrices(a.checkpoint, sample):
        reference = np.linalg.svd(w.astype(np.float64), compute_uv=False)
        ours = np.array(spectra[name.removesuffix(".weight")])
        difference = np.max(np.abs(ours - reference)) / reference[0]
        worst = max(worst, difference)
        print(f"  {name}: {len(ours)} singular values, max |σ_noether − σ_numpy| / σ_max = {difference:.2e}")

    print(f"\n{os.cpu_count()} cores; checkpoint {a.checkpoint} ({sum(os.path.getsize(os.path.join(a.checkpoint, f)) for f in os.listdir(a.checkpoint)) / 1e9:.2f} GB)")
    print("| run | wall time (s) | peak RSS (MB) | work |\n| --- | ---: | ---: | --- |")
    for name, (wall, rss, work) in results.items():
        print(f"| {name} | {wall:.1f} | {rss:.0f} | {work} |")
    noether_subset = results[f"noether, first {a.subset_layers} blocks"][0]
    ww_time = [v[0] for k, v in results.items() if k.startswith("WeightWatcher")][0]
    print(f"\nWeightWatcher / noether on the same blocks: {ww_time / noether_subset:.1f}×; "
          f"singular values on {len(sample)} sampled matrices: max relative difference {worst:.1e}")


if __name__ == "__main__":
    main()
