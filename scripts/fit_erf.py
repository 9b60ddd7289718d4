"""Fits the rational approximation of erf that Noether's Float32 GELU uses
(Sources/NoetherTensor/FastFloatMath.swift): erf(x) ≈ x·P(x²)/Q(x²) on [0, 4], P of degree 6
and Q of degree 5 in x², Q(0) = 1. Linearised least squares, iterated with the denominator of
the previous fit (Loeb) and Lawson's reweighting towards the minimax error. Prints the
coefficients and the error in exact arithmetic and evaluated in Float32 (Horner, as in Swift).

    python3 scripts/fit_erf.py        (needs numpy)
"""
import math

import numpy as np

P_DEGREE, Q_DEGREE = 6, 5
erf = np.vectorize(math.erf)

x = np.linspace(0, 4, 40001)
z = x * x
f = erf(x)
denominator = np.ones_like(x)
weights = np.ones_like(x)
for iteration in range(30):
    columns = [x * z**i for i in range(P_DEGREE + 1)] + [-f * z**j for j in range(1, Q_DEGREE + 1)]
    a = np.stack(columns, axis=1) / denominator[:, None]
    solution, *_ = np.linalg.lstsq(a * weights[:, None], f / denominator * weights, rcond=None)
    p = solution[:P_DEGREE + 1]
    q = np.concatenate([[1.0], solution[P_DEGREE + 1:]])
    denominator = sum(q[j] * z**j for j in range(Q_DEGREE + 1))
    error = x * sum(p[i] * z**i for i in range(P_DEGREE + 1)) / denominator - f
    if iteration > 5:
        weights = weights * np.sqrt(np.abs(error) + 1e-300)
        weights /= weights.max()

print("p =", ", ".join(repr(float(c)) for c in p))
print("q =", ", ".join(repr(float(c)) for c in q))
print("max |error|, exact arithmetic:", np.abs(error).max())

xs = np.linspace(-5, 5, 2000001).astype(np.float32)
clamped = np.clip(xs, np.float32(-4), np.float32(4))
zs = clamped * clamped
numerator, denominator32 = np.float32(p[-1]), np.float32(q[-1])
for c in p[-2::-1]:
    numerator = numerator * zs + np.float32(c)
for c in q[-2::-1]:
    denominator32 = denominator32 * zs + np.float32(c)
approximation = clamped * numerator / denominator32
print("max |error|, Float32:", np.abs(approximation.astype(np.float64) - erf(xs.astype(np.float64))).max())
