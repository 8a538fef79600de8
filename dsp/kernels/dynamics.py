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
    """The three pieces above in one expression with no branch: the level's
    place in the knee, u = clamp(x - T + W/2, 0, W), gives
    s (u^2 / (2W) + max(x - T - W/2, 0)), which is each piece in its region
    (a hard knee, W = 0, has u = 0). Music crosses the knee's edges from sample
    to sample, and a branch per region would be mispredicted each time."""
    over = x_db - thr
    u = min(max(over + 0.5 * knee, 0.0), knee)
    return slope * (u * u * (0.5 / max(knee, 1e-9)) + max(over - 0.5 * knee, 0.0))


@njit(inline="always", **JIT)
def ballistics(target, current, att, rel):
    """One step of the dB-domain smoother: more reduction (more negative) attacks."""
    c = att if target < current else rel
    return target + c * (current - target)
