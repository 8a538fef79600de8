"""Biquad cascades over several signals at once, one SIMD lane each.

A biquad is a recurrence, so one signal's samples cannot be computed side by
side; several independent signals can (two channels, mid and side, the dry and
wet pairs of the compare stage). LLVM does not find that on its own from numba
code (the scalar recurrences stay scalar), so ``cascade`` emits the loop itself:
the lanes of every frame in one <L x double> vector, each section's two state
words in vector registers for the whole loop, fused multiply-adds. A frame
through NSEC sections then costs NSEC x 5 vector instructions, not
NSEC x L x 9 scalar ones.

Layouts (flat float64 arrays, contiguous):
  x, y  frame-major, L values per frame (y may be x: in place)
  c     per section: b0 b1 b2 a1 a2, each as L lane values (NSEC x 5 x L)
  s     per section: its state words, each as L lane values (NSEC x 2|4 x L)

Two forms. Transposed direct form II (state: 2 words a section) is
common.biquad's recurrence, so a kernel can switch between it and its
per-frame path. Direct form I (state x1 x2 y1 y2, 4 words a section) has a
single multiply-add on the recurrence instead of two, so a frame waits half as
long on the previous one; the meters, which have no other path, use it.
Every multiply-add is fused.
"""
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from .common import JIT, fma

_F64 = ir.DoubleType()


def df1_step(builder, fma, coef, v, x1, x2, y1, y2):
    """IR for one frame of a direct form I biquad on vectors: coef is
    (b0, b1, b2, -a1, -a2), x1 x2 y1 y2 its state; returns the output. Only
    the last multiply-add waits on y1, so a frame waits on one multiply-add of
    the last."""
    b0, b1, b2, na1, na2 = coef
    t = builder.call(fma, [b2, x2, builder.fmul(b0, v)])
    t = builder.call(fma, [b1, x1, t])
    t = builder.call(fma, [na2, y2, t])
    return builder.call(fma, [na1, y1, t])


def _cascade_intrinsic(lanes, nsec, df1):
    vt = ir.VectorType(_F64, lanes)
    vp = vt.as_pointer()
    words = 4 if df1 else 2

    @intrinsic
    def _run(typingctx, x, y, count, c, s):
        for a in (x, y, c, s):
            if not (isinstance(a, types.Array) and a.dtype == types.float64 and a.ndim == 1):
                return None

        def codegen(context, builder, sig, args):
            xa, ya, ca, sa = (context.make_array(sig.args[i])(context, builder, args[i])
                              for i in (0, 1, 3, 4))
            count = args[2]
            fma = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(vt, [vt, vt, vt]), f"llvm.fma.v{lanes}f64")

            def vec(ptr, index):
                return builder.bitcast(builder.gep(ptr, [ir.Constant(ir.IntType(64), index)]), vp)

            coef = [[builder.load(vec(ca.data, (q * 5 + k) * lanes), align=8) for k in range(5)]
                    for q in range(nsec)]
            # a1 and a2 enter negated: their terms become multiply-adds too
            coef = [[b0, b1, b2, builder.fneg(a1), builder.fneg(a2)] for b0, b1, b2, a1, a2 in coef]
            state = []
            for q in range(nsec):
                words_q = []
                for w in range(words):
                    slot = cgutils.alloca_once(builder, vt)
                    builder.store(builder.load(vec(sa.data, (q * words + w) * lanes), align=8), slot)
                    words_q.append(slot)
                state.append(words_q)
            with cgutils.for_range(builder, count) as loop:
                off = builder.mul(loop.index, ir.Constant(loop.index.type, lanes))
                v = builder.load(builder.bitcast(builder.gep(xa.data, [off]), vp), align=8)
                for q in range(nsec):
                    b0, b1, b2, na1, na2 = coef[q]
                    if df1:
                        p1, p2, p3, p4 = state[q]
                        x1, x2, y1, y2 = (builder.load(p) for p in (p1, p2, p3, p4))
                        out = df1_step(builder, fma, coef[q], v, x1, x2, y1, y2)
                        builder.store(x1, p2)
                        builder.store(v, p1)
                        builder.store(y1, p4)
                        builder.store(out, p3)
                    else:
                        p1, p2 = state[q]
                        s1 = builder.load(p1)
                        s2 = builder.load(p2)
                        out = builder.call(fma, [b0, v, s1])
                        builder.store(builder.call(fma, [na1, out, builder.call(fma, [b1, v, s2])]), p1)
                        builder.store(builder.call(fma, [na2, out, builder.fmul(b2, v)]), p2)
                    v = out
                builder.store(v, builder.bitcast(builder.gep(ya.data, [off]), vp), align=8)
            for q in range(nsec):
                for w in range(words):
                    builder.store(builder.load(state[q][w]), vec(sa.data, (q * words + w) * lanes),
                                  align=8)
            return context.get_dummy_value()

        return types.none(x, y, count, c, s), codegen

    return _run


def _make(lanes, nsec, df1=False):
    run = _cascade_intrinsic(lanes, nsec, df1)
    words = 4 if df1 else 2

    @njit(**JIT)
    def cascade(x, y, count, c, s):
        if (count < 0 or x.shape[0] < count * lanes or y.shape[0] < count * lanes
                or c.shape[0] < nsec * 5 * lanes or s.shape[0] < nsec * words * lanes):
            raise ValueError("lanes.cascade: an array is shorter than its layout")
        run(x, y, count, c, s)
    return cascade


# two sections in direct form I: a K-weighting per lane (the compare stage)
k_weight4 = _make(4, 2, df1=True)
# the multiband's crossovers: four lanes through three sections, and two
cascade4_3 = _make(4, 3)
cascade4_2 = _make(4, 2)


def _peak_fold_intrinsic(vectors):
    vt = ir.VectorType(_F64, 4)
    vp = vt.as_pointer()
    i64 = ir.IntType(64)

    @intrinsic
    def _run(typingctx, hx, groups, F):
        for a in (hx, F):
            if not (isinstance(a, types.Array) and a.dtype == types.float64 and a.ndim == 1):
                return None

        def codegen(context, builder, sig, args):
            xa, Fa = (context.make_array(sig.args[i])(context, builder, args[i]) for i in (0, 2))
            mod = builder.module
            fma = cgutils.get_or_insert_function(mod, ir.FunctionType(vt, [vt, vt, vt]), "llvm.fma.v4f64")
            fabs = cgutils.get_or_insert_function(mod, ir.FunctionType(vt, [vt]), "llvm.fabs.v4f64")

            def gt(a, b):
                return builder.select(builder.fcmp_ordered(">", a, b), a, b)
            undef = ir.Constant(vt, ir.Undefined)
            splat_mask = ir.Constant(ir.VectorType(ir.IntType(32), 4), [0] * 4)

            def splat(x):
                v = builder.insert_element(undef, x, ir.Constant(ir.IntType(32), 0))
                return builder.shuffle_vector(v, undef, splat_mask)

            def vload(k):
                return builder.load(builder.bitcast(builder.gep(xa.data, [k]), vp), align=8)

            f = [splat(builder.load(builder.gep(Fa.data, [ir.Constant(i64, q)]))) for q in range(24)]
            zero = ir.Constant(vt, [0.0] * 4)
            best = cgutils.alloca_once(builder, vt)
            builder.store(zero, best)
            with cgutils.for_range(builder, args[1]) as loop:
                i0 = builder.mul(loop.index, ir.Constant(i64, 4 * vectors))   # 2 frames x 2 channels a vector
                peaks = []
                for v in range(vectors):
                    base = builder.add(i0, ir.Constant(i64, 4 * v))
                    xs = [vload(builder.add(base, ir.Constant(i64, 2 * j))) for j in range(12)]
                    u = [builder.fadd(xs[j], xs[11 - j]) for j in range(6)]
                    w = [builder.fsub(xs[j], xs[11 - j]) for j in range(6)]
                    for q in range(4):                  # S0 D0 S1 D1
                        src = u if q % 2 == 0 else w
                        acc = builder.fmul(f[6 * q], src[0])
                        for j in range(1, 6):
                            acc = builder.call(fma, [f[6 * q + j], src[j], acc])
                        peaks.append(builder.call(fabs, [acc]))
                ys = [builder.fadd(peaks[2 * q], peaks[2 * q + 1]) for q in range(2 * vectors)]
                # a tree of ordered compares (one vmaxpd each; a NaN is never
                # chosen over a number at the last step)
                while len(ys) > 1:
                    ys = [gt(ys[q], ys[q + 1]) for q in range(0, len(ys), 2)]
                old = builder.load(best)
                builder.store(gt(ys[0], old), best)
            y = builder.load(best)
            out = builder.extract_element(y, ir.Constant(ir.IntType(32), 0))
            for q in range(1, 4):
                out = gt(builder.extract_element(y, ir.Constant(ir.IntType(32), q)), out)
            return out

        return types.float64(hx, groups, F), codegen

    return _run


_ANNEX_VECTORS = 1                     # vectors of two frames an iteration, a power of two (1, 2, 4 measured alike)
_annex_fold = _peak_fold_intrinsic(_ANNEX_VECTORS)


def annex_folded(H):
    """The Annex 2 phases (4 x 12, each reversed: oldest tap first) folded for
    annex_peak: the filter is symmetric (phase 3 is phase 0 reversed, phase 2
    is phase 1 reversed), so with u_j = x_j + x_11-j and w_j = x_j - x_11-j,
    half the sum of phases p and 3-p is S_p = sum (h_p[j] + h_p[11-j]) / 2 * u_j
    and half their difference is D_p = sum (h_p[j] - h_p[11-j]) / 2 * w_j
    (j < 6); the larger magnitude of the two phases is then |S_p| + |D_p|.
    Half the multiply-adds. Returns (S0 D0 S1 D1) x 6 coefficients."""
    import numpy as np
    H = np.asarray(H, dtype=np.float64).reshape(4, 12)
    if not (np.array_equal(H[3], H[0][::-1]) and np.array_equal(H[2], H[1][::-1])):
        raise ValueError("lanes.annex_folded: the interpolator is not symmetric "
                         "(phase 3 must be phase 0 reversed, phase 2 phase 1 reversed)")
    rows = []
    for p in range(2):
        rows.append((H[p, :6] + H[p, 11:5:-1]) / 2)
        rows.append((H[p, :6] - H[p, 11:5:-1]) / 2)
    return np.concatenate(rows)


@njit(**JIT)
def annex_peak(hx, count, F):
    """BS.1770 Annex 2 true peak of a channel pair over count frames: the
    largest |y| of the interpolator's four phases, both channels (NaN samples
    do not raise it).
    hx holds the pair frame-major (left, right), with the 11 frames before the
    first at its head; F is annex_folded(phases). A vector holds two frames of
    both channels; each sample is loaded once for every phase. The last
    count % (2 * _ANNEX_VECTORS) frames are done one at a time with the same
    operations in the same order, so a frame's figure does not depend on where
    a block ended."""
    if count < 0 or hx.shape[0] < 2 * (count + 11) or F.shape[0] < 24:
        raise ValueError("lanes.annex_peak: an array is shorter than its layout")
    per = 2 * _ANNEX_VECTORS
    groups = count // per
    best = _annex_fold(hx, groups, F)
    for i in range(per * groups, count):
        for ch in range(2):
            y = 0.0
            for p in range(2):
                s = F[12 * p] * (hx[2 * i + ch] + hx[2 * (i + 11) + ch])
                d = F[12 * p + 6] * (hx[2 * i + ch] - hx[2 * (i + 11) + ch])
                for j in range(1, 6):
                    s = fma(F[12 * p + j], hx[2 * (i + j) + ch] + hx[2 * (i + 11 - j) + ch], s)
                    d = fma(F[12 * p + 6 + j], hx[2 * (i + j) + ch] - hx[2 * (i + 11 - j) + ch], d)
                q = abs(s) + abs(d)
                if q > y or p == 0:
                    y = q
            if y > best:
                best = y
    return best


_MS = tuple(_make(2, q) for q in range(1, 10))
_MS1, _MS2, _MS3, _MS4, _MS5, _MS6, _MS7, _MS8, _MS9 = _MS


@njit(**JIT)
def cascade2(nsec, x, y, count, c, s):
    """Two lanes (mid and side) through nsec (1..9) sections, transposed direct
    form II: the EQ's block path."""
    if nsec == 1:
        _MS1(x, y, count, c, s)
    elif nsec == 2:
        _MS2(x, y, count, c, s)
    elif nsec == 3:
        _MS3(x, y, count, c, s)
    elif nsec == 4:
        _MS4(x, y, count, c, s)
    elif nsec == 5:
        _MS5(x, y, count, c, s)
    elif nsec == 6:
        _MS6(x, y, count, c, s)
    elif nsec == 7:
        _MS7(x, y, count, c, s)
    elif nsec == 8:
        _MS8(x, y, count, c, s)
    elif nsec == 9:
        _MS9(x, y, count, c, s)


@njit(inline="always", **JIT)
def k_powers(kx, m, kl, ks):
    """K-weight m frames of two stereo pairs side by side (kx frame-major:
    pair a's left, right, then pair b's, in place) and return each pair's
    summed power: the loudness trackers' block sums."""
    k_weight4(kx, kx, m, kl, ks)
    a = 0.0
    b = 0.0
    for i in range(m):
        a += kx[4 * i] * kx[4 * i] + kx[4 * i + 1] * kx[4 * i + 1]
        b += kx[4 * i + 2] * kx[4 * i + 2] + kx[4 * i + 3] * kx[4 * i + 3]
    return a, b
