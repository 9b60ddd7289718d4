#!/usr/bin/env python3
"""Single float32 products (row-major m×k · k×n) through Debian's OpenBLAS, PyTorch (MKL) or
numpy's own BLAS: the median time of each, as GFLOP/s. Products, not training steps: what a
step's GEMM floor is made of, library against library (docs/benchmarks.md).

    OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1 python3 benchmarks/product_rates.py openblas
    python3 benchmarks/product_rates.py torch --threads 1
    OPENBLAS_NUM_THREADS=1 python3 benchmarks/product_rates.py numpy --shapes 128x784x64 --seconds 0.4

`openblas` calls `cblas_sgemm` of --library (default Debian's libopenblas.so.0) through ctypes;
set OPENBLAS_CORETYPE to the kernels Noether selects (SkylakeX on AVX-512 CPUs that OpenBLAS
0.3.21 does not know). Run the libraries alternately, several rounds, and compare medians.
"""
import argparse
import ctypes
import time

import numpy as np

SHAPES = ["1024x1024x1024", "128x784x1024", "128x1024x1024", "1024x128x1024", "128x256x256"]


def median_seconds(product, repeats, seconds):
    for _ in range(10):
        product()
    times = []
    start = time.perf_counter()
    while len(times) < repeats or time.perf_counter() - start < seconds:
        began = time.perf_counter()
        product()
        times.append(time.perf_counter() - began)
    times.sort()
    return times[len(times) // 2]


def openblas_product(library, m, k, n):
    sgemm = library.cblas_sgemm
    sgemm.argtypes = [ctypes.c_int] * 6 + [ctypes.c_float, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int,
                                           ctypes.c_float, ctypes.c_void_p, ctypes.c_int]
    generator = np.random.default_rng(0)
    a, b = generator.random((m, k), dtype=np.float32), generator.random((k, n), dtype=np.float32)
    c = np.zeros((m, n), dtype=np.float32)
    row_major, no_transpose = 101, 111
    return lambda: sgemm(row_major, no_transpose, no_transpose, m, n, k, 1.0, a.ctypes.data, k, b.ctypes.data, n, 0.0, c.ctypes.data, n)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("backend", choices=["openblas", "torch", "numpy"])
    parser.add_argument("--shapes", nargs="+", default=SHAPES, help="m x k x n, e.g. 128x784x1024")
    parser.add_argument("--threads", type=int, default=1, help="torch: torch.set_num_threads (OpenBLAS reads OPENBLAS_NUM_THREADS)")
    parser.add_argument("--library", default="/usr/lib/x86_64-linux-gnu/libopenblas.so.0")
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=0.0, help="time at least this long per product")
    arguments = parser.parse_args()
    shapes = [tuple(int(part) for part in shape.split("x")) for shape in arguments.shapes]
    if arguments.backend == "openblas":
        library = ctypes.CDLL(arguments.library)
        products = [openblas_product(library, m, k, n) for m, k, n in shapes]
    elif arguments.backend == "torch":
        import torch
        torch.set_num_threads(arguments.threads)
        operands = [(torch.randn(m, k), torch.randn(k, n)) for m, k, n in shapes]
        products = [lambda a=a, b=b: torch.mm(a, b) for a, b in operands]
    else:
        generator = np.random.default_rng(0)
        operands = [(generator.random((m, k), dtype=np.float32), generator.random((k, n), dtype=np.float32)) for m, k, n in shapes]
        products = [lambda a=a, b=b: a @ b for a, b in operands]
    rates = []
    for (m, k, n), product in zip(shapes, products):
        seconds = median_seconds(product, arguments.repeats, arguments.seconds)
        rates.append(f"{m}x{k}x{n}: {2 * m * k * n / seconds / 1e9:.0f} GFLOP/s ({seconds * 1e6:.1f} us)")
    print(f"{arguments.backend}: " + "; ".join(rates))


if __name__ == "__main__":
    main()
