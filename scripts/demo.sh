#!/usr/bin/env bash
# Quick start 1: build Noether (release) and run its demonstration.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-dependencies.sh
swift build -c release --product noether
.build/release/noether demo "$@"
