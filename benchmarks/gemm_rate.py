#!/usr/bin/env python3
"""Median time of one small float32 product through numpy's own BLAS, over 0.4 s.

A probe of the machine rather than of Noether: run it alternately with `noether bench` processes
to see whether a slow Noether process coincides with slow floating-point work for everyone
(docs/benchmarks.md, "The bimodal small-MLP step of MEASURED.md is the machine's").

    OPENBLAS_NUM_THREADS=1 python3 benchmarks/gemm_rate.py [--seconds 0.4]
"""
import argparse
import time

import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=0.4)
    arguments = parser.parse_args()
    generator = np.random.default_rng(0)
    a = generator.random((128, 784), dtype=np.float32)
    b = generator.random((784, 64), dtype=np.float32)
    for _ in range(50):
        a @ b
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < arguments.seconds:
        began = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - began)
    times.sort()
    print(f"128x784x64 product: median {times[len(times) // 2] * 1e6:.1f} us over {len(times)} products")


if __name__ == "__main__":
    main()
