#!/usr/bin/env bash
# Writes the verdict table of docs/experiments.md from the summaries of a full `noether reproduce`
# run: everything between the verdicts markers is replaced by `noether report DIR --markdown`.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:?usage: scripts/update_experiment_docs.sh REPRODUCE_DIR [NOETHER_BINARY]}"
noether="${2:-.build/release/noether}"
table="$("$noether" report "$dir" --markdown)"
python3 - "$table" <<'PY'
import sys
path = "docs/experiments.md"
text = open(path, encoding="utf-8").read()
begin, end = "<!-- verdicts:begin -->", "<!-- verdicts:end -->"
a, b = text.index(begin) + len(begin), text.index(end)
open(path, "w", encoding="utf-8").write(text[:a] + "\n" + sys.argv[1].rstrip() + "\n" + text[b:])
PY
