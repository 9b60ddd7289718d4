#!/usr/bin/env python3
"""Writes the fuzz seed corpus (Fuzz/corpus/<target>/): valid files of every format and broken
variants of each (the defects of issue 17). Run from the repository root; needs numpy only for
nothing — every file is built by hand so the seeds do not depend on library versions."""
import gzip, io, json, os, shutil, struct, zipfile, zlib

root = "Fuzz/corpus"
fixtures = "Tests/NoetherIOTests/Fixtures"


def put(target, name, data):
    os.makedirs(f"{root}/{target}", exist_ok=True)
    with open(f"{root}/{target}/{name}", "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def npy(descr, shape, payload, fortran="False", pad=True):
    shape_text = "(" + "".join(f"{d}, " if len(shape) > 1 else f"{d}," for d in shape).rstrip(", ") + ("," if len(shape) == 1 else "") + ")"
    header = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape_text}, }}"
    if pad:
        header += " " * ((64 - (10 + len(header) + 1) % 64) % 64)
    header += "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload


def safetensors(header, body):
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


def idx(type_code, shape, payload):
    return bytes([0, 0, type_code, len(shape)]) + b"".join(struct.pack(">I", d) for d in shape) + payload


def npz(members, compress=False):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as z:
        for name, data in members.items():
            z.writestr(name + ".npy", data)
    return buffer.getvalue()


def tfrecord(data):
    def masked(b):
        # CRC-32C, masked as TFRecord does.
        crc = 0xFFFFFFFF
        for byte in b:
            crc ^= byte
            for _ in range(8):
                crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
        crc ^= 0xFFFFFFFF
        return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked(length)) + data + struct.pack("<I", masked(data))


shutil.rmtree(root, ignore_errors=True)
floats = struct.pack("<4f", 1, 2, 3, 4)

# safetensors: the fixtures, and the defects: huge shapes, float and bool dims, holes.
for name in ["bf16.safetensors", "mixed.safetensors"]:
    put("safetensors", name, open(f"{fixtures}/{name}", "rb").read())
put("safetensors", "valid-f32", safetensors({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}, floats))
put("safetensors", "metadata", safetensors({"__metadata__": {"format": "pt"}, "w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, floats))
put("safetensors", "shape-2-62", safetensors({"w": {"dtype": "F32", "shape": [2**62], "data_offsets": [0, 16]}}, floats))
put("safetensors", "shape-2-31-squared", safetensors({"w": {"dtype": "F32", "shape": [2**31, 2**31], "data_offsets": [0, 16]}}, floats))
put("safetensors", "float-dim", b"" + struct.pack("<Q", 60) + b'{"w":{"dtype":"F32","shape":[4.0],"data_offsets":[0,16]}}    ' + floats)
put("safetensors", "rank-7", safetensors({"w": {"dtype": "F32", "shape": [1, 1, 1, 1, 1, 1, 4], "data_offsets": [0, 16]}}, floats))
put("safetensors", "header-too-long", struct.pack("<Q", 2**63 + 5) + b"{}")

# safetensors index: valid, and shards that leave the folder.
put("safetensorsIndex", "valid", json.dumps({"metadata": {}, "weight_map": {"a": "model-00001.safetensors", "b": "model-00002.safetensors"}}))
put("safetensorsIndex", "absolute", json.dumps({"weight_map": {"a": "/etc/passwd"}}))
put("safetensorsIndex", "dotdot", json.dumps({"weight_map": {"a": "../../x.safetensors"}}))
put("safetensorsIndex", "nested", json.dumps({"weight_map": {"a": "sub/x.safetensors"}}))

# npy: the fixtures, huge and high-rank shapes, lenient headers.
for name in sorted(os.listdir(fixtures)):
    if name.endswith(".npy"):
        put("npy", name, open(f"{fixtures}/{name}", "rb").read())
put("npy", "shape-2-62", npy("<f4", [2**62], floats))
put("npy", "rank-7", npy("<f4", [1, 1, 1, 1, 1, 1, 4], floats))
put("npy", "fortran-maybe", npy("<f4", [4], floats, fortran="Maybe"))
put("npy", "garbage-padding", npy("<f4", [4], floats, pad=False)[:-17] + b"garbage\n" + floats)
put("npy", "labels-i8", npy("<i8", [3], struct.pack("<3q", 0, 1, 2**63 - 1)))

# npz: the fixtures, a byte flip, a 2^40-byte declared member, zip64 with a huge offset.
for name in ["stored.npz", "deflated.npz"]:
    put("npz", name, open(f"{fixtures}/{name}", "rb").read())
member = npy("<f4", [4], floats)
stored = npz({"x": member, "y": npy("<i8", [1], struct.pack("<q", 1))})
put("npz", "stored-2", stored)
put("npz", "deflated-2", npz({"x": member}, compress=True))
flipped = bytearray(stored)
flipped[len(member) // 2 + 40] ^= 0x01
put("npz", "byte-flipped", bytes(flipped))
huge = bytearray(npz({"x": member}, compress=True))
central = huge.rfind(b"PK\x01\x02")
huge[central + 24:central + 28] = b"\xff\xff\xff\x7f"
put("npz", "declared-2-31", bytes(huge))

# IDX: labels and images, raw and gzip, NaN and fractional float labels, a gzip bomb header.
labels = idx(0x08, [4], bytes([0, 1, 2, 9]))
images = idx(0x08, [2, 2, 2], bytes(range(8)))
put("idx", "labels", labels)
put("idx", "images", images)
put("idx", "labels.gz", gzip.compress(labels))
put("idx", "images.gz", open(f"{fixtures}/images.idx3-ubyte.gz", "rb").read())
put("idx", "float-labels-nan", idx(0x0D, [3], struct.pack(">3f", 1.0, float("nan"), 1e19)))
put("idx", "float-labels-fraction", idx(0x0E, [2], struct.pack(">2d", 1.5, 2.0)))
put("idx", "bomb-header.gz", gzip.compress(idx(0x08, [1000, 1000], b"") + bytes(65536)))
put("idx", "rank-9", bytes([0, 0, 0x08, 9]) + b"\x00\x00\x00\x01" * 9 + b"\x01")

# CSV: a header and numbers, ragged rows, non-numbers, non-finite values.
put("csv", "header", "x1,x2,label\n0.5,1.5,0\n1e-3,-2,1\n")
put("csv", "plain", "1,2,3\r\n4,5,6\r\n")
put("csv", "ragged", "1,2,3\n4,5\n")
put("csv", "text", "a,b\nx,1\n")
put("csv", "nonfinite", "1,nan\ninf,2\n")

# Configs: the examples, and the defects: alias bomb, huge sizes, NaN, negative seed.
for name in sorted(os.listdir("examples")):
    put("config", name, open(f"examples/{name}", "rb").read())
put("config", "alias-bomb.yaml", "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n")
base = "name: t\nmodel: {kind: mlp, input: 4, hidden: [%s], output: 1}\ndata: {kind: teacher_student, train: %s, test: 8, dimension: 4}\ntraining: {steps: 1}\n"
put("config", "hidden-2-62.yaml", base % (2**62, 16))
put("config", "train-1e12.yaml", base % (8, 10**12))
put("config", "nan.yaml", "name: t\nseed: .nan\n")
put("config", "seed-negative.yaml", "name: t\nseed: -1\n")
put("config", "deep.json", "{" + '"a":[' * 40 + "]" * 40 + "}")
put("config", "valid.json", json.dumps({"name": "t", "model": {"kind": "mlp", "input": 4, "hidden": [8], "output": 1},
                                        "data": {"kind": "teacher_student", "train": 16, "test": 8, "dimension": 4}, "training": {"steps": 1}}))

# TensorBoard: the golden file, a record with a bad CRC, and a field length past 2^63.
golden = open(f"{fixtures}/golden.tfevents", "rb").read()
put("tensorBoard", "golden", golden)
put("tensorBoard", "truncated", golden[: len(golden) // 2])
put("tensorBoard", "huge-length", tfrecord(b"\x2a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"))
put("tensorBoard", "scalar", tfrecord(struct.pack("<Bd", 0x09, 1.0) + b"\x10\x05" + b"\x2a\x0c\x0a\x0a\x0a\x04loss\x15\x00\x00\x80\x3f"))
