"""Three-band compressor kernel with Linkwitz-Riley 4th-order crossovers.

Split: low = LP4(f1) x, rest = HP4(f1) x, mid = LP4(f2) rest, high = HP4(f2) rest.
The low band also passes the all-pass that LP4(f2) + HP4(f2) equals, so the three
bands sum to AP(f2) AP(f1) x: flat magnitude with the compressors idle. Each LR4
filter is two identical Butterworth (Q = 1/sqrt 2) sections.

Per band: stereo-linked detector (the louder channel), gain computer with a 6 dB
knee, dB-domain ballistics, then band gain; bypass passes the band at unity, solo
mutes the bands that are not soloed (the mutes are designed off the thread).
"""

from numba import njit

from .common import BIQ, FAST, JIT, biquad, db_of, flush_denormals, gain_of, ramp_step, smooth
from .dynamics import ballistics, gain_computer

MIX = 0
LP1, HP1, LP2, HP2, AP2 = (1 + j * BIQ for j in range(5))
BAND = 26                       # per band: THR SLOPE ATT REL GAIN ACTIVE AUDIBLE
B_THR, B_SLOPE, B_ATT, B_REL, B_GAIN, B_ACTIVE, B_AUDIBLE = range(7)
B_SIZE = 7
KNEE_DB = 6.0
N_SMOOTH = BAND + 3 * B_SIZE
T_SIZE = N_SMOOTH
# S: smoothed copies, then per channel: LP1 x2, HP1 x2, LP2 x2, HP2 x2, AP2 (2 words each)
S_FILT = N_SMOOTH
F_PER_CH = 9 * 2
S_GR = S_FILT + 2 * F_PER_CH     # per band, dB
# scratch, rewritten every pass of at most MAXN frames: the six band signals
# (L lo mid high, R lo mid high), then per band the gain change (dB)
MAXN = 64
S_BANDS = S_GR + 3
S_GRS = S_BANDS + 6 * MAXN
S_SIZE = S_GRS + 3 * MAXN


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
        active, snap = ramp_step(ramp, i)
        if active:
            smooth(T, 0, S, 0, N_SMOOTH, k, snap)
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
def _steady(buf, c0, m, S):
    """No ramp: the same arithmetic stage by stage over the pass. Only the
    filters and the ballistics are recurrences; the dB conversion, the gain
    computer and the gains are independent per frame, so their loops vectorise
    instead of one frame's long chain of them waiting on the next."""
    bands = S[S_BANDS:S_BANDS + 6 * MAXN]
    grs = S[S_GRS:S_GRS + 3 * MAXN]
    for i in range(m):
        lo_l, mi_l, hi_l = _split(buf[c0 + i, 0], S, S_FILT)
        lo_r, mi_r, hi_r = _split(buf[c0 + i, 1], S, S_FILT + F_PER_CH)
        bands[i] = lo_l
        bands[MAXN + i] = mi_l
        bands[2 * MAXN + i] = hi_l
        bands[3 * MAXN + i] = lo_r
        bands[4 * MAXN + i] = mi_r
        bands[5 * MAXN + i] = hi_r
    for b in range(3):
        o = BAND + b * B_SIZE
        bl = bands[b * MAXN:b * MAXN + m]
        br = bands[(3 + b) * MAXN:(3 + b) * MAXN + m]
        g = grs[b * MAXN:b * MAXN + m]
        for i in range(m):
            g[i] = _band_target(bl[i], br[i], S, o)
        # the ballistics: the one recurrence
        gr = S[S_GR + b]
        att = S[o + B_ATT]
        rel = S[o + B_REL]
        for i in range(m):
            gr = ballistics(g[i], gr, att, rel)
            g[i] = gr
        S[S_GR + b] = gr
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
