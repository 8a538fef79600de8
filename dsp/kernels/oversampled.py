"""The oversampled section: saturation -> stereo -> clipper at 4x the base rate.

The three modules that follow each other in the chain share one 4x domain, so the
linear-phase filters' latency (47 base samples) is paid once. The filters run on
every sample whether or not a module is engaged: constant CPU load, and warm
filter histories, so engaging a module never replays stale samples.

When none of the three modules does anything (designed off the thread), the
section crossfades to its dry path: the input delayed by exactly the filters'
latency, so a neutral chain stays bit-transparent.

4x is two halfband stages, 1x<->2x (83 taps, A) and 2x<->4x (23 taps, B). A
halfband filter's taps at even distances from the centre are zero, so one of its
two polyphase branches is a pure delay: interpolation computes one dot product
per output pair, decimation one dot product plus one tap per output.
  up:   u[2n] = sum_j 2 hA[2j] x[n-j],      u[2n+1] = x[n - (cA-1)/2]
        w[2m] = sum_j 2 hB[2j] u[m-j],      w[2m+1] = u[m - (cB-1)/2]
  down: v[m]  = sum_j hB[2j] z[2m-2-2j] + z[2m-2-cB] / 2   (2 extra 4x samples of
        delay make the total a whole number of base samples)
        y[n]  = sum_j hA[2j] v[2n-2j] + v[2n-cA] / 2
"""
import math

from numba import njit

from .common import (BIQ, FAST, JIT, abs_bits, biquad, coefs, df1_step, fast_tanh, fir,
                     float_of_bits, flush_denormals, ramp_frame)
from .layout import Layout

FACTOR = 4
A_LEN, B_LEN = 83, 23             # halfband lengths (4k + 3: centre on an odd index)
A_C, B_C = (A_LEN - 1) // 2, (B_LEN - 1) // 2
A_TAPS, B_TAPS = (A_LEN + 1) // 2, (B_LEN + 1) // 2   # the even-index taps
A_HALF, B_HALF = (A_C - 1) // 2, (B_C - 1) // 2        # pure-delay branch, in samples
A_ODD_BACK = (A_C + 1) // 2       # v[2n - A_C] is this many odd v's back
B_ODD_BACK = (B_C + 3) // 2       # z[2m - 2 - B_C] is this many odd z's back
LATENCY = A_C + (2 * B_C + 2) // 4   # base samples, up + down

# T, smoothed
_T = Layout()
SEC_MIX = _T.take()
SAT_MIX, SAT_PRE, SAT_POST, SAT_TUBE, SAT_WET = _T.each(5)
ST_MIX, ST_SIDE, ST_GL, ST_GR, ST_MONO = _T.each(5)
ST_HP = _T.take(BIQ)              # side high-pass at 4x (used twice: LR4)
CL_MIX, CL_CEIL, CL_THR = _T.each(3)
N_SMOOTH = _T.size
# T, constant
TUBE_BIAS, TUBE_OFF, TUBE_NORM = _T.each(3)
DC = _T.take(BIQ)                 # tube DC blocker at 4x (biquad)
A_UP = _T.take(A_TAPS)            # 2 hA[2j], reversed (oldest first)
A_DN = _T.take(A_TAPS)            # hA[2j], reversed
B_UP = _T.take(B_TAPS)
B_DN = _T.take(B_TAPS)
T_SIZE = _T.size
# S: per channel, one linear buffer per filter input, its history at the head.
# A block is filtered stage by stage (all of its up-sampling, then the 4x
# modules, then all of its down-sampling): the dot products of one stage are
# independent of each other, so the CPU overlaps them, where a sample carried
# through every stage at once waits on each result in turn. After the block
# the newest history slides to the head.
MAXN = 64                         # frames per pass: the buffers stay small enough for L1
HX, HU, HZE, HZO, HVE, HVO = A_TAPS - 1, B_TAPS - 1, B_TAPS, B_ODD_BACK, A_TAPS - 1, A_ODD_BACK
BUF_HIST = (HX, HU, HZE, HZO, HVE, HVO)
BUF_LEN = (HX + MAXN, HU + 2 * MAXN, HZE + 2 * MAXN, HZO + 2 * MAXN, HVE + MAXN, HVO + MAXN)
BUF_NEW = (1, 2, 2, 2, 1, 1)      # new values per base frame
_S = Layout(N_SMOOTH)
BUF_BASE = tuple(_S.take(2 * n) for n in BUF_LEN)   # 2 channels each
BX, BU, BZE, BZO, BVE, BVO = BUF_BASE
DRY_RING = 64
S_DRY = _S.take(2 * DRY_RING)
S_DRYP = _S.take()
S_MONO = _S.take(8)               # 2 sections x x1 x2 y1 y2 (direct form I)
S_DC = _S.take(4)                 # 2 ch x 2 words
S_CLIP_GR = _S.take()             # clipper reduction meter, dB (decaying peak)
# scratch, rewritten every pass: the section mix and the dry path per frame
S_SMIX = _S.take(MAXN)
S_DRYL = _S.take(MAXN)
S_DRYR = _S.take(MAXN)
S_ACC = _S.take(2 * MAXN)         # one stage's filter outputs
SCR = 2 * MAXN
S_SCR = _S.take(8 * SCR)          # the 4x modules' intermediate values
S_SIZE = _S.size


@njit(inline="always", **JIT)
def _saturate(x, S, T, ch):
    d = S[SAT_PRE] * x
    tape = fast_tanh(d)
    tube = S[SAT_TUBE]
    curve = tape
    if tube != 0.0:
        tb = (fast_tanh(d + T[TUBE_BIAS]) - T[TUBE_OFF]) * T[TUBE_NORM]
        tb = biquad(tb, T, DC, S, S_DC + 2 * ch)
        curve = tape + tube * (tb - tape)
    wet = S[SAT_POST] * curve
    return x + S[SAT_WET] * (wet - x)


@njit(inline="always", **JIT)
def _clip(x, thr, ceil):
    """The clipper's curve: x up to thr, then a tanh knee into ceil (a hard
    clip when the knee has no width). Selects, no branch, so a block loop of
    it vectorises."""
    a = abs(x)
    span = ceil - thr
    soft = thr + span * fast_tanh((a - thr) / span)
    y = ceil if span <= 1e-12 else soft
    c = y if x > 0.0 else -y
    return x if a <= thr else c


@njit(**JIT)
def process(buf, n, T, S, ramp, k):
    clip_peak = 1.0            # largest in/out ratio of the clipper in this block
    c0 = 0
    while c0 < n:
        m = min(MAXN, n - c0)
        clip_peak = max(clip_peak, _pass(buf, c0, m, T, S, ramp - c0, k))
        c0 += m
    # clipper meter: a peak that decays by ~0.5 dB per 128 samples
    db = 20.0 * math.log10(clip_peak)
    S[S_CLIP_GR] = max(db, S[S_CLIP_GR] * 0.98 ** (n / 128.0))
    flush_denormals(S, S_MONO, 12)        # the mono-bass high-pass and the DC blockers


@njit(inline="always", **JIT)
def _buf(S, base, length, ch):
    return S[base + ch * length:base + (ch + 1) * length]


@njit(inline="always", **JIT)
def _dry_path(buf, c0, m, S):
    """The section's dry path: the pass's input delayed by LATENCY, per frame."""
    dry_p = int(S[S_DRYP])
    for i in range(m):
        rd = (dry_p - LATENCY) % DRY_RING
        S[S_DRYL + i] = S[S_DRY + rd]
        S[S_DRYR + i] = S[S_DRY + DRY_RING + rd]
        S[S_DRY + dry_p] = buf[c0 + i, 0]
        S[S_DRY + DRY_RING + dry_p] = buf[c0 + i, 1]
        dry_p = (dry_p + 1) % DRY_RING
    S[S_DRYP] = dry_p


@njit(**JIT)
def _modules_ramping(m, T, S, ramp, k):
    """The 4x modules while a parameter ramp runs: one 4x sample at a time,
    both channels together, every frame's values smoothed before use."""
    zel = _buf(S, BZE, BUF_LEN[2], 0)
    zer = _buf(S, BZE, BUF_LEN[2], 1)
    zol = _buf(S, BZO, BUF_LEN[3], 0)
    zor = _buf(S, BZO, BUF_LEN[3], 1)
    clip_peak = 1.0
    for i in range(m):
        active = ramp_frame(T, S, N_SMOOTH, ramp, i, k)
        S[S_SMIX + i] = S[SEC_MIX]
        sat_on = S[SAT_MIX] != 0.0 or active
        st_on = S[ST_MIX] != 0.0 or active
        cl_on = S[CL_MIX] != 0.0 or active
        if not (sat_on or st_on or cl_on):
            continue
        for half in range(2):
            j = 2 * i + half
            for q in range(2):
                if q == 0:
                    zl = zel[HZE + j]
                    zr = zer[HZE + j]
                else:
                    zl = zol[HZO + j]
                    zr = zor[HZO + j]
                if sat_on:
                    mx = S[SAT_MIX]
                    zl += mx * (_saturate(zl, S, T, 0) - zl)
                    zr += mx * (_saturate(zr, S, T, 1) - zr)
                if st_on:
                    mid = 0.5 * (zl + zr)
                    side = 0.5 * (zl - zr) * S[ST_SIDE]
                    if S[ST_MONO] != 0.0 or T[ST_MONO] != 0.0:
                        side += S[ST_MONO] * (_mono_hp(side, coefs(S, ST_HP), S) - side)
                    else:          # off at both ends of the ramp: as _modules_steady
                        for w in range(S_MONO, S_MONO + 8):
                            S[w] = 0.0
                    mx = S[ST_MIX]
                    zl += mx * ((mid + side) * S[ST_GL] - zl)
                    zr += mx * ((mid - side) * S[ST_GR] - zr)
                if cl_on:
                    zl, p = _clip_mix(zl, S[CL_THR], S[CL_CEIL], S[CL_MIX])
                    clip_peak = max(clip_peak, p)
                    zr, p = _clip_mix(zr, S[CL_THR], S[CL_CEIL], S[CL_MIX])
                    clip_peak = max(clip_peak, p)
                if q == 0:
                    zel[HZE + j] = zl
                    zer[HZE + j] = zr
                else:
                    zol[HZO + j] = zl
                    zor[HZO + j] = zr
    return clip_peak


@njit(inline="always", **JIT)
def _clip_ratio(x, thr, ceil):
    """The clip's in/out ratio at x (1 where it does not reduce x)."""
    a = abs(x)
    ac = abs(_clip(x, thr, ceil))
    return a / ac if a > ac and ac > 0.0 else 1.0


@njit(inline="always", **JIT)
def _clip_mix(x, thr, ceil, mx):
    """(x moved toward its clipped value by mx, in/out ratio of the clip or 1)."""
    return x + mx * (_clip(x, thr, ceil) - x), _clip_ratio(x, thr, ceil)


@njit(inline="always", **JIT)
def _z(S, base, length, hist, ch, count):
    """The pass's 4x values of one channel and parity (a view from index 0, so
    loops over it vectorise)."""
    o = base + ch * length + hist
    return S[o:o + count]


@njit(inline="always", **FAST)
def _mono_bass(se, so, n2, mono, S):
    """The side (its even and odd 4x samples) with mono bass: its high-passed
    share moved in by ``mono``, in time order. Direct form I (common.df1_step):
    at 4x this recurrence is eight serial biquad steps a frame, and DF I's
    steps wait on one multiply-add each, not two."""
    c = coefs(S, ST_HP)
    a1, a2, a3, a4 = S[S_MONO], S[S_MONO + 1], S[S_MONO + 2], S[S_MONO + 3]
    b1, b2, b3, b4 = S[S_MONO + 4], S[S_MONO + 5], S[S_MONO + 6], S[S_MONO + 7]
    for j in range(n2):
        v = se[j]
        y, a1, a2, a3, a4 = df1_step(v, c, a1, a2, a3, a4)
        hp, b1, b2, b3, b4 = df1_step(y, c, b1, b2, b3, b4)
        se[j] = v + mono * (hp - v)
        v = so[j]
        y, a1, a2, a3, a4 = df1_step(v, c, a1, a2, a3, a4)
        hp, b1, b2, b3, b4 = df1_step(y, c, b1, b2, b3, b4)
        so[j] = v + mono * (hp - v)
    S[S_MONO], S[S_MONO + 1], S[S_MONO + 2], S[S_MONO + 3] = a1, a2, a3, a4
    S[S_MONO + 4], S[S_MONO + 5], S[S_MONO + 6], S[S_MONO + 7] = b1, b2, b3, b4


@njit(inline="always", **JIT)
def _mono_hp(x, c, S):
    """One 4x sample of the side through the mono-bass high-pass (LR4: the
    section twice), its state in S: the ramping path's form of _mono_bass."""
    y, S[S_MONO], S[S_MONO + 1], S[S_MONO + 2], S[S_MONO + 3] = df1_step(
        x, c, S[S_MONO], S[S_MONO + 1], S[S_MONO + 2], S[S_MONO + 3])
    y, S[S_MONO + 4], S[S_MONO + 5], S[S_MONO + 6], S[S_MONO + 7] = df1_step(
        y, c, S[S_MONO + 4], S[S_MONO + 5], S[S_MONO + 6], S[S_MONO + 7])
    return y


@njit(**FAST)
def _modules_steady(m, T, S):
    """The 4x modules with no ramp running: every value is constant for the
    pass, so each module runs over the whole block at once, stage by stage:
    element-wise loops (tanh, mixes, the clip) vectorise, and only the
    recurrences (the tube's DC blocker, the mono-bass high-pass) run one sample
    at a time, in time order (the even 4x sample j, then the odd one)."""
    n2 = 2 * m
    sat_on = S[SAT_MIX] != 0.0
    st_on = S[ST_MIX] != 0.0
    cl_on = S[CL_MIX] != 0.0
    sm = S[SEC_MIX]
    for i in range(m):
        S[S_SMIX + i] = sm
    z = (_z(S, BZE, BUF_LEN[2], HZE, 0, n2), _z(S, BZO, BUF_LEN[3], HZO, 0, n2),
         _z(S, BZE, BUF_LEN[2], HZE, 1, n2), _z(S, BZO, BUF_LEN[3], HZO, 1, n2))
    scr = (S[S_SCR:S_SCR + n2], S[S_SCR + SCR:S_SCR + SCR + n2],
           S[S_SCR + 2 * SCR:S_SCR + 2 * SCR + n2], S[S_SCR + 3 * SCR:S_SCR + 3 * SCR + n2])
    tape = (S[S_SCR + 4 * SCR:S_SCR + 4 * SCR + n2], S[S_SCR + 5 * SCR:S_SCR + 5 * SCR + n2],
            S[S_SCR + 6 * SCR:S_SCR + 6 * SCR + n2], S[S_SCR + 7 * SCR:S_SCR + 7 * SCR + n2])
    if sat_on:
        mx = S[SAT_MIX]
        pre = S[SAT_PRE]
        post = S[SAT_POST]
        wet = S[SAT_WET]
        tube = S[SAT_TUBE]
        if tube == 0.0:
            for b in range(4):
                zb = z[b]
                for j in range(n2):
                    x = zb[j]
                    sat = x + wet * (post * fast_tanh(pre * x) - x)
                    zb[j] = x + mx * (sat - x)
        else:
            bias = T[TUBE_BIAS]
            off = T[TUBE_OFF]
            norm = T[TUBE_NORM]
            for b in range(4):
                zb = z[b]
                tb = scr[b]
                tp = tape[b]
                for j in range(n2):
                    d = pre * zb[j]
                    tp[j] = fast_tanh(d)
                    tb[j] = (fast_tanh(d + bias) - off) * norm
            # the DC blocker, in time order per channel (state S_DC + 2 ch)
            for j in range(n2):
                for b in range(4):
                    scr[b][j] = biquad(scr[b][j], T, DC, S, S_DC + 2 * (b // 2))
            for b in range(4):
                zb = z[b]
                tb = scr[b]
                tp = tape[b]
                for j in range(n2):
                    x = zb[j]
                    curve = tp[j] + tube * (tb[j] - tp[j])
                    sat = x + wet * (post * curve - x)
                    zb[j] = x + mx * (sat - x)
    if st_on:
        mx = S[ST_MIX]
        sd = S[ST_SIDE]
        mono = S[ST_MONO]
        gl = S[ST_GL]
        gr = S[ST_GR]
        for q in range(2):
            zl = z[q]
            zr = z[2 + q]
            side = scr[q]
            for j in range(n2):
                side[j] = 0.5 * (zl[j] - zr[j]) * sd
        if mono != 0.0:
            _mono_bass(scr[0], scr[1], n2, mono, S)
        else:
            # Off and settled, side + 0 x (hp - side) is the side exactly: the
            # high-pass (eight serial biquad steps a frame at 4x) rests, emptied,
            # so switching it on ramps its share up from a filter at silence.
            for j in range(S_MONO, S_MONO + 8):
                S[j] = 0.0
        for q in range(2):
            zl = z[q]
            zr = z[2 + q]
            side = scr[q]
            for j in range(n2):
                l = zl[j]
                r = zr[j]
                mid = 0.5 * (l + r)
                zl[j] = l + mx * ((mid + side[j]) * gl - l)
                zr[j] = r + mx * ((mid - side[j]) * gr - r)
    clip_peak = 1.0
    if cl_on:
        mx = S[CL_MIX]
        thr = S[CL_THR]
        ceil = S[CL_CEIL]
        top = 0                    # the largest |x| of the pass, as its bits
        for b in range(4):
            zb = z[b]
            for j in range(n2):
                x = zb[j]
                top = max(top, abs_bits(x))
                zb[j] = x + mx * (_clip(x, thr, ceil) - x)
        # The curve is concave from zero, so the in/out ratio grows with |x|:
        # the pass's largest is the largest |x|'s (a NaN's is 1, as below).
        clip_peak = _clip_ratio(float_of_bits(top), thr, ceil)
    return clip_peak


@njit(**FAST)
def _pass(buf, c0, m, T, S, ramp, k):
    a_up = T[A_UP:A_UP + A_TAPS]
    a_dn = T[A_DN:A_DN + A_TAPS]
    b_up = T[B_UP:B_UP + B_TAPS]
    b_dn = T[B_DN:B_DN + B_TAPS]
    acc = S[S_ACC:S_ACC + 2 * MAXN]
    # 1. up: x -> u (2x) -> z (4x), each channel, stage by stage
    for ch in range(2):
        xb = _buf(S, BX, BUF_LEN[0], ch)
        ub = _buf(S, BU, BUF_LEN[1], ch)
        ze = _buf(S, BZE, BUF_LEN[2], ch)
        zo = _buf(S, BZO, BUF_LEN[3], ch)
        for i in range(m):
            xb[HX + i] = buf[c0 + i, ch]
        fir(a_up, xb, acc, m)                                      # x[i-A_TAPS+1 .. i]
        for i in range(m):
            ub[HU + 2 * i] = acc[i]
            ub[HU + 2 * i + 1] = xb[HX + i - A_HALF]
        fir(b_up, ub, acc, 2 * m)                                  # u[j-B_TAPS+1 .. j]
        for j in range(2 * m):
            ze[HZE + j] = acc[j]
            zo[HZO + j] = ub[HU + j - B_HALF]
    # 2. the 4x modules
    _dry_path(buf, c0, m, S)
    if ramp <= 0:
        clip_peak = _modules_steady(m, T, S)
    else:
        clip_peak = _modules_ramping(m, T, S, ramp, k)
    # 3. down: z (4x) -> v (2x) -> y, each channel, stage by stage
    for ch in range(2):
        ze = _buf(S, BZE, BUF_LEN[2], ch)
        zo = _buf(S, BZO, BUF_LEN[3], ch)
        ve = _buf(S, BVE, BUF_LEN[4], ch)
        vo = _buf(S, BVO, BUF_LEN[5], ch)
        # v[j]: the even z's before the newest, one odd z
        fir(b_dn, ze, acc, 2 * m)
        for i in range(m):
            ve[HVE + i] = acc[2 * i] + 0.5 * zo[2 * i]
            vo[HVO + i] = acc[2 * i + 1] + 0.5 * zo[2 * i + 1]
        fir(a_dn, ve, acc, m)
        for i in range(m):
            y = acc[i] + 0.5 * vo[i]
            sm = S[S_SMIX + i]
            d = S[S_DRYL + i] if ch == 0 else S[S_DRYR + i]
            buf[c0 + i, ch] = sm * y + (1.0 - sm) * d
        # slide the newest history to the head of every buffer
        for b in range(6):
            base = BUF_BASE[b] + ch * BUF_LEN[b]
            h = BUF_HIST[b]
            new = BUF_NEW[b] * m
            for t in range(h):
                S[base + t] = S[base + new + t]
    return clip_peak
