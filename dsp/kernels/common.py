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

    c[ci:ci+5] = b0 b1 b2 a1 a2, s[si:si+2] = its two state words. Nothing else
    sits on the recurrence (it is the critical path of every filter): the
    owning module flushes decaying tails once per block with flush_denormals.
    """
    y = c[ci] * x + s[si]
    s[si] = c[ci + 1] * x - c[ci + 3] * y + s[si + 1]
    s[si + 1] = c[ci + 2] * x - c[ci + 4] * y
    return y


@njit(inline="always", **JIT)
def flush_denormals(s, start, count):
    """Flush s[start:start+count] (filter states) toward exact zero: adding and
    removing a tiny constant is an exact no-op for any value above ~1e-9 and
    turns a decaying tail into 0 instead of letting it run through slow
    denormal arithmetic. Once per block is enough: within one block no state
    can fall from 1e-25 into the denormal range (1e-308) unless it decays by
    45 dB a sample, and such a state reaches exact zero by itself."""
    for j in range(start, start + count):
        s[j] = (s[j] + DENORMAL_GUARD) - DENORMAL_GUARD


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


# Eigen's rational tanh (Eigen/src/Core/arch/Default/GenericPacketMathFunctions.h,
# ptanh_float): odd degree-13 over even degree-6, on x clamped to +-7.905.
_TC = 7.90531110763549805
_TA = (4.89352455891786e-03, 6.37261928875436e-04, 1.48572235717979e-05, 5.12229709037114e-08,
       -8.60467152213735e-11, 2.00018790482477e-13, -2.76076847742355e-16)
_TB = (4.89352518554385e-03, 2.26843463243900e-03, 1.18534705686654e-04, 1.19825839466702e-06)


@njit(inline="always", **JIT)
def fast_tanh(x):
    """tanh to within 2.7e-7 (-131 dB; tests/test_saturation.py checks it against
    numpy), with no branch: a clamp and one rational function, so a loop of it
    over a block vectorises (libm's tanh or an exp would not)."""
    c = min(max(x, -_TC), _TC)
    c2 = c * c
    p = c * (_TA[0] + c2 * (_TA[1] + c2 * (_TA[2] + c2 * (_TA[3] + c2 * (
        _TA[4] + c2 * (_TA[5] + c2 * _TA[6]))))))
    q = _TB[0] + c2 * (_TB[1] + c2 * (_TB[2] + c2 * _TB[3]))
    return p / q


@njit(**FAST)
def dot(a, b):
    """Dot product of two equal-length views. Indexing views from 0 (rather than
    array + offset) lets LLVM prove the indices non-negative and vectorise: about
    6x faster here. Slicing a view allocates nothing."""
    acc = 0.0
    for j in range(a.shape[0]):
        acc += a[j] * b[j]
    return acc
