"""Three-band compressor kernel with Linkwitz-Riley 4th-order crossovers.

Split: low = LP4(f1) x, rest = HP4(f1) x, mid = LP4(f2) rest, high = HP4(f2) rest.
The low band also passes the all-pass that LP4(f2) + HP4(f2) equals, so the three
bands sum to AP(f2) AP(f1) x: flat magnitude with the compressors idle. Each LR4
filter is two identical Butterworth (Q = 1/sqrt 2) sections.

Per band: stereo-linked detector (the louder channel), gain computer with a 6 dB
knee, dB-domain ballistics, then band gain; bypass passes the band at unity, solo
mutes the bands that are not soloed (the mutes are designed off the thread).

Off and settled (no ramp), the module sleeps: it returns its input untouched
and keeps its filters and envelopes empty, so engaging it wakes it from silence.
"""

from numba import njit

from .common import BIQ, FAST, JIT, db_of, flush_denormals, fma, gain_of, ramp_frame
from .dynamics import ballistics, gain_computer
from .lanes import cascade4_2, cascade4_3
from .layout import Layout

KNEE_DB = 6.0
_B = Layout()                   # per band
B_THR, B_SLOPE, B_ATT, B_REL, B_GAIN, B_ACTIVE, B_AUDIBLE = _B.each(7)
B_SIZE = _B.size
_T = Layout()
MIX = _T.take()
LP1, HP1, LP2, HP2, AP2 = (_T.take(BIQ) for _ in range(5))
BAND = _T.take(3 * B_SIZE)
N_SMOOTH = T_SIZE = _T.size
# S: smoothed copies, then the crossovers' states, laid out for lanes.cascade:
# stage 1 splits each channel into low (LP1 twice, then the all-pass AP2) and
# the rest (HP1 twice, then a pass-through section), four lanes (low L, low R,
# rest L, rest R); stage 2 splits the rest into mid (LP2 twice) and high (HP2
# twice), lanes (mid L, mid R, high L, high R). Per section two words of four.
_S = Layout(N_SMOOTH)
LANES = 4
S_F1 = _S.take(3 * 2 * LANES)
S_F2 = _S.take(2 * 2 * LANES)
S_GR = _S.take(3)               # per band, dB
# scratch, rewritten every pass of at most MAXN frames: the two stages'
# coefficients per lane, their inputs and outputs frame-major, then per band
# the gain change (dB)
MAXN = 64
S_C1 = _S.take(3 * 5 * LANES)
S_C2 = _S.take(2 * 5 * LANES)
S_X1 = _S.take(LANES * MAXN)    # L R L R
S_Y1 = _S.take(LANES * MAXN)    # low L, low R, rest L, rest R
S_X2 = _S.take(LANES * MAXN)    # rest L R L R
S_Y2 = _S.take(LANES * MAXN)    # mid L, mid R, high L, high R
S_GRS = _S.take(3 * MAXN)
S_SIZE = _S.size


@njit(inline="always", **JIT)
def _section(v, S, ci, st, lane):
    """One sample of one lane through a crossover section (coefficients
    S[ci:ci+5], state at st), fused exactly as lanes.cascade fuses it, so the
    per-frame path and the block path give the same bits."""
    s1 = S[st + lane]
    y = fma(S[ci], v, s1)
    S[st + lane] = fma(-S[ci + 3], y, fma(S[ci + 1], v, S[st + LANES + lane]))
    S[st + LANES + lane] = fma(-S[ci + 4], y, S[ci + 2] * v)
    return y


@njit(inline="always", **JIT)
def _split(x, S, ch):
    """One sample of channel ch through the crossovers: (low, mid, high).
    (Stage 1's pass-through section on the rest lanes is skipped: it returns
    its input exactly and its state stays zero.)"""
    lo = _section(_section(_section(x, S, LP1, S_F1, ch), S, LP1, S_F1 + 2 * LANES, ch),
                  S, AP2, S_F1 + 4 * LANES, ch)
    rest = _section(_section(x, S, HP1, S_F1, 2 + ch), S, HP1, S_F1 + 2 * LANES, 2 + ch)
    mi = _section(_section(rest, S, LP2, S_F2, ch), S, LP2, S_F2 + 2 * LANES, ch)
    hi = _section(_section(rest, S, HP2, S_F2, 2 + ch), S, HP2, S_F2 + 2 * LANES, 2 + ch)
    return lo, mi, hi


@njit(inline="always", **JIT)
def _band_target(bl, br, S, o):
    """The gain computer's target for a band, from its stereo-linked level."""
    return _target_of(bl, br, S[o + B_THR], S[o + B_SLOPE])


@njit(inline="always", **JIT)
def _target_of(bl, br, thr, slope):
    return gain_computer(db_of(max(abs(bl), abs(br)) + 1e-30), thr, slope, KNEE_DB)


@njit(inline="always", **JIT)
def _band_gain(gr, S, o):
    return _gain_of_band(gr, S[o + B_ACTIVE], S[o + B_AUDIBLE], S[o + B_GAIN])


@njit(inline="always", **JIT)
def _gain_of_band(gr, act, audible, gain):
    return audible * (act * gain_of(gr) * gain + (1.0 - act))


@njit(**JIT)
def process(buf, n, T, S, ramp, k):
    if ramp <= 0 and S[MIX] == 0.0:
        # Off and settled: the module would return its input exactly (0 x wet +
        # 1 x dry), so it sleeps. Its filters and envelopes are emptied instead of
        # left stale: when it is engaged again (a ramp starts, so it runs) they
        # start from silence while the mix rises from zero over the ramp, the
        # same as a freshly reset chain (tests/test_chain.py measures the wake).
        for j in range(S_F1, S_GR + 3):
            S[j] = 0.0
        return
    c0 = 0
    while c0 < n:
        m = min(MAXN, n - c0)
        if ramp - c0 > 0:
            _ramping(buf, c0, m, T, S, ramp - c0, k)
        else:
            _steady(buf, c0, m, S)
        c0 += m
    flush_denormals(S, S_F1, S_GR - S_F1)


@njit(**JIT)
def _ramping(buf, c0, m, T, S, ramp, k):
    """While a ramp runs: one frame at a time, its values smoothed first."""
    for i in range(m):
        ramp_frame(T, S, N_SMOOTH, ramp, i, k)
        xl = buf[c0 + i, 0]
        xr = buf[c0 + i, 1]
        lo_l, mi_l, hi_l = _split(xl, S, 0)
        lo_r, mi_r, hi_r = _split(xr, S, 1)
        yl = 0.0
        yr = 0.0
        for b in range(3):
            if b == 0:
                bl, br = lo_l, lo_r
            elif b == 1:
                bl, br = mi_l, mi_r
            else:
                bl, br = hi_l, hi_r
            o = BAND + b * B_SIZE
            gr = ballistics(_band_target(bl, br, S, o), S[S_GR + b], S[o + B_ATT], S[o + B_REL])
            S[S_GR + b] = gr
            g = _band_gain(gr, S, o)
            yl += g * bl
            yr += g * br
        mix = S[MIX]
        buf[c0 + i, 0] = mix * yl + (1.0 - mix) * xl
        buf[c0 + i, 1] = mix * yr + (1.0 - mix) * xr


@njit(inline="always", **JIT)
def _lane_coefs(S, C, q, lo, hi):
    """Section q of a stage's lane coefficients: section ``lo`` (S's smoothed
    coefficients) on lanes 0 and 1, ``hi`` on lanes 2 and 3 (-1: pass-through)."""
    for k in range(5):
        a = S[lo + k]
        b = (1.0 if k == 0 else 0.0) if hi < 0 else S[hi + k]
        o = (q * 5 + k) * LANES
        C[o] = a
        C[o + 1] = a
        C[o + 2] = b
        C[o + 3] = b


@njit(**JIT)
def _split_block(buf, c0, m, S):
    """The crossovers over the pass, as two SIMD cascades of four lanes
    (lanes.cascade): stage 1 (low and rest of both channels), stage 2 (mid and
    high of the rest). Outputs in S_Y1 and S_Y2, frame-major."""
    c1 = S[S_C1:S_C1 + 3 * 5 * LANES]
    c2 = S[S_C2:S_C2 + 2 * 5 * LANES]
    _lane_coefs(S, c1, 0, LP1, HP1)
    _lane_coefs(S, c1, 1, LP1, HP1)
    _lane_coefs(S, c1, 2, AP2, -1)
    _lane_coefs(S, c2, 0, LP2, HP2)
    _lane_coefs(S, c2, 1, LP2, HP2)
    x1 = S[S_X1:S_X1 + LANES * m]
    y1 = S[S_Y1:S_Y1 + LANES * m]
    x2 = S[S_X2:S_X2 + LANES * m]
    y2 = S[S_Y2:S_Y2 + LANES * m]
    for i in range(m):
        l = buf[c0 + i, 0]
        r = buf[c0 + i, 1]
        x1[4 * i] = l
        x1[4 * i + 1] = r
        x1[4 * i + 2] = l
        x1[4 * i + 3] = r
    cascade4_3(x1, y1, m, c1, S[S_F1:S_F1 + 3 * 2 * LANES])
    for i in range(m):
        l = y1[4 * i + 2]
        r = y1[4 * i + 3]
        x2[4 * i] = l
        x2[4 * i + 1] = r
        x2[4 * i + 2] = l
        x2[4 * i + 3] = r
    cascade4_2(x2, y2, m, c2, S[S_F2:S_F2 + 2 * 2 * LANES])


@njit(**FAST)
def _steady(buf, c0, m, S):
    """No ramp: the same arithmetic stage by stage over the pass. Only the
    filters and the ballistics are recurrences; the dB conversion, the gain
    computer and the gains are independent per frame, so their loops vectorise
    instead of one frame's long chain of them waiting on the next."""
    grs = S[S_GRS:S_GRS + 3 * MAXN]
    _split_block(buf, c0, m, S)
    y1 = S[S_Y1:S_Y1 + LANES * MAXN]
    y2 = S[S_Y2:S_Y2 + LANES * MAXN]
    for b in range(3):
        o = BAND + b * B_SIZE
        ys = y1 if b == 0 else y2
        lane = 2 if b == 2 else 0
        g = grs[b * MAXN:b * MAXN + m]
        thr, slope = S[o + B_THR], S[o + B_SLOPE]
        # the linked levels gathered first (the lanes are strided), then the
        # dB and the gain computer over contiguous words, which vectorise
        for i in range(m):
            g[i] = max(abs(ys[4 * i + lane]), abs(ys[4 * i + lane + 1]))
        for i in range(m):
            g[i] = gain_computer(db_of(g[i] + 1e-30), thr, slope, KNEE_DB)
    # the ballistics, the one recurrence: the three bands side by side
    o0, o1, o2 = BAND, BAND + B_SIZE, BAND + 2 * B_SIZE
    g0, g1, g2 = S[S_GR], S[S_GR + 1], S[S_GR + 2]
    t0, r0 = S[o0 + B_ATT], S[o0 + B_REL]
    t1, r1 = S[o1 + B_ATT], S[o1 + B_REL]
    t2, r2 = S[o2 + B_ATT], S[o2 + B_REL]
    for i in range(m):
        g0 = ballistics(grs[i], g0, t0, r0)
        g1 = ballistics(grs[MAXN + i], g1, t1, r1)
        g2 = ballistics(grs[2 * MAXN + i], g2, t2, r2)
        grs[i] = g0
        grs[MAXN + i] = g1
        grs[2 * MAXN + i] = g2
    S[S_GR], S[S_GR + 1], S[S_GR + 2] = g0, g1, g2
    for b in range(3):
        o = BAND + b * B_SIZE
        g = grs[b * MAXN:b * MAXN + m]
        act, audible, gain = S[o + B_ACTIVE], S[o + B_AUDIBLE], S[o + B_GAIN]
        for i in range(m):
            g[i] = _gain_of_band(g[i], act, audible, gain)
    mix = S[MIX]
    for i in range(m):
        xl = buf[c0 + i, 0]
        xr = buf[c0 + i, 1]
        g0 = grs[i]
        g1 = grs[MAXN + i]
        g2 = grs[2 * MAXN + i]
        yl = g0 * y1[4 * i] + g1 * y2[4 * i] + g2 * y2[4 * i + 2]
        yr = g0 * y1[4 * i + 1] + g1 * y2[4 * i + 1] + g2 * y2[4 * i + 3]
        buf[c0 + i, 0] = mix * yl + (1.0 - mix) * xl
        buf[c0 + i, 1] = mix * yr + (1.0 - mix) * xr
