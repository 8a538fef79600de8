"""Input stage kernel: trim, polarity per channel, L/R swap, DC blocker.

Neutral (or off) and settled, it sleeps: the input passes untouched and the DC
blocker's state is kept empty, so engaging it wakes it from silence.
"""
from numba import njit

from .common import BIQ, JIT, biquad, biquad_step, coefs, flush_denormals, ramp_frame
from .layout import Layout

# T (targets), smoothed: module mix, gain L, gain R (trim x polarity), swap amount,
# DC blocker amount; then the DC blocker's first-order coefficients (constant).
_T = Layout()
MIX, GAIN_L, GAIN_R, SWAP, DC_MIX = _T.each(5)
N_SMOOTH = _T.size
DC_COEF = _T.take(BIQ)
T_SIZE = _T.size
# S: smoothed copies of the first N_SMOOTH targets, then DC filter state (2 per channel)
_S = Layout(N_SMOOTH)
S_DC = _S.take(4)
S_SIZE = _S.size


@njit(**JIT)
def process(buf, n, T, S, ramp, k):
    if ramp <= 0 and (S[MIX] == 0.0 or (S[GAIN_L] == 1.0 and S[GAIN_R] == 1.0
                                        and S[SWAP] == 0.0 and S[DC_MIX] == 0.0)):
        # Neutral (or off) and settled: every sample would come out exactly as it
        # went in, so the stage sleeps. The DC blocker is emptied rather than left
        # stale, so when it is engaged (a ramp starts) it starts from silence while
        # its amount rises from zero.
        for j in range(S_DC, S_DC + 4):
            S[j] = 0.0
        return
    if ramp <= 0:
        _steady(buf, n, T, S)
        return
    for i in range(n):
        ramp_frame(T, S, N_SMOOTH, ramp, i, k)
        mix = S[MIX]
        l = buf[i, 0]
        r = buf[i, 1]
        wl = l * S[GAIN_L]
        wr = r * S[GAIN_R]
        sw = S[SWAP]
        if sw != 0.0:
            wl, wr = wl + sw * (wr - wl), wr + sw * (wl - wr)
        d = S[DC_MIX]
        fl = biquad(wl, T, DC_COEF, S, S_DC)
        fr = biquad(wr, T, DC_COEF, S, S_DC + 2)
        wl = (1.0 - d) * wl + d * fl
        wr = (1.0 - d) * wr + d * fr
        buf[i, 0] = mix * wl + (1.0 - mix) * l
        buf[i, 1] = mix * wr + (1.0 - mix) * r
    flush_denormals(S, S_DC, 4)


@njit(**JIT)
def _steady(buf, n, T, S):
    """No ramp: the same arithmetic with the values read once and the DC
    blocker's two recurrences in registers (through the state array, every
    sample would wait on a store and a reload)."""
    mix, gl, gr, sw, d = S[MIX], S[GAIN_L], S[GAIN_R], S[SWAP], S[DC_MIX]
    dc = coefs(T, DC_COEF)
    p1, p2, q1, q2 = S[S_DC], S[S_DC + 1], S[S_DC + 2], S[S_DC + 3]
    for i in range(n):
        l = buf[i, 0]
        r = buf[i, 1]
        wl = l * gl
        wr = r * gr
        if sw != 0.0:
            wl, wr = wl + sw * (wr - wl), wr + sw * (wl - wr)
        fl, p1, p2 = biquad_step(wl, dc, p1, p2)
        fr, q1, q2 = biquad_step(wr, dc, q1, q2)
        wl = (1.0 - d) * wl + d * fl
        wr = (1.0 - d) * wr + d * fr
        buf[i, 0] = mix * wl + (1.0 - mix) * l
        buf[i, 1] = mix * wr + (1.0 - mix) * r
    S[S_DC], S[S_DC + 1], S[S_DC + 2], S[S_DC + 3] = p1, p2, q1, q2
    flush_denormals(S, S_DC, 4)
