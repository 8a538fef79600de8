"""The chain's last stages alone, for rendering to a delivery target: the
true-peak limiter, a plain gain, and the output stage over audio that has
already been through everything before them (a file rendered once with the
limiter off). A search for the limiter's drive then costs the limiter, not
the chain.

``process(x, y, n, T, S, W, post)``: the same coefficient set T, state S and
work buffer W as kernels/chain.py (only the limiter's and the output stage's
slices are read), no parameter ramp (the coefficients never change within a
render). ``post`` multiplies the limiter's output before the output stage:
the delivery's plain gain, which then goes under the dither like a trim.
"""
from numba import njit

from . import limiter, output_stage
from .chain import CHUNK, SB_LIM, SB_OUT, T_K, TB_LIM, TB_OUT, load_chunk
from .common import JIT


@njit(**JIT)
def process(x, y, n, T, S, W, post):
    t_lim = T[TB_LIM:TB_LIM + limiter.T_SIZE]
    s_lim = S[SB_LIM:SB_LIM + limiter.S_SIZE]
    t_out = T[TB_OUT:TB_OUT + output_stage.T_SIZE]
    s_out = S[SB_OUT:SB_OUT + output_stage.S_SIZE]
    k = T[T_K]
    c0 = 0
    while c0 < n:
        m = min(CHUNK, n - c0)
        load_chunk(x, c0, m, W, S)
        limiter.process(W, m, t_lim, s_lim, 0, k)
        if post != 1.0:
            for i in range(m):
                W[i, 0] *= post
                W[i, 1] *= post
        output_stage.process(W, m, t_out, s_out, 0, k)
        for i in range(m):
            y[c0 + i, 0] = W[i, 0]
            y[c0 + i, 1] = W[i, 1]
        c0 += m


@njit(**JIT)
def residual_sums(y, h, g, acc):
    """Add to acc the sums a residual needs, over two aligned float32 blocks
    (frames, channels): acc[0] += y.y, acc[1] += h.h, acc[2] += y.h,
    acc[3] += |y - g h|^2."""
    yy = hh = yh = ee = 0.0
    for i in range(y.shape[0]):
        for c in range(y.shape[1]):
            a = float(y[i, c])
            b = float(h[i, c])
            yy += a * a
            hh += b * b
            yh += a * b
            d = a - g * b
            ee += d * d
    acc[0] += yy
    acc[1] += hh
    acc[2] += yh
    acc[3] += ee
