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

from .common import BIQ, JIT, biquad_fused, flush_denormals, is_identity, ramp_frame
from .lanes import cascade2
from .layout import Layout

N_SECTIONS = 9
_T = Layout()
MIX = _T.take()
COEF = _T.take(N_SECTIONS * 2 * BIQ)      # section s, channel c (0 mid, 1 side)
N_SMOOTH = T_SIZE = _T.size
_S = Layout(N_SMOOTH)
S_STATE = _S.take(N_SECTIONS * 2 * 2)     # 2 words per section and channel
# scratch for the block path, rewritten every pass: mid and side frame-major,
# the engaged sections' coefficients and states laid out for lanes.cascade2
MAXN = 128
S_X = _S.take(2 * MAXN)
S_C = _S.take(N_SECTIONS * 5 * 2)
S_ST = _S.take(N_SECTIONS * 2 * 2)
S_SIZE = _S.size


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
    if use == 0:
        return        # every section passes its input exactly: so does the EQ
    if ramp <= 0:
        c0 = 0
        while c0 < n:
            m = min(MAXN, n - c0)
            _steady(buf, c0, m, S, use)
            c0 += m
        flush_denormals(S, S_STATE, N_SECTIONS * 4)
        return
    for i in range(n):
        ramp_frame(T, S, N_SMOOTH, ramp, i, k)
        l = buf[i, 0]
        r = buf[i, 1]
        m = 0.5 * (l + r)
        s = 0.5 * (l - r)
        for sec in range(N_SECTIONS):
            bit = 1 << (sec * 2)
            if use & bit:
                m = biquad_fused(m, S, COEF + sec * 2 * BIQ, S, S_STATE + sec * 4)
            if use & (bit << 1):
                s = biquad_fused(s, S, COEF + (sec * 2 + 1) * BIQ, S, S_STATE + sec * 4 + 2)
        mix = S[MIX]
        buf[i, 0] = mix * (m + s) + (1.0 - mix) * l
        buf[i, 1] = mix * (m - s) + (1.0 - mix) * r
    flush_denormals(S, S_STATE, N_SECTIONS * 4)


@njit(**JIT)
def _steady(buf, c0, m, S, use):
    """No ramp: the pass's mid and side side by side in SIMD lanes through the
    engaged sections (lanes.cascade2), bit for bit the per-frame path's
    arithmetic (common.biquad_fused; no fastmath here, so the mid/side and mix
    lines round as they do there). A section engaged on one channel only runs
    on both: on the other its coefficients are the identity and its state
    empty, which passes the signal exactly."""
    C = S[S_C:S_C + N_SECTIONS * 10]
    ST = S[S_ST:S_ST + N_SECTIONS * 4]
    X = S[S_X:S_X + 2 * m]
    nact = 0
    for sec in range(N_SECTIONS):
        if use & (3 << (2 * sec)):
            for ch in range(2):
                ci = COEF + (sec * 2 + ch) * BIQ
                si = S_STATE + sec * 4 + ch * 2
                for q in range(5):
                    C[(nact * 5 + q) * 2 + ch] = S[ci + q]
                ST[nact * 4 + ch] = S[si]
                ST[nact * 4 + 2 + ch] = S[si + 1]
            nact += 1
    for i in range(m):
        l = buf[c0 + i, 0]
        r = buf[c0 + i, 1]
        X[2 * i] = 0.5 * (l + r)
        X[2 * i + 1] = 0.5 * (l - r)
    cascade2(nact, X, X, m, C, ST)
    k = 0
    for sec in range(N_SECTIONS):
        if use & (3 << (2 * sec)):
            for ch in range(2):
                si = S_STATE + sec * 4 + ch * 2
                S[si] = ST[k * 4 + ch]
                S[si + 1] = ST[k * 4 + 2 + ch]
            k += 1
    mix = S[MIX]
    for i in range(m):
        mm = X[2 * i]
        ss = X[2 * i + 1]
        l = buf[c0 + i, 0]
        r = buf[c0 + i, 1]
        buf[c0 + i, 0] = mix * (mm + ss) + (1.0 - mix) * l
        buf[c0 + i, 1] = mix * (mm - ss) + (1.0 - mix) * r
