"""Output stage kernel: trim, then dither and quantisation to 16 or 24 bits.

TPDF dither is the difference of two uniform variates (+-1 LSB). Shaped dither
feeds the total quantisation error back through Lipshitz et al.'s 3-tap
E-weighted filter (1.623, -0.982, 0.109), moving the noise away from the ear's
most sensitive band. The random source is a 32-bit LCG whose state is an exact
integer in a float64 word, so it lives in the caller's state array like all else.

Dither stops (and the error feedback empties) once the chain's input has been
digital silence for HOLD samples: silence in gives silence out.
"""
import numpy as np
from numba import njit

from .common import JIT, ramp_frame
from .layout import Layout

_T = Layout()
MIX, TRIM = _T.each(2)
N_SMOOTH = _T.size
DITHER, LSB, HOLD = _T.each(3)     # DITHER: 0 off, 1 TPDF, 2 shaped
T_SIZE = _T.size
_S = Layout(N_SMOOTH)
S_RNG = _S.take()
S_ERR = _S.take(6)              # 2 ch x 3 past errors
S_SIZE = _S.size

E1, E2, E3 = 1.623, -0.982, 0.109


# The LCG, st' = (A st + C) mod 2^32, and its 2-, 3- and 4-step jumps, so the
# four draws of a frame come from the frame's first state independently (one
# dependent step per frame instead of four). The sequence is the same.
A1, C1 = 1664525, 1013904223
MASK = 0xFFFFFFFF
A2, C2 = (A1 * A1) & MASK, (A1 * C1 + C1) & MASK
A3, C3 = (A2 * A1) & MASK, (A1 * C2 + C1) & MASK
A4, C4 = (A3 * A1) & MASK, (A1 * C3 + C1) & MASK
TO_UNIT = 1.0 / 4294967296.0


@njit(inline="always", **JIT)
def _quantise(w, d, lsb, inv):
    """w plus dither d, rounded half away from zero to the LSB grid, kept in
    [-1, 1 - lsb] (the largest code)."""
    v = min(max(w + d, -2.0), 2.0)
    a = np.floor(abs(v) * inv + 0.5)
    q = lsb * (a if v >= 0.0 else -a)
    return min(max(q, -1.0), 1.0 - lsb)


@njit(**JIT)
def process(buf, n, T, S, ramp, k):
    mode = int(T[DITHER])
    lsb = T[LSB]
    inv = 1.0 / lsb
    hold = T[HOLD]
    scale = TO_UNIT * lsb
    # the generator and the error feedback live in registers for the block: a
    # round trip through the state array each sample would sit on their chains
    st = int(S[S_RNG])
    l0, l1, l2 = S[S_ERR], S[S_ERR + 1], S[S_ERR + 2]
    r0, r1, r2 = S[S_ERR + 3], S[S_ERR + 4], S[S_ERR + 5]
    for i in range(n):
        ramp_frame(T, S, N_SMOOTH, ramp, i, k)
        mix = S[MIX]
        trim = S[TRIM]
        xl = buf[i, 0]
        xr = buf[i, 1]
        wl = xl * trim
        wr = xr * trim
        if mode != 0:
            if buf[i, 2] >= hold:           # silence in: no dither, feedback emptied
                l0 = l1 = l2 = r0 = r1 = r2 = 0.0
                dl = dr = 0.0
            else:
                u1 = (A1 * st + C1) & MASK
                u2 = (A2 * st + C2) & MASK
                u3 = (A3 * st + C3) & MASK
                st = (A4 * st + C4) & MASK
                dl = float(u1 - u2) * scale
                dr = float(u3 - st) * scale
            if mode == 2:
                wl -= E1 * l0 + E2 * l1 + E3 * l2
                wr -= E1 * r0 + E2 * r1 + E3 * r2
            ql = _quantise(wl, dl, lsb, inv)
            qr = _quantise(wr, dr, lsb, inv)
            if mode == 2:
                l2, l1, l0 = l1, l0, ql - wl
                r2, r1, r0 = r1, r0, qr - wr
            wl = ql
            wr = qr
        buf[i, 0] = mix * wl + (1.0 - mix) * xl
        buf[i, 1] = mix * wr + (1.0 - mix) * xr
    S[S_RNG] = st
    S[S_ERR], S[S_ERR + 1], S[S_ERR + 2] = l0, l1, l2
    S[S_ERR + 3], S[S_ERR + 4], S[S_ERR + 5] = r0, r1, r2
