"""Output stage kernel: trim, then dither and quantisation to 16 or 24 bits.

TPDF dither is the difference of two uniform variates (+-1 LSB). Shaped dither
feeds the total quantisation error back through Lipshitz et al.'s 3-tap
E-weighted filter (1.623, -0.982, 0.109), moving the noise away from the ear's
most sensitive band. The random source is a 32-bit LCG whose state is an exact
integer in a float64 word, so it lives in the caller's state array like all else.

Dither stops (and the error feedback empties) once the chain's input has been
digital silence for HOLD samples: silence in gives silence out.
"""
from numba import njit

from .common import JIT, ramp_step, smooth

MIX, TRIM = 0, 1
N_SMOOTH = 2
DITHER, LSB, HOLD = 2, 3, 4     # DITHER: 0 off, 1 TPDF, 2 shaped
T_SIZE = 5
S_RNG = N_SMOOTH
S_ERR = S_RNG + 1              # 2 ch x 3 past errors
S_SIZE = S_ERR + 6

E1, E2, E3 = 1.623, -0.982, 0.109


@njit(inline="always", **JIT)
def _uniform(S):
    st = int(S[S_RNG])
    st = (1664525 * st + 1013904223) & 0xFFFFFFFF
    S[S_RNG] = st
    return st * (1.0 / 4294967296.0)


@njit(**JIT)
def process(buf, n, T, S, ramp, k):
    mode = int(T[DITHER])
    lsb = T[LSB]
    inv = 1.0 / lsb
    hold = T[HOLD]
    for i in range(n):
        active, snap = ramp_step(ramp, i)
        if active:
            smooth(T, 0, S, 0, N_SMOOTH, k, snap)
        mix = S[MIX]
        trim = S[TRIM]
        silent = buf[i, 2] >= hold
        for ch in range(2):
            x = buf[i, ch]
            w = x * trim
            if mode != 0:
                e = S_ERR + 3 * ch
                if silent:
                    S[e] = 0.0
                    S[e + 1] = 0.0
                    S[e + 2] = 0.0
                    d = 0.0
                else:
                    d = (_uniform(S) - _uniform(S)) * lsb
                if mode == 2:
                    w -= E1 * S[e] + E2 * S[e + 1] + E3 * S[e + 2]
                v = min(max(w + d, -2.0), 2.0)
                q = lsb * float(int(v * inv + 0.5) if v >= 0.0 else -int(-v * inv + 0.5))
                if q > 1.0 - lsb:
                    q = 1.0 - lsb
                elif q < -1.0:
                    q = -1.0
                if mode == 2:
                    S[e + 2] = S[e + 1]
                    S[e + 1] = S[e]
                    S[e] = q - w
                w = q
            buf[i, ch] = mix * w + (1.0 - mix) * x
