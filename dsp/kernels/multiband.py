"""Three-band compressor kernel with Linkwitz-Riley 4th-order crossovers.

Split: low = LP4(f1) x, rest = HP4(f1) x, mid = LP4(f2) rest, high = HP4(f2) rest.
The low band also passes the all-pass that LP4(f2) + HP4(f2) equals, so the three
bands sum to AP(f2) AP(f1) x: flat magnitude with the compressors idle. Each LR4
filter is two identical Butterworth (Q = 1/sqrt 2) sections.

Per band: stereo-linked detector (the louder channel), gain computer with a 6 dB
knee, dB-domain ballistics, then band gain; bypass passes the band at unity, solo
mutes the bands that are not soloed (the mutes are designed off the thread).
"""
import math

from numba import njit

from .common import BIQ, JIT, biquad, flush_denormals, gain_of, ramp_step, smooth
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
S_SIZE = S_GR + 3


@njit(**JIT)
def process(buf, n, T, S, ramp, k):
    for i in range(n):
        active, snap = ramp_step(ramp, i)
        if active:
            smooth(T, 0, S, 0, N_SMOOTH, k, snap)
        xl = buf[i, 0]
        xr = buf[i, 1]
        # bands per channel
        lo_l = lo_r = mi_l = mi_r = hi_l = hi_r = 0.0
        for ch in range(2):
            x = xl if ch == 0 else xr
            st = S_FILT + ch * F_PER_CH
            lo = biquad(biquad(x, S, LP1, S, st), S, LP1, S, st + 2)
            rest = biquad(biquad(x, S, HP1, S, st + 4), S, HP1, S, st + 6)
            mi = biquad(biquad(rest, S, LP2, S, st + 8), S, LP2, S, st + 10)
            hi = biquad(biquad(rest, S, HP2, S, st + 12), S, HP2, S, st + 14)
            lo = biquad(lo, S, AP2, S, st + 16)
            if ch == 0:
                lo_l, mi_l, hi_l = lo, mi, hi
            else:
                lo_r, mi_r, hi_r = lo, mi, hi
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
            lvl = max(abs(bl), abs(br))
            target = gain_computer(20.0 * math.log10(lvl + 1e-30), S[o + B_THR],
                                   S[o + B_SLOPE], KNEE_DB)
            gr = ballistics(target, S[S_GR + b], S[o + B_ATT], S[o + B_REL])
            S[S_GR + b] = gr
            act = S[o + B_ACTIVE]
            g = S[o + B_AUDIBLE] * (act * gain_of(gr) * S[o + B_GAIN] + (1.0 - act))
            yl += g * bl
            yr += g * br
        mix = S[MIX]
        buf[i, 0] = mix * yl + (1.0 - mix) * xl
        buf[i, 1] = mix * yr + (1.0 - mix) * xr
    flush_denormals(S, S_FILT, 2 * F_PER_CH)
