"""The 4x section that saturation, stereo and clipper share (kernels/oversampled.py):
its halfband filters, and whether any of the three does anything at all (if
none does, the section plays its dry path: the input delayed by exactly the
filters' latency, so a neutral chain stays bit-transparent)."""
from functools import lru_cache

import numpy as np

from .. import filter_design as fd
from ..kernels import oversampled as K
from . import stereo
from .common import put

STAGE = "oversampled"
READS = ("saturation", "stereo", "clipper")
FILTER_ATTEN_DB = 80.0


@lru_cache(maxsize=None)
def halfband_even_taps(length: int, atten_db: float = FILTER_ATTEN_DB) -> np.ndarray:
    """The even-index taps of a Kaiser halfband low-pass (cutoff at a quarter of
    its rate), scaled to sum to exactly 1/2 so that, with the centre tap taken
    as exactly 1/2, DC passes at exactly unity."""
    h = fd.kaiser_lowpass(length, 0.5, atten_db)
    even = h[0::2]
    return even * (0.5 / even.sum())


def design(v, fs, T):
    engaged = v["saturation.on"] or v["clipper.on"] or not stereo.is_neutral(v)
    T[K.SEC_MIX] = 1.0 if engaged else 0.0
    put(T, K.DC, fd.highpass1(K.FACTOR * fs, 5.0))
    a = halfband_even_taps(K.A_LEN)[::-1]
    b = halfband_even_taps(K.B_LEN)[::-1]
    T[K.A_UP:K.A_UP + K.A_TAPS] = 2.0 * a
    T[K.A_DN:K.A_DN + K.A_TAPS] = a
    T[K.B_UP:K.B_UP + K.B_TAPS] = 2.0 * b
    T[K.B_DN:K.B_DN + K.B_TAPS] = b
