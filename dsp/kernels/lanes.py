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
                        # x1 x2 y1 y2: only the last multiply-add waits on y1
                        p1, p2, p3, p4 = state[q]
                        x1, x2, y1, y2 = (builder.load(p) for p in (p1, p2, p3, p4))
                        t = builder.call(fma, [b2, x2, builder.fmul(b0, v)])
                        t = builder.call(fma, [b1, x1, t])
                        t = builder.call(fma, [na2, y2, t])
                        out = builder.call(fma, [na1, y1, t])
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


def _peak_pair_intrinsic(taps, phases):
    vt = ir.VectorType(_F64, 4)
    vp = vt.as_pointer()
    i64 = ir.IntType(64)

    @intrinsic
    def _run(typingctx, hx, groups, H):
        for a in (hx, H):
            if not (isinstance(a, types.Array) and a.dtype == types.float64 and a.ndim == 1):
                return None

        def codegen(context, builder, sig, args):
            xa, Ha = (context.make_array(sig.args[i])(context, builder, args[i]) for i in (0, 2))
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

            zero = ir.Constant(vt, [0.0] * 4)
            best = cgutils.alloca_once(builder, vt)
            builder.store(zero, best)
            with cgutils.for_range(builder, args[1]) as loop:
                i0 = builder.mul(loop.index, ir.Constant(i64, 8))      # 4 frames x 2 channels
                acc = [zero] * (2 * phases)          # [frames i, i+1 | frames i+2, i+3][phase]
                for j in range(taps):
                    k = builder.add(i0, ir.Constant(i64, 2 * j))
                    xa_ = vload(k)
                    xb_ = vload(builder.add(k, ir.Constant(i64, 4)))
                    for p in range(phases):
                        hs = splat(builder.load(builder.gep(Ha.data, [ir.Constant(i64, p * taps + j)])))
                        acc[p] = builder.call(fma, [hs, xa_, acc[p]])
                        acc[phases + p] = builder.call(fma, [hs, xb_, acc[phases + p]])
                # a tree of ordered compares (one vmaxpd each; a NaN is never
                # chosen over a number at the last step)
                ys = [builder.call(fabs, [a]) for a in acc]
                while len(ys) > 1:
                    ys = [gt(ys[q], ys[q + 1]) for q in range(0, len(ys), 2)]
                old = builder.load(best)
                builder.store(gt(ys[0], old), best)
            y = builder.load(best)
            out = builder.extract_element(y, ir.Constant(ir.IntType(32), 0))
            for q in range(1, 4):
                out = gt(builder.extract_element(y, ir.Constant(ir.IntType(32), q)), out)
            return out

        return types.float64(hx, groups, H), codegen

    return _run


_annex_pair4 = _peak_pair_intrinsic(12, 4)


@njit(**JIT)
def annex_peak(hx, count, H):
    """BS.1770 Annex 2 true peak of a channel pair over count frames: the
    largest |y| of the interpolator's four phases, both channels (NaN samples
    do not raise it).
    hx holds the pair frame-major (left, right), with the 11 frames before the
    first at its head; H the four phases' 12 taps, each reversed (oldest
    first), phase after phase. A vector holds two frames of both channels: each
    tap's samples are loaded once for all four phases and eight sums (two
    vectors of frames x four phases) overlap. The last count % 4 frames are done
    one at a time with the same fused multiply-adds in the same order, so a
    frame's figure does not depend on where a block ended."""
    if count < 0 or hx.shape[0] < 2 * (count + 11) or H.shape[0] < 48:
        raise ValueError("lanes.annex_peak: an array is shorter than its layout")
    groups = count // 4
    best = _annex_pair4(hx, groups, H)
    for i in range(4 * groups, count):
        for ch in range(2):
            for p in range(4):
                y = 0.0
                for j in range(12):
                    y = fma(H[12 * p + j], hx[2 * (i + j) + ch], y)
                if abs(y) > best:
                    best = abs(y)
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
