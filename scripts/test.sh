#!/usr/bin/env bash
# Quick start 2: run every test (swift test), installing what the tests need first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-dependencies.sh
swift test "$@"
