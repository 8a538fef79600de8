"""EQ kernel: nine biquad sections on the mid and side signals.

Sections in order: high-pass (two, for 24 dB/oct), low shelf, three bells, high
shelf, low-pass (two). Every section has a coefficient set for mid and one for
side; a band set to Stereo uses its design on both, Mid or Side puts the identity
on the other. Working in M/S throughout costs nothing extra: L/R processing with
the same filter on both channels equals M/S processing with it on both.

Coefficient sets are smoothed per sample during a ramp. The stability region of
a biquad's (a1, a2) is a triangle, which is convex, so every intermediate set
between two stable filters is stable too.
"""
from numba import njit

from .common import BIQ, JIT, biquad, flush_denormals, is_identity, ramp_step, smooth

N_SECTIONS = 9
MIX = 0
COEF = 1                                  # section s, channel c (0 mid, 1 side)
N_SMOOTH = 1 + N_SECTIONS * 2 * BIQ
T_SIZE = N_SMOOTH
S_STATE = N_SMOOTH                        # 2 words per section and channel
S_SIZE = N_SMOOTH + N_SECTIONS * 2 * 2


@njit(**JIT)
def process(buf, n, T, S, ramp, k):
    # A section whose coefficients are the identity and whose state is empty is
    # skipped for the chunk: it would pass its input through exactly anyway.
    use = 0
    for sec in range(N_SECTIONS):
        for ch in range(2):
            ci = COEF + (sec * 2 + ch) * BIQ
            si = S_STATE + (sec * 2 + ch) * 2
            if ramp > 0 or not (is_identity(S, ci, S, si) and is_identity(T, ci, S, si)):
                use |= 1 << (sec * 2 + ch)
    for i in range(n):
        active, snap = ramp_step(ramp, i)
        if active:
            smooth(T, 0, S, 0, N_SMOOTH, k, snap)
        l = buf[i, 0]
        r = buf[i, 1]
        m = 0.5 * (l + r)
        s = 0.5 * (l - r)
        for sec in range(N_SECTIONS):
            bit = 1 << (sec * 2)
            if use & bit:
                m = biquad(m, S, COEF + sec * 2 * BIQ, S, S_STATE + sec * 4)
            if use & (bit << 1):
                s = biquad(s, S, COEF + (sec * 2 + 1) * BIQ, S, S_STATE + sec * 4 + 2)
        mix = S[MIX]
        buf[i, 0] = mix * (m + s) + (1.0 - mix) * l
        buf[i, 1] = mix * (m - s) + (1.0 - mix) * r
    flush_denormals(S, S_STATE, N_SECTIONS * 4)
