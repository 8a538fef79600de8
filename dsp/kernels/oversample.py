"""Offline polyphase kernels: the peak of a signal interpolated by a factor, and
a rational-ratio sample-rate converter. Both stream: the caller keeps each
channel's history at the head of a linear buffer, so a file of any length is
handled block by block in bounded memory. float32 throughout (sums of a few
dozen products: ~1e-6 dB, far under what a peak reading is rounded to).
Not on the audio thread (they are for files), but they allocate nothing."""
from numba import njit

from .common import JIT, fir


@njit(**JIT)
def interpolated_peak(src, count, H, scratch):
    """The largest |value| of the interpolated points whose window ends within
    the ``count`` newest samples of ``src``: src holds H.shape[1] - 1 samples of
    history, then the new ones. H: polyphase branches, each reversed (oldest
    tap first). Whole blocks of 8 outputs only (common.fir's tail may round
    differently, and a peak must not depend on where a file was split into
    blocks): src and scratch have room for count rounded up to 8; the extra
    outputs read whatever lies past the new samples and are not looked at."""
    phases, taps = H.shape
    n8 = (count + 7) // 8 * 8
    if src.shape[0] < n8 + taps - 1 or scratch.shape[0] < n8:
        raise ValueError("oversample.interpolated_peak: a buffer is shorter than its count")
    peak = src[0] - src[0]
    for p in range(phases):
        fir(H[p], src, scratch, n8)
        for i in range(count):
            v = abs(scratch[i])
            if v > peak:
                peak = v
    return peak


@njit(**JIT)
def resample(src, base, have, P, up, down, delay, j0, out):
    """Output samples j0, j0+1, ... of a conversion by up/down, as many as the
    input allows, into out; returns how many. Output j is the input zero-stuffed
    by ``up``, filtered and taken every ``down``-th point, its filter centred
    (``delay`` = the filter's half length, as scipy's resample_poly aligns it):
    y[j] = sum_i P[r, i] * x[m - i] with m, r = divmod(j * down + delay, up).
    P: (up, taps) phases, P[r, i] = up * h[r + i * up]. src[t] is input sample
    base + t; ``have`` input samples exist in all (later ones are not yet read,
    so output j waits until its m < have; samples before 0 are zero)."""
    taps = P.shape[1]
    k = 0
    j = j0
    while k < out.shape[0]:
        t = j * down + delay
        m = t // up
        if m >= have:
            break
        r = t - m * up
        acc = src[0] - src[0]
        for i in range(taps):
            idx = m - i - base
            if idx >= 0:
                acc += P[r, i] * src[idx]
        out[k] = acc
        k += 1
        j += 1
    return k
