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

from .common import (BIQ, FAST, JIT, biquad, biquad_step, coefs, db_of, flush_denormals, gain_of,
                     ramp_frame)
from .dynamics import ballistics, gain_computer
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
# S: smoothed copies, then per channel: LP1 x2, HP1 x2, LP2 x2, HP2 x2, AP2 (2 words each)
_S = Layout(N_SMOOTH)
F_PER_CH = 9 * 2
S_FILT = _S.take(2 * F_PER_CH)
S_GR = _S.take(3)               # per band, dB
# scratch, rewritten every pass of at most MAXN frames: the six band signals
# (L lo mid high, R lo mid high), then per band the gain change (dB)
MAXN = 64
S_BANDS = _S.take(6 * MAXN)
S_GRS = _S.take(3 * MAXN)
S_SIZE = _S.size


@njit(inline="always", **JIT)
def _split(x, S, st):
    """One sample of one channel through the crossovers: (low, mid, high)."""
    lo = biquad(biquad(x, S, LP1, S, st), S, LP1, S, st + 2)
    rest = biquad(biquad(x, S, HP1, S, st + 4), S, HP1, S, st + 6)
    mi = biquad(biquad(rest, S, LP2, S, st + 8), S, LP2, S, st + 10)
    hi = biquad(biquad(rest, S, HP2, S, st + 12), S, HP2, S, st + 14)
    lo = biquad(lo, S, AP2, S, st + 16)
    return lo, mi, hi


@njit(inline="always", **JIT)
def _band_target(bl, br, S, o):
    """The gain computer's target for a band, from its stereo-linked level."""
    return gain_computer(db_of(max(abs(bl), abs(br)) + 1e-30), S[o + B_THR], S[o + B_SLOPE],
                         KNEE_DB)


@njit(inline="always", **JIT)
def _band_gain(gr, S, o):
    act = S[o + B_ACTIVE]
    return S[o + B_AUDIBLE] * (act * gain_of(gr) * S[o + B_GAIN] + (1.0 - act))


@njit(**JIT)
def process(buf, n, T, S, ramp, k):
    if ramp <= 0 and S[MIX] == 0.0:
        # Off and settled: the module would return its input exactly (0 x wet +
        # 1 x dry), so it sleeps. Its filters and envelopes are emptied instead of
        # left stale: when it is engaged again (a ramp starts, so it runs) they
        # start from silence while the mix rises from zero over the ramp, the
        # same as a freshly reset chain (tests/test_chain.py measures the wake).
        for j in range(S_FILT, S_GR + 3):
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
    flush_denormals(S, S_FILT, 2 * F_PER_CH)


@njit(**JIT)
def _ramping(buf, c0, m, T, S, ramp, k):
    """While a ramp runs: one frame at a time, its values smoothed first."""
    for i in range(m):
        ramp_frame(T, S, N_SMOOTH, ramp, i, k)
        xl = buf[c0 + i, 0]
        xr = buf[c0 + i, 1]
        lo_l, mi_l, hi_l = _split(xl, S, S_FILT)
        lo_r, mi_r, hi_r = _split(xr, S, S_FILT + F_PER_CH)
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


@njit(**FAST)
def _split_block(buf, c0, m, S, bands):
    """The crossovers over the pass, the same arithmetic as _split with every
    filter's state in local variables (registers, not a store and reload per
    sample on each recurrence), in two loops of independent recurrences: the
    first split (low, rest), then the second (mid, high) and the all-pass."""
    lp1 = coefs(S, LP1)
    hp1 = coefs(S, HP1)
    lo_l = bands[0:m]                   # the low band before its all-pass, then the
    lo_r = bands[3 * MAXN:3 * MAXN + m]  # rest in the high band's rows until split
    re_l = bands[2 * MAXN:2 * MAXN + m]
    re_r = bands[5 * MAXN:5 * MAXN + m]
    for ch in range(2):
        st = S_FILT + ch * F_PER_CH
        a1, a2, b1, b2 = S[st], S[st + 1], S[st + 2], S[st + 3]
        c1, c2, d1, d2 = S[st + 4], S[st + 5], S[st + 6], S[st + 7]
        lo = lo_l if ch == 0 else lo_r
        re = re_l if ch == 0 else re_r
        for i in range(m):
            x = buf[c0 + i, ch]
            y, a1, a2 = biquad_step(x, lp1, a1, a2)
            lo[i], b1, b2 = biquad_step(y, lp1, b1, b2)
            y, c1, c2 = biquad_step(x, hp1, c1, c2)
            re[i], d1, d2 = biquad_step(y, hp1, d1, d2)
        S[st], S[st + 1], S[st + 2], S[st + 3] = a1, a2, b1, b2
        S[st + 4], S[st + 5], S[st + 6], S[st + 7] = c1, c2, d1, d2
    lp2 = coefs(S, LP2)
    hp2 = coefs(S, HP2)
    ap2 = coefs(S, AP2)
    for ch in range(2):
        st = S_FILT + ch * F_PER_CH + 8
        a1, a2, b1, b2 = S[st], S[st + 1], S[st + 2], S[st + 3]
        c1, c2, d1, d2 = S[st + 4], S[st + 5], S[st + 6], S[st + 7]
        e1, e2 = S[st + 8], S[st + 9]
        o = 3 * MAXN * ch
        lo = bands[o:o + m]
        mi = bands[o + MAXN:o + MAXN + m]
        hi = bands[o + 2 * MAXN:o + 2 * MAXN + m]
        for i in range(m):
            x = hi[i]
            y, a1, a2 = biquad_step(x, lp2, a1, a2)
            mi[i], b1, b2 = biquad_step(y, lp2, b1, b2)
            y, c1, c2 = biquad_step(x, hp2, c1, c2)
            hi[i], d1, d2 = biquad_step(y, hp2, d1, d2)
            lo[i], e1, e2 = biquad_step(lo[i], ap2, e1, e2)
        S[st], S[st + 1], S[st + 2], S[st + 3] = a1, a2, b1, b2
        S[st + 4], S[st + 5], S[st + 6], S[st + 7] = c1, c2, d1, d2
        S[st + 8], S[st + 9] = e1, e2


@njit(**FAST)
def _steady(buf, c0, m, S):
    """No ramp: the same arithmetic stage by stage over the pass. Only the
    filters and the ballistics are recurrences; the dB conversion, the gain
    computer and the gains are independent per frame, so their loops vectorise
    instead of one frame's long chain of them waiting on the next."""
    bands = S[S_BANDS:S_BANDS + 6 * MAXN]
    grs = S[S_GRS:S_GRS + 3 * MAXN]
    _split_block(buf, c0, m, S, bands)
    for b in range(3):
        o = BAND + b * B_SIZE
        bl = bands[b * MAXN:b * MAXN + m]
        br = bands[(3 + b) * MAXN:(3 + b) * MAXN + m]
        g = grs[b * MAXN:b * MAXN + m]
        for i in range(m):
            g[i] = _band_target(bl[i], br[i], S, o)
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
        for i in range(m):
            g[i] = _band_gain(g[i], S, o)
    mix = S[MIX]
    for i in range(m):
        xl = buf[c0 + i, 0]
        xr = buf[c0 + i, 1]
        g0 = grs[i]
        g1 = grs[MAXN + i]
        g2 = grs[2 * MAXN + i]
        yl = g0 * bands[i] + g1 * bands[MAXN + i] + g2 * bands[2 * MAXN + i]
        yr = g0 * bands[3 * MAXN + i] + g1 * bands[4 * MAXN + i] + g2 * bands[5 * MAXN + i]
        buf[c0 + i, 0] = mix * yl + (1.0 - mix) * xl
        buf[c0 + i, 1] = mix * yr + (1.0 - mix) * xr
