#!/usr/bin/env bash
# Noether against PyTorch on the same CPU work (see benchmarks/side_by_side.py). Builds Noether in
# release mode, then runs the comparison with $TORCH_PYTHON (a Python with torch and numpy).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release >&2
exec "${TORCH_PYTHON:-python3}" benchmarks/side_by_side.py --noether .build/release/noether "$@"
