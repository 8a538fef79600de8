"""The meter's per-frame work for a channel pair, as one vector loop.

A frame of the pair is one <2 x double> vector (left, right). The K-weighting
(two direct form I biquads, as lanes.cascade) is a recurrence: each frame waits
on one fused multiply-add of the last. The rest of the meter's per-frame work
does not wait on the previous frame's K-weighting, so this loop does it in the
recurrence's shadow instead of in loops of its own that would each read and
write the pass again: reading the block (float32 or float64), the Annex 2
history (the pair frame-major, as lanes.annex_peak reads it), the sample peak,
and the sub-block's running sums: the weighted K-energy per channel (g * y^2)
and the products for the correlation (L*L, R*R, L*R). Each running sum waits
on one addition a frame, less than the recurrence.

Nothing here allocates; every array is the caller's.
"""
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from .common import JIT
from .lanes import df1_step

_F64 = ir.DoubleType()
_V2 = ir.VectorType(_F64, 2)
_I64 = ir.IntType(64)
_I32 = ir.IntType(32)


def _pair_intrinsic(pair, corr, tp=True):
    vp = _V2.as_pointer()

    @intrinsic
    def _run(typingctx, x, c0, m, c, coef, state, hx, g, left, sub, out):
        if not (isinstance(x, types.Array) and x.ndim == 2 and x.dtype in (types.float32, types.float64)):
            return None
        for a in (coef, state, hx, g, out):
            if not (isinstance(a, types.Array) and a.dtype == types.float64 and a.ndim == 1):
                return None

        def codegen(context, builder, sig, args):
            xty = sig.args[0]
            xa = context.make_array(xty)(context, builder, args[0])
            c0, m, c = args[1], args[2], args[3]
            ca, sa, hxa, ga = (context.make_array(sig.args[i])(context, builder, args[i]) for i in range(4, 8))
            left0, sub = args[8], args[9]
            oa = context.make_array(sig.args[10])(context, builder, args[10])
            mod = builder.module
            fma = cgutils.get_or_insert_function(mod, ir.FunctionType(_V2, [_V2, _V2, _V2]), "llvm.fma.v2f64")
            fabs = cgutils.get_or_insert_function(mod, ir.FunctionType(_V2, [_V2]), "llvm.fabs.v2f64")
            zero = ir.Constant(_V2, [0.0, 0.0])
            i0 = ir.Constant(_I32, 0)
            i1 = ir.Constant(_I32, 1)

            def vec(ptr, index):
                return builder.bitcast(builder.gep(ptr, [index]), vp)

            def k(n):
                return ir.Constant(_I64, n)

            coefs = [[builder.load(vec(ca.data, k((q * 5 + j) * 2)), align=8) for j in range(5)]
                     for q in range(2)]
            coefs = [[b0, b1, b2, builder.fneg(a1), builder.fneg(a2)] for b0, b1, b2, a1, a2 in coefs]
            gv = builder.load(vec(ga.data, k(0)), align=8)
            # direct form I, two sections in cascade: the second's inputs are the
            # first's outputs, so x1 x2 (first) and y1 y2 of each is the whole state
            words = []
            for q, w in ((0, 0), (0, 1), (0, 2), (0, 3), (1, 2), (1, 3)):
                slot = cgutils.alloca_once(builder, _V2)
                builder.store(builder.load(vec(sa.data, k((q * 4 + w) * 2)), align=8), slot)
                words.append(slot)
            px1, px2, py1, py2, pz1, pz2 = words
            # the sub-block's running sums, in time order: g * y^2 per lane, and
            # for the correlation (L*L, R*R) and (L*R, R*L)
            sums = []
            for w in range(3):
                slot = cgutils.alloca_once(builder, _V2)
                builder.store(builder.load(vec(sa.data, k(16 + 2 * w)), align=8), slot)
                sums.append(slot)
            pe, psq, plr = sums
            # frames left in the sub-block, and sub-blocks completed in this call
            p_rem = cgutils.alloca_once_value(builder, left0)
            p_done = cgutils.alloca_once_value(builder, k(0))
            peak = cgutils.alloca_once(builder, _V2)
            builder.store(zero, peak)
            cb = builder.add(c, ir.Constant(c.type, 1))
            adjacent = pair and xty.layout == "C"
            et = ir.FloatType() if xty.dtype == types.float32 else _F64
            with cgutils.for_range(builder, m) as loop:
                i = loop.index
                row = builder.add(c0, i)
                p_x = cgutils.get_item_pointer(context, builder, xty, xa, [row, c])
                if adjacent:
                    # both channels with one load (a C-contiguous block)
                    v = builder.load(builder.bitcast(p_x, ir.VectorType(et, 2).as_pointer()), align=4)
                    if et != _F64:
                        v = builder.fpext(v, _V2)
                else:
                    left = builder.load(p_x)
                    right = (builder.load(cgutils.get_item_pointer(context, builder, xty, xa, [row, cb]))
                             if pair else ir.Constant(et, 0.0))
                    ev = ir.Constant(ir.VectorType(et, 2), [0.0, 0.0])
                    v = builder.insert_element(builder.insert_element(ev, left, i0), right, i1)
                    if et != _F64:
                        v = builder.fpext(v, _V2)
                if tp:
                    two_i = builder.mul(i, k(2))
                    builder.store(v, vec(hxa.data, builder.add(two_i, k(22))), align=8)
                a = builder.call(fabs, [v])
                old = builder.load(peak)
                # ordered compare: a NaN sample does not raise the peak
                builder.store(builder.select(builder.fcmp_ordered(">", a, old), a, old), peak)
                if corr:
                    swapped = builder.shuffle_vector(v, v, ir.Constant(ir.VectorType(_I32, 2), [1, 0]))
                    builder.store(builder.fadd(builder.load(plr), builder.fmul(v, swapped)), plr)
                    builder.store(builder.fadd(builder.load(psq), builder.fmul(v, v)), psq)
                # K-weighting: the second section's x1 x2 are the first's y1 y2
                x1, x2, y1, y2 = (builder.load(p) for p in (px1, px2, py1, py2))
                y = df1_step(builder, fma, coefs[0], v, x1, x2, y1, y2)
                builder.store(x1, px2)
                builder.store(v, px1)
                builder.store(y1, py2)
                builder.store(y, py1)
                z1, z2 = builder.load(pz1), builder.load(pz2)
                z = df1_step(builder, fma, coefs[1], y, y1, y2, z1, z2)
                builder.store(z1, pz2)
                builder.store(z, pz1)
                builder.store(builder.fadd(builder.load(pe), builder.fmul(gv, builder.fmul(z, z))), pe)
                # the end of a sub-block: its sums to out (6 words each), and
                # the running sums start again from zero
                nleft = builder.sub(builder.load(p_rem), k(1))
                builder.store(nleft, p_rem)
                with cgutils.if_unlikely(builder, builder.icmp_signed("==", nleft, k(0))):
                    done = builder.load(p_done)
                    base = builder.mul(done, k(6))
                    for w in range(3):
                        builder.store(builder.load(sums[w]), vec(oa.data, builder.add(base, k(2 * w))), align=8)
                        builder.store(zero, sums[w])
                    builder.store(builder.add(done, k(1)), p_done)
                    builder.store(sub, p_rem)
            # back to the layout: section 2's x1 x2 are section 1's y1 y2
            y1, y2 = builder.load(py1), builder.load(py2)
            for (q, w), val in (((0, 0), builder.load(px1)), ((0, 1), builder.load(px2)),
                                ((0, 2), y1), ((0, 3), y2), ((1, 0), y1), ((1, 1), y2),
                                ((1, 2), builder.load(pz1)), ((1, 3), builder.load(pz2))):
                builder.store(val, vec(sa.data, k((q * 4 + w) * 2)), align=8)
            for w in range(3):
                builder.store(builder.load(sums[w]), vec(sa.data, k(16 + 2 * w)), align=8)
            pk = builder.load(peak)
            p0, p1 = builder.extract_element(pk, i0), builder.extract_element(pk, i1)
            return builder.select(builder.fcmp_ordered(">", p1, p0), p1, p0)

        return types.float64(x, c0, m, c, coef, state, hx, g, left, sub, out), codegen

    return _run


_STEREO = _pair_intrinsic(True, True)
_PAIR = _pair_intrinsic(True, False)
_ONE = _pair_intrinsic(False, False)
# without the Annex 2 history (a file's true peak is then measured on another
# thread: meters.slot_peaks)
_STEREO_L = _pair_intrinsic(True, True, False)
_PAIR_L = _pair_intrinsic(True, False, False)
_ONE_L = _pair_intrinsic(False, False, False)
STATE_WORDS = 22


@njit(inline="always", **JIT)
def completions(m, left, sub):
    """Sub-blocks that end within m frames when ``left`` frames remain in the current one."""
    return 0 if m < left else 1 + (m - left) // sub


@njit(**JIT)
def meter_pair(x, c0, m, c, pair, corr, tp, coef, state, hx, g, left, sub, out):
    """Frames c0..c0+m of channels c and c+1 of x (or c alone when not
    ``pair``, with silence in the right lane): returns their sample peak (NaN
    samples do not raise it).

    coef: the K-weighting, [section][b0 b1 b2 a1 a2][lane] (2 x 5 x 2);
    state: [0:16] its direct form I words, [section][x1 x2 y1 y2][lane];
      [16:18] the current sub-block's running sums of g[0] * yL^2, g[1] * yR^2
      (the K-weighted signal); with ``corr`` (channels 0 and 1), [18:20] of
      L*L, R*R and [20:22] of L*R (twice). The sums are added to frame by frame
      in time order, so they come out the same however a block was split;
    left, sub: frames left in the current sub-block (1..sub), and its length:
      where one ends, its six sums go to out (6 words a sub-block, in order)
      and the running sums restart from zero;
    hx: with ``tp``, the pair's samples frame-major go to [22:22 + 2m]."""
    if (m < 0 or c0 < 0 or c0 + m > x.shape[0] or c < 0 or c + (1 if pair else 0) >= x.shape[1]
            or coef.shape[0] < 20 or state.shape[0] < STATE_WORDS
            or (tp and hx.shape[0] < 2 * (11 + m)) or g.shape[0] < 2
            or sub < 1 or left < 1 or left > sub or out.shape[0] < 6 * completions(m, left, sub)):
        raise ValueError("meter_lanes.meter_pair: an index or an array is outside its layout")
    if corr and not pair:
        raise ValueError("meter_lanes.meter_pair: the correlation needs a pair")
    if tp:
        if corr:
            return _STEREO(x, c0, m, c, coef, state, hx, g, left, sub, out)
        if pair:
            return _PAIR(x, c0, m, c, coef, state, hx, g, left, sub, out)
        return _ONE(x, c0, m, c, coef, state, hx, g, left, sub, out)
    if corr:
        return _STEREO_L(x, c0, m, c, coef, state, hx, g, left, sub, out)
    if pair:
        return _PAIR_L(x, c0, m, c, coef, state, hx, g, left, sub, out)
    return _ONE_L(x, c0, m, c, coef, state, hx, g, left, sub, out)
