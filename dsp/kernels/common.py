"""Small inline helpers shared by the kernels: biquads, smoothing, dB.

All of them work on scalars or on caller-owned arrays with fixed offsets, and
allocate nothing, so they are safe to reach from the audio callback.
"""
import math

from numba import njit

JIT = dict(nogil=True, cache=True, error_model="numpy")
# Reassociation lets the FIR dot products vectorise; no-NaN/Inf assumptions are
# deliberately left out so non-finite detection keeps working.
FAST = dict(nogil=True, cache=True, error_model="numpy",
            fastmath={"contract", "reassoc", "nsz", "arcp"})

BIQ = 5   # coefficients per biquad: b0 b1 b2 a1 a2
DENORMAL_GUARD = 1e-25


@njit(inline="always", **JIT)
def biquad(x, c, ci, s, si):
    """One sample through a transposed direct form II biquad.

    c[ci:ci+5] = b0 b1 b2 a1 a2, s[si:si+2] = its two state words. Adding and
    removing a tiny constant flushes decaying tails to exact zero instead of
    letting them run through slow denormal arithmetic; for any value above
    ~1e-9 it is an exact no-op.
    """
    y = c[ci] * x + s[si]
    s1 = c[ci + 1] * x - c[ci + 3] * y + s[si + 1]
    s[si] = (s1 + DENORMAL_GUARD) - DENORMAL_GUARD
    s2 = c[ci + 2] * x - c[ci + 4] * y
    s[si + 1] = (s2 + DENORMAL_GUARD) - DENORMAL_GUARD
    return y


@njit(inline="always", **JIT)
def smooth(T, t0, S, s0, count, k, snap):
    """Move S[s0:s0+count] one sample toward T[t0:t0+count] (one-pole), or copy
    the targets exactly when ``snap`` (the end of a ramp)."""
    if snap:
        for j in range(count):
            S[s0 + j] = T[t0 + j]
    else:
        for j in range(count):
            S[s0 + j] += k * (T[t0 + j] - S[s0 + j])


@njit(inline="always", **JIT)
def ramp_step(ramp, i):
    """(smoothing active, snap now) for sample i of a chunk that starts with
    ``ramp`` samples of ramp left. Identical whatever the block size."""
    left = ramp - i
    return left > 0, left == 1


@njit(inline="always", **JIT)
def gain_of(db):
    return math.exp(db * 0.11512925464970229)  # ln(10)/20


@njit(inline="always", **JIT)
def is_identity(c, ci, s, si):
    """A biquad with identity coefficients and empty state passes x unchanged."""
    return (c[ci] == 1.0 and c[ci + 1] == 0.0 and c[ci + 2] == 0.0 and c[ci + 3] == 0.0
            and c[ci + 4] == 0.0 and s[si] == 0.0 and s[si + 1] == 0.0)


@njit(inline="always", **JIT)
def fast_tanh(x):
    """tanh to within 1e-6, about 5x cheaper than libm's: Lambert's continued
    fraction ([7/6] rational) for |x| <= 3, the exact exp form up to 9.5, then
    +-1 (off by 3e-8). The seams are below -120 dB, so they add no aliasing a
    measurement can see."""
    a = abs(x)
    if a <= 3.0:
        x2 = x * x
        return x * (135135.0 + x2 * (17325.0 + x2 * (378.0 + x2))) / (
            135135.0 + x2 * (62370.0 + x2 * (3150.0 + x2 * 28.0)))
    if a < 9.5:
        y = 1.0 - 2.0 / (math.exp(2.0 * a) + 1.0)
    else:
        y = 1.0
    return y if x > 0.0 else -y


@njit(**FAST)
def dot(a, b):
    """Dot product of two equal-length views. Indexing views from 0 (rather than
    array + offset) lets LLVM prove the indices non-negative and vectorise: about
    6x faster here. Slicing a view allocates nothing."""
    acc = 0.0
    for j in range(a.shape[0]):
        acc += a[j] * b[j]
    return acc
