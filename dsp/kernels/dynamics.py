"""Shared pieces of the compressors: the static gain computer and the ballistics.

Gain computer (Giannoulis, Massberg, Reiss, JAES 2012): with level x, threshold
T, knee width W and slope s = 1/ratio - 1, the gain change in dB is
    0                          below the knee,
    s (x - T + W/2)^2 / (2W)   inside it,
    s (x - T)                  above it.
Ballistics: the gain change is smoothed in dB by a one-pole whose coefficient
is exp(-1/(tau fs)), the attack one while the reduction grows, the release one
while it shrinks, so attack and release are true time constants.
"""
from numba import njit

from .common import JIT


@njit(inline="always", **JIT)
def gain_computer(x_db, thr, slope, knee):
    over = x_db - thr
    if 2.0 * over < -knee:
        return 0.0
    if knee > 0.0 and 2.0 * over <= knee:
        t = over + 0.5 * knee
        return slope * t * t / (2.0 * knee)
    return slope * over


@njit(inline="always", **JIT)
def ballistics(target, current, att, rel):
    """One step of the dB-domain smoother: more reduction (more negative) attacks."""
    c = att if target < current else rel
    return target + c * (current - target)
