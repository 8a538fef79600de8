"""Offline polyphase kernels: the peak of a signal interpolated by a factor
(with a sinusoid fitted through each crest's points), and
a rational-ratio sample-rate converter. Both stream: the caller keeps each
channel's history at the head of a linear buffer, so a file of any length is
handled block by block in bounded memory. float32 throughout (sums of a few
dozen products: ~1e-6 dB, far under what a peak reading is rounded to).
Not on the audio thread (they are for files), but they allocate nothing."""
import math

from numba import njit

from .common import FAST, JIT, fir


REFINE_ABOVE = 0.92     # a grid point this close to the peak so far is refined by crest():
                        # between points 1/4 sample apart, a crest of content up to
                        # 0.5 fs is at most 7.6 % above the nearest point


@njit(**JIT)
def crest(ya, yb, yc):
    """The crest near the middle of three equally spaced points, yb the
    largest: the sinusoid through them (cos w = (ya + yc) / 2 yb), whose
    amplitude is exact for a tone at any frequency; a parabola where the three
    barely bend (w near 0, where the sinusoid's fit is ill-conditioned and the
    parabola is exact enough)."""
    cw = (ya + yc) / (2.0 * yb)
    if -1.0 < cw < 0.999:
        half = (yc - ya) / (2.0 * math.sqrt(1.0 - cw * cw))
        return math.sqrt(yb * yb + half * half)
    den = ya - 2.0 * yb + yc
    if den < 0.0:
        return yb - 0.125 * (ya - yc) * (ya - yc) / den
    return yb


@njit(inline="always", **JIT)
def crest_at(ya, yb, yc):
    """yb, or where yb is a local maximum (yb > 0 and no smaller than either
    neighbour) the larger of yb and its crest as crest() finds it, with
    selects in place of branches so a loop over a block's points vectorises
    (on noise the branches would be mispredicted about every other point),
    and crest()'s algebra folded to one division and one square root: with
    u = ya + yc, v = yc - ya, the sinusoid's amplitude is
    yb sqrt((4 yb^2 - u^2 + v^2) / (4 yb^2 - u^2)) (its cos w = u / 2 yb),
    the parabola's crest yb + v^2 / (8 (2 yb - u))."""
    top = (yb >= ya) & (yb >= yc) & (yb > 0.0)
    u = ya + yc
    v = yc - ya
    b2 = 4.0 * yb * yb
    sinus = (u > -2.0 * yb) & (u < 1.998 * yb)          # -1 < cos w < 0.999
    den = ya - 2.0 * yb + yc                             # < 0: the parabola bends down
    num = b2 - u * u + v * v if sinus else v * v
    dd = b2 - u * u if sinus else -8.0 * den
    q = num / max(dd, 1e-300)
    est = yb * math.sqrt(q) if sinus else (yb + q if den < 0.0 else yb)
    return max(yb, est) if top else yb


@njit(**JIT)
def interpolated_peak(src, count, H, scratch, carry):
    """The peak of the interpolated signal whose windows end within the
    ``count`` newest samples of ``src``: each branch of H (polyphase,
    reversed, oldest tap first) gives one point between samples, and at every
    local maximum of |points| crest() finds the peak between it and its two
    neighbours. src holds H.shape[1] - 1 samples of
    history, then the new ones; scratch is (phases, count rounded up to 8)
    (whole blocks of 8 outputs: common.fir's tail may round differently, and
    a peak must not depend on where a file was split into blocks). carry
    [previous point, last point, peak] continues from call to call: the last
    point of a block is judged when the next block's first one is known.
    Returns the peak (also left in carry[2])."""
    phases, taps = H.shape
    n8 = (count + 7) // 8 * 8
    if src.shape[0] < n8 + taps - 1 or scratch.shape[1] < n8 or scratch.shape[0] < phases:
        raise ValueError("oversample.interpolated_peak: a buffer is shorter than its count")
    for p in range(phases):
        fir(H[p], src, scratch[p], n8)
    a = carry[0]
    b = carry[1]
    peak = carry[2]
    floor = REFINE_ABOVE * peak
    for i in range(count):
        for p in range(phases):
            c = scratch[p, i]
            ab = abs(b)
            if ab > floor and ab >= abs(a) and ab >= abs(c):
                est = crest(float(a if b > 0 else -a), float(ab), float(c if b > 0 else -c))
                if est > ab:
                    ab = est
                if ab > peak:
                    peak = ab
                    floor = REFINE_ABOVE * peak
            a = b
            b = c
        # a point is a crest candidate only once its successor is known: the
        # newest one waits for the next call (or the tail after the file)
    carry[0] = a
    carry[1] = b
    carry[2] = peak
    return peak


@njit(**FAST)
def resample(src, base, have, Q, up, down, delay, j0, out):
    """Output samples j0, j0+1, ... of a conversion by up/down, as many as the
    input allows, into out; returns how many. Output j is the input zero-stuffed
    by ``up``, filtered and taken every ``down``-th point, its filter centred
    (``delay`` = the filter's half length, as scipy's resample_poly aligns it):
    y[j] = sum_i P[r, i] * x[m - i] with m, r = divmod(j * down + delay, up).
    Q: (up, taps) phases reversed, Q[r, k] = P[r, taps - 1 - k] with
    P[r, i] = up * h[r + i * up], so each output is a forward dot product.
    src[t] is input sample base + t, and holds at least the taps - 1 samples
    before the first output's m (zeros before the signal); ``have`` input
    samples exist in all (output j waits until its m < have)."""
    taps = Q.shape[1]
    k = 0
    j = j0
    while k < out.shape[0]:
        t = j * down + delay
        m = t // up
        if m >= have:
            break
        r = t - m * up
        start = m - base - taps + 1
        acc = src[0] - src[0]
        for i in range(taps):
            acc += Q[r, i] * src[start + i]
        out[k] = acc
        k += 1
        j += 1
    return k
