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


_ABS = 0x7FFFFFFFFFFFFFFF


@njit(inline="always", **JIT)
def abs_bits(x):
    """The bits of |x| as an int64: ordered as |x| is (a NaN above infinity),
    so a loop can track a block's peak with an integer max, which vectorises
    where a float max (NaN-aware) does not. float_of_bits turns it back."""
    return _bits_of(x) & _ABS


@njit(inline="always", **JIT)
def float_of_bits(b):
    return _float_of(b)


@intrinsic
def fma(typingctx, a, b, c):
    """a * b + c rounded once (llvm.fma), whatever the caller's fastmath flags:
    for code that must round exactly like a SIMD kernel (kernels/lanes.py).
    float64 or float32 (all three alike)."""
    if not (a == b == c and a in (types.float64, types.float32)):
        return None
    f32 = a == types.float32

    def codegen(context, builder, signature, args):
        d = ir.FloatType() if f32 else ir.DoubleType()
        f = cgutils.get_or_insert_function(builder.module, ir.FunctionType(d, [d, d, d]),
                                           "llvm.fma.f32" if f32 else "llvm.fma.f64")
        return builder.call(f, args)
    return a(a, a, a), codegen


@njit(inline="always", **JIT)
def biquad_fused(x, c, ci, s, si):
    """biquad() with the multiply-adds fused exactly as lanes.cascade fuses
    them, so a per-frame path and a SIMD block path give the same bits."""
    y = fma(c[ci], x, s[si])
    s[si] = fma(-c[ci + 3], y, fma(c[ci + 1], x, s[si + 1]))
    s[si + 1] = fma(-c[ci + 4], y, c[ci + 2] * x)
    return y


@njit(inline="always", **JIT)
def df1_step(x, c, x1, x2, y1, y2):
    """One sample through a direct form I biquad (c: b0 b1 b2 a1 a2 as a
    tuple, the state x1 x2 y1 y2 in locals): (y, x1', x2', y1', y2'). Fused
    as lanes.df1_step fuses it: only the last multiply-add waits on the
    previous output, so a serial filter runs at one multiply-add's latency a
    sample (transposed direct form II waits on two). For a recurrence nothing
    else hides, at a high rate: the mono-bass high-pass at 4x."""
    t = fma(c[2], x2, c[0] * x)
    t = fma(c[1], x1, t)
    t = fma(-c[4], y2, t)
    y = fma(-c[3], y1, t)
    return y, x, x1, y, y1


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


def _fir_intrinsic(unroll):
    """IR for ``blocks`` blocks of an FIR's outputs: ``unroll`` vectors of
    outputs a block (8 float32 or 4 float64 each), every output in its own
    vector lane as two chains of fused multiply-adds, one over the even taps
    and one over the odd taps in order, added at the end. A pair of taps
    costs two broadcasts, 2 x ``unroll`` unaligned loads and as many
    multiply-adds on independent chains: a multiply-add waits four cycles on
    the one before it in its chain, so eight chains keep both of a core's
    vector units busy (numba's loop leaves one or two)."""
    @intrinsic
    def _run(typingctx, h, src, dst, blocks):
        for a in (h, src, dst):
            if not (isinstance(a, types.Array) and a.ndim == 1 and a.layout == "C"):
                return None
        if not (h.dtype == src.dtype == dst.dtype and h.dtype in (types.float32, types.float64)):
            return None
        f32 = h.dtype == types.float32
        ft = ir.FloatType() if f32 else ir.DoubleType()
        lanes = 8 if f32 else 4
        vt = ir.VectorType(ft, lanes)
        vp = vt.as_pointer()
        align = 4 if f32 else 8

        def codegen(context, builder, sig, args):
            ha, sa, da = (context.make_array(sig.args[i])(context, builder, args[i]) for i in range(3))
            nt = cgutils.unpack_tuple(builder, ha.shape, 1)[0]
            intp = nt.type
            fma = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(vt, [vt, vt, vt]), f"llvm.fma.v{lanes}f{32 if f32 else 64}")
            undef = ir.Constant(vt, ir.Undefined)
            splat_mask = ir.Constant(ir.VectorType(ir.IntType(32), lanes), [0] * lanes)
            zero = ir.Constant(vt, [0.0] * lanes)
            accs = [[cgutils.alloca_once(builder, vt) for _ in range(2)] for _ in range(unroll)]

            def tap(base, j, chain):
                hj = builder.load(builder.gep(ha.data, [j]))
                hv = builder.shuffle_vector(builder.insert_element(undef, hj, ir.Constant(ir.IntType(32), 0)),
                                            undef, splat_mask)
                at = builder.add(base, j)
                for u in range(unroll):
                    ptr = builder.gep(sa.data, [builder.add(at, ir.Constant(intp, u * lanes))])
                    v = builder.load(builder.bitcast(ptr, vp), align=align)
                    acc = accs[u][chain]
                    builder.store(builder.call(fma, [hv, v, builder.load(acc)]), acc)

            one = ir.Constant(intp, 1)
            pairs = builder.lshr(nt, one)
            with cgutils.for_range(builder, args[3]) as blk:
                base = builder.mul(blk.index, ir.Constant(intp, lanes * unroll))
                for a in accs:
                    builder.store(zero, a[0])
                    builder.store(zero, a[1])
                with cgutils.for_range(builder, pairs) as loop:
                    j = builder.shl(loop.index, one)
                    tap(base, j, 0)
                    tap(base, builder.add(j, one), 1)
                with builder.if_then(builder.trunc(nt, ir.IntType(1))):      # odd: the last tap
                    tap(base, builder.sub(nt, one), 0)
                for u in range(unroll):
                    ptr = builder.gep(da.data, [builder.add(base, ir.Constant(intp, u * lanes))])
                    out = builder.fadd(builder.load(accs[u][0]), builder.load(accs[u][1]))
                    builder.store(out, builder.bitcast(ptr, vp), align=align)
            return context.get_dummy_value()

        return types.none(h, src, dst, blocks), codegen

    return _run


_FIR_WIDE = _fir_intrinsic(4)
_FIR_ONE = _fir_intrinsic(1)


@njit(**JIT)
def fir(h, src, dst, count):
    """dst[i] = sum_j h[j] src[i + j] for i < count (h, src, dst contiguous,
    all float32 or all float64: float32 sums in float32, twice the lanes).
    Blocks of four vectors of outputs, then single vectors, then one output
    at a time; every output, whichever path, is the same two chains of fused
    multiply-adds (even taps, odd taps, each in order) and their sum, so the
    result does not depend on where a block starts or how long it is."""
    nt = h.shape[0]
    if count < 0 or dst.shape[0] < count or src.shape[0] < count + nt - 1:
        raise ValueError("common.fir: an array is shorter than its count")
    lanes = 32 // h.itemsize
    wide = count // (4 * lanes)
    _FIR_WIDE(h, src, dst, wide)
    i0 = wide * 4 * lanes
    one = (count - i0) // lanes
    _FIR_ONE(h, src[i0:], dst[i0:], one)
    i0 += one * lanes
    zero = h[0] - h[0]
    for i in range(i0, count):
        even = zero
        odd = zero
        for j in range(0, nt - 1, 2):
            even = fma(h[j], src[i + j], even)
            odd = fma(h[j + 1], src[i + j + 1], odd)
        if nt % 2 == 1:
            even = fma(h[nt - 1], src[i + nt - 1], even)
        dst[i] = even + odd


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
