"""Release builds of Noether measured against each other, alternated in one run.

    python3 benchmarks/alternate_bench.py ROUNDS REPEATS noether-a noether-b [...] -- WORKLOAD [...]

Each round runs `noether bench --repeats REPEATS --only WORKLOAD ...` once per binary, the order
reversed every round, so a shared machine's load falls on every binary alike. Prints per
workload and binary the median of the round medians, the GEMM floor, the median over rounds of
the ratio to the first binary in the same round, and every round's median. Not a test.
"""
import statistics
import subprocess
import sys


def main(arguments):
    if "--" not in arguments or len(arguments) < 4:
        sys.exit(__doc__)
    rounds, repeats = int(arguments[0]), int(arguments[1])
    separator = arguments.index("--")
    binaries, workloads = arguments[2:separator], arguments[separator + 1:]
    results = {b: {w: [] for w in workloads} for b in binaries}
    for r in range(rounds):
        for binary in (binaries if r % 2 == 0 else binaries[::-1]):
            command = [binary, "bench", "--repeats", str(repeats)] + [a for w in workloads for a in ("--only", w)]
            output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            for line in output.splitlines():
                fields = line.split()
                if fields and fields[0] in workloads:
                    results[binary][fields[0]].append((float(fields[1]), float(fields[2])))
    for workload in workloads:
        first = results[binaries[0]][workload]
        for binary in binaries:
            rows = results[binary][workload]
            times = [row[0] for row in rows]
            ratios = [row[0] / base[0] for row, base in zip(rows, first)]
            print(f"{workload:18s} {binary.split('/')[-1]:18s} median {statistics.median(times):9.3f} ms"
                  f"  floor {statistics.median(row[1] for row in rows):9.3f}  ×{statistics.median(ratios):.3f}"
                  f"  rounds {' '.join(f'{t:.1f}' for t in times)}")


if __name__ == "__main__":
    main(sys.argv[1:])
