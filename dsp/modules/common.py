"""Small design helpers shared by the module slices."""
from __future__ import annotations

import math

from ..kernels.common import BIQ

SMOOTH_TAU_S = 0.004       # parameter smoothing: ~99 % of a move within 20 ms


def gain(x_db):
    """dB to a linear gain."""
    return 10.0 ** (x_db / 20.0)


def alpha(tau_s, fs):
    """One-pole coefficient exp(-1/(tau fs)): a true time constant tau."""
    return math.exp(-1.0 / (tau_s * fs))


def put(T, off, coefs):
    """A biquad's five coefficients into T at ``off``."""
    T[off:off + BIQ] = coefs
