#!/usr/bin/env bash
# `noether analyze` at scale against numpy and WeightWatcher (see benchmarks/analyze_scale.py).
# Builds Noether in release mode, then runs the comparison with $PYTHON (numpy, safetensors,
# torch, weightwatcher), niced: the machine may be shared.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="${NOETHER_SCRATCH:-.build}"
swift build -c release --scratch-path "$scratch" --product noether >&2
exec nice -n 10 "${PYTHON:-python3}" benchmarks/analyze_scale.py --noether "$scratch/release/noether" "$@"
