#!/usr/bin/env bash
# Builds the fuzz targets (Fuzz/, one per parser) with libFuzzer and AddressSanitizer and runs
# each for SECONDS (default 30) from a copy of its committed seed corpus. Fails on the first
# target that crashes, traps, leaks past the memory limit or hangs; the input that did it is
# kept in $FUZZ_OUT (default .build/fuzz-out/<target>/).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      e.g. scripts/fuzz.sh 600 npy npz
#   FUZZ_SKIP_BUILD=1 scripts/fuzz.sh ...       reuse the last build
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors safetensorsIndex npy npz idx csv config tensorBoard)
build=.build/fuzz
flags=(--build-path "$build" -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address -Xswiftc -use-ld=lld)
lock() { if command -v swiftlock >/dev/null; then swiftlock "$@"; else "$@"; fi; }

if [ "${FUZZ_SKIP_BUILD:-0}" != 1 ]; then
    start=$(date +%s)
    for target in "${targets[@]}"; do
        NOETHER_FUZZ=1 lock swift build "${flags[@]}" --product "fuzz-$target" > "$build-$target.log" 2>&1 \
            || { tail -30 "$build-$target.log"; echo "fuzz: building fuzz-$target failed"; exit 1; }
    done
    echo "fuzz: built ${#targets[@]} targets in $(( $(date +%s) - start )) s"
fi

out="$(pwd)/${FUZZ_OUT:-.build/fuzz-out}"
bin="$(cd "${FUZZ_BIN:-$build/debug}" && pwd)"
# Traps go to libFuzzer and the sanitizer, not to the Swift runtime's backtracer.
export SWIFT_BACKTRACE=enable=no
# A small quarantine keeps the RSS of long runs well under the 2 GB limit.
export ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=32}"
status=0
for target in "${targets[@]}"; do
    work="$out/$target"
    rm -rf "$work" && mkdir -p "$work/corpus"
    cp Fuzz/corpus/"$target"/* "$work/corpus/"
    # 2 GB of RSS or one allocation over 1 GB is a finding (an unbounded allocation), as is an
    # input that takes over 10 s. FUZZ_FLAGS adds libFuzzer flags (e.g. -jobs=1 -workers=1).
    # shellcheck disable=SC2086
    if (cd "$work" && "$bin/fuzz-$target" corpus -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 \
        -timeout=10 -print_final_stats=1 -artifact_prefix="$work/" ${FUZZ_FLAGS:-} > log 2>&1); then
        runs=$(cat "$work"/log "$work"/fuzz-*.log 2>/dev/null | grep -o 'stat::number_of_executed_units: *[0-9]*' | grep -o '[0-9]*$' | tail -1 || true)
        echo "fuzz: $target: ${runs:-?} executions in $seconds s, corpus $(ls "$work/corpus" | wc -l) inputs, no crash"
    else
        echo "fuzz: $target CRASHED; input and log in $work/"
        cat "$work"/log "$work"/fuzz-*.log 2>/dev/null | grep -E "ERROR|Fatal error|SUMMARY|deadly signal" | head -5
        status=1
    fi
done
exit $status
