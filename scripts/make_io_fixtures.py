"""Regenerates the small numpy/safetensors fixture files the IO tests read
(pip install numpy safetensors). Run from the repository root:

    python scripts/make_io_fixtures.py Tests/NoetherIOTests/Fixtures
"""
import gzip
import json
import os
import struct
import sys

import numpy as np


def main(directory):
    os.chdir(directory)
    a = np.arange(12, dtype=np.float32).reshape(3, 4) / 4
    np.save("c_order_f4.npy", a)
    np.save("fortran_f8.npy", np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3)))
    np.save("big_endian_f4.npy", a.astype(">f4"))
    np.save("labels_i8.npy", np.array([3, 1, 4, 1, 5], dtype=np.int64))
    np.save("bool_b1.npy", np.array([True, False, True]))
    np.save("uint8_u1.npy", np.array([[0, 255], [7, 128]], dtype=np.uint8))
    np.save("half_f2.npy", np.array([1.5, -2.0, 65504.0, 6e-8], dtype=np.float16))
    np.savez("stored.npz", x=a, y=np.array([0, 1, 2], dtype=np.int64))
    np.savez_compressed("deflated.npz", x=np.tile(a, (50, 1)), y=np.arange(150, dtype=np.int32) % 10)
    data = bytes([0, 0, 8, 3]) + struct.pack(">III", 2, 2, 3) + bytes(range(12))
    with gzip.open("images.idx3-ubyte.gz", "wb") as f:
        f.write(data)
    from safetensors.numpy import save_file
    save_file({"layers.0.weight": np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5,
               "layers.0.bias": np.array([1.0, -1.0], dtype=np.float64),
               "half": np.array([0.5, -3.0], dtype=np.float16),
               "ids": np.array([[1, 2], [3, 4]], dtype=np.int64)},
              "mixed.safetensors", metadata={"format": "np"})
    # numpy has no bfloat16: write its bytes (the upper halves of float32) by the format's rules.
    values = np.array([1.0, -2.5, 3.140625, 0.0078125], dtype=np.float32)
    bf16 = (values.view(np.uint32) >> 16).astype(np.uint16).tobytes()
    header = json.dumps({"x": {"dtype": "BF16", "shape": [2, 2], "data_offsets": [0, len(bf16)]}}).encode()
    header += b" " * ((8 - len(header) % 8) % 8)
    with open("bf16.safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + bf16)


if __name__ == "__main__":
    main(sys.argv[1])
