"""Small inline helpers shared by the kernels: biquads, smoothing, dB.

All of them work on scalars or on caller-owned arrays with fixed offsets, and
allocate nothing, so they are safe to reach from the audio callback.
"""

import numpy as np

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

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
def biquad_step(x, c, s1, s2):
    """biquad() with its coefficients (a tuple b0 b1 b2 a1 a2) and its state in
    local variables: (y, s1', s2').
    A loop that loads them before and stores them after keeps the recurrence in
    registers; through the state array, every sample would wait on a store and
    a reload."""
    y = c[0] * x + s1
    return y, c[1] * x - c[3] * y + s2, c[2] * x - c[4] * y


@njit(inline="always", **JIT)
def coefs(c, ci):
    """c[ci:ci+5] as a tuple, for biquad_step."""
    return c[ci], c[ci + 1], c[ci + 2], c[ci + 3], c[ci + 4]


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


# A coefficient set whose smoothing coefficient is LINEAR morphs instead: every
# working value moves 1/left of its remaining distance each sample, a straight
# line that lands on the target exactly at the ramp's end (a snapshot's morph).
LINEAR = -1.0


@njit(inline="always", **JIT)
def ramp_frame(T, S, count, ramp, i, k):
    """The parameter ramp, written once for every kernel: frame i of a chunk
    that starts with ``ramp`` samples of ramp left moves the module's ``count``
    working values (S[0:count]) one sample toward their targets (T[0:count]),
    and copies the targets exactly on the ramp's last sample. Returns whether
    the ramp is still running at this frame. Identical whatever the block size."""
    left = ramp - i
    if left > 0:
        smooth(T, 0, S, 0, count, k if k >= 0.0 else 1.0 / left, left == 1)
        return True
    return False


@intrinsic
def _bits_of(typingctx, x):
    """The IEEE-754 bits of a float64 as an int64 (a register move)."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


@intrinsic
def _float_of(typingctx, b):
    """The float64 whose IEEE-754 bits are the int64 b."""
    if b != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


@intrinsic
def fma(typingctx, a, b, c):
    """a * b + c rounded once (llvm.fma), whatever the caller's fastmath flags:
    for code that must round exactly like a SIMD kernel (kernels/lanes.py)."""
    if not (a == b == c == types.float64):
        return None

    def codegen(context, builder, signature, args):
        d = ir.DoubleType()
        f = cgutils.get_or_insert_function(builder.module, ir.FunctionType(d, [d, d, d]), "llvm.fma.f64")
        return builder.call(f, args)
    return types.float64(types.float64, types.float64, types.float64), codegen


@njit(inline="always", **JIT)
def biquad_fused(x, c, ci, s, si):
    """biquad() with the multiply-adds fused exactly as lanes.cascade fuses
    them, so a per-frame path and a SIMD block path give the same bits."""
    y = fma(c[ci], x, s[si])
    s[si] = fma(-c[ci + 3], y, fma(c[ci + 1], x, s[si + 1]))
    s[si + 1] = fma(-c[ci + 4], y, c[ci + 2] * x)
    return y


_MANT = 0x000FFFFFFFFFFFFF
_SQRT2_MANT = 0x6A09E667F3BCD         # mantissa bits of sqrt(2)
_DB_PER_OCTAVE = 6.020599913279624    # 20 log10(2)
_LOG2_10_OVER_20 = 0.16609640474436813
# Integers to and from floats through the bits: x + 1.5 * 2^52 holds the integer
# x in its low mantissa bits (for |x| < 2^51). AVX2 has no int64 <-> float64
# vector conversion, so the usual casts would stop the loops vectorising.
_MAGIC = 6755399441055744.0
_MAGIC_BITS = 0x4338000000000000


@njit(inline="always", **JIT)
def db_of(x):
    """20 log10(x) for a positive normal x (callers add 1e-30 to a magnitude),
    to within 1e-8 dB, with no libm call and no branch, so block loops of it
    vectorise (libm's log10 costs ~9 ns a call here). x = 2^e m, m in
    [sqrt(1/2), sqrt(2)); log2 m = 2/ln 2 atanh(t), t = (m-1)/(m+1), |t| < 0.172,
    summed to t^9 (the next term is below 1e-9)."""
    b = _bits_of(x)
    mb = b & _MANT
    up = mb >= _SQRT2_MANT                     # fold [sqrt 2, 2) down by one octave
    eb = (b >> 52) + (1 if up else 0)          # biased exponent, 1..2047
    e = _float_of(_MAGIC_BITS + eb) - (_MAGIC + 1023.0)
    m = _float_of(mb | ((1022 if up else 1023) << 52))
    t = (m - 1.0) / (m + 1.0)
    t2 = t * t
    l2 = t * (2.8853900817779268 + t2 * (0.9617966939259756 + t2 * (0.5770780163555854 + t2 * (
        0.41219858311113244 + t2 * 0.3205988979753252))))
    return _DB_PER_OCTAVE * (e + l2)


@njit(inline="always", **JIT)
def gain_of(db):
    """10^(db/20), to within 1e-11 relative over +-1000 dB (clamped there), with
    no libm call and no branch: 2^y = 2^n 2^f, n = round(y), |f| <= 1/2, 2^f by
    its Taylor series to degree 9 (the next term is below 1e-11)."""
    y = min(max(db, -1000.0), 1000.0) * _LOG2_10_OVER_20
    n = np.floor(y + 0.5)
    f = (y - n) * 0.6931471805599453           # ln 2
    p = 1.0 + f * (1.0 + f * (0.5 + f * (1.0 / 6 + f * (1.0 / 24 + f * (1.0 / 120 + f * (
        1.0 / 720 + f * (1.0 / 5040 + f * (1.0 / 40320 + f * (1.0 / 362880)))))))))
    ni = _bits_of(n + _MAGIC) - _MAGIC_BITS
    return p * _float_of((ni + 1023) << 52)


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
def fir(h, src, dst, count):
    """dst[i] = sum_j h[j] src[i + j] for i < count. Eight outputs at a time,
    each in its own accumulator (LLVM packs the eight into two vector
    registers), so the sums stay in registers across all taps instead of going
    through memory once per tap; the remaining outputs tap by tap. Either way
    every output adds its taps in the same order, so the result does not depend
    on where a block starts. Not inlined: an inlined copy takes its caller's
    flags, and without contraction LLVM leaves the eight sums unpacked (2x
    slower); compiled on its own it always has FAST's. Arrays of float32 sum
    in float32 (twice the lanes a vector holds)."""
    nt = h.shape[0]
    zero = h[0] - h[0]            # 0 in the taps' type: float32 taps sum in float32
    i0 = 0
    while i0 + 8 <= count:
        s = src[i0:i0 + nt + 8]
        a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = zero
        for j in range(nt):
            hj = h[j]
            a0 += hj * s[j]
            a1 += hj * s[j + 1]
            a2 += hj * s[j + 2]
            a3 += hj * s[j + 3]
            a4 += hj * s[j + 4]
            a5 += hj * s[j + 5]
            a6 += hj * s[j + 6]
            a7 += hj * s[j + 7]
        dst[i0] = a0
        dst[i0 + 1] = a1
        dst[i0 + 2] = a2
        dst[i0 + 3] = a3
        dst[i0 + 4] = a4
        dst[i0 + 5] = a5
        dst[i0 + 6] = a6
        dst[i0 + 7] = a7
        i0 += 8
    for i in range(i0, count):
        dst[i] = zero
    for j in range(nt):
        hj = h[j]
        for i in range(i0, count):
            dst[i] += hj * src[i + j]


@njit(**FAST)
def dot(a, b):
    """Dot product of two equal-length views. Indexing views from 0 (rather than
    array + offset) lets LLVM prove the indices non-negative and vectorise: about
    6x faster here. Slicing a view allocates nothing."""
    acc = 0.0
    for j in range(a.shape[0]):
        acc += a[j] * b[j]
    return acc


@njit(inline="always", **JIT)
def close_window_slot(S, slot_at, filled_at, acc_a, acc_b, win_a, win_b, slots):
    """A sliding window of ``slots`` 100 ms blocks over two signals' powers
    (compare's dry and wet, a context's input and output): move the open
    block's two sums (S[acc_a], S[acc_b]) into the next slot and return the
    window's two sums and how many slots it holds."""
    slot = int(S[slot_at])
    S[win_a + slot] = S[acc_a]
    S[win_b + slot] = S[acc_b]
    S[acc_a] = 0.0
    S[acc_b] = 0.0
    S[slot_at] = (slot + 1) % slots
    filled = min(S[filled_at] + 1.0, slots)
    S[filled_at] = filled
    pa = 0.0
    pb = 0.0
    for j in range(slots):
        pa += S[win_a + j]
        pb += S[win_b + j]
    return pa, pb, filled


@njit(inline="always", **JIT)
def glide(v, target, k):
    """One sample of a one-pole glide toward ``target`` (k: the step's share),
    snapped onto it within 1e-7 so a finished glide is exactly there."""
    v += k * (target - v)
    return target if abs(v - target) < 1e-7 else v
