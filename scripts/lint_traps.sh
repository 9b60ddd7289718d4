#!/usr/bin/env bash
# The I/O and parsing modules turn every problem with a file, flag or config into a typed
# error: this fails if their code holds `try!`, `as!`, a force unwrap, `fatalError` or
# `precondition` (issue 17). Comments and string literals are ignored.
set -euo pipefail
cd "$(dirname "$0")/.."
paths=(Sources/NoetherIO Sources/NoetherTraining/Config Sources/NoetherTraining/Runs Sources/NoetherSweeps/Store)
for path in "${paths[@]}"; do
    [ -d "$path" ] || { echo "lint: $path does not exist; update the paths in $0"; exit 1; }
done
pattern='try!|as!|fatalError\(|precondition(Failure)?\(|[A-Za-z0-9_)]!([^=]|$)|\]!([^=]|$)'
found=$(find "${paths[@]}" -name '*.swift' -print0 | xargs -0 awk '
    { line = $0
      gsub(/\\"/, "", line)               # escaped quotes inside strings
      gsub(/"[^"]*"/, "\"\"", line)       # string literals
      sub(/\/\/.*$/, "", line)            # comments
      print FILENAME ":" FNR ": " line }' | grep -E ":[0-9]+: .*($pattern)" || true)
if [ -n "$found" ]; then
    echo "lint: traps in the I/O and parsing modules (return a typed error instead):"
    echo "$found"
    exit 1
fi
echo "lint: no try!, as!, force unwraps, fatalError or precondition in ${paths[*]}"
