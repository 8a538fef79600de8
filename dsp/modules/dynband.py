"""The design of one dynamic band (kernels/dynband.py), shared by the
dynamic EQ and the de-esser: its gain table from the static EQ's designs, its
detector filters and its timing."""
from __future__ import annotations

import math

from .. import filter_design as fd
from ..kernels import dynband as K
from ..kernels.common import BIQ
from .common import alpha, put

SHELF_Q_MAX = 2.0      # the static EQ's shelves stop there; steeper shelves ring
F_MAX = 0.45           # of the sample rate: detector and filter stay clear of Nyquist


def bandpass(fs, f0, q):
    """Band-pass with 0 dB at f0 (RBJ's constant-peak form): a bell's detector."""
    w0 = 2 * math.pi * f0 / fs
    c, s = math.cos(w0), math.sin(w0)
    a = s / (2 * q)
    return (a / (1 + a), 0.0, -a / (1 + a), -2 * c / (1 + a), (1 - a) / (1 + a))


def detector(kind: str, fs: float, f0: float, q: float) -> tuple:
    """The detector's two sections: a band-pass at a bell, a Linkwitz-Riley
    (two Butterworth sections) low-pass below a low shelf or high-pass above
    a high shelf, a 4th-order Butterworth high-pass above the de-esser's
    frequency."""
    f0 = min(f0, F_MAX * fs)
    if kind == "bell":
        return bandpass(fs, f0, q), fd.IDENTITY
    if kind == "low":
        return fd.lowpass(fs, f0, fd.LR_Q), fd.lowpass(fs, f0, fd.LR_Q)
    if kind == "high":
        return fd.highpass(fs, f0, fd.LR_Q), fd.highpass(fs, f0, fd.LR_Q)
    return tuple(fd.highpass(fs, f0, q) for q in fd.BUTTER_Q[24])


def table(shape, fs: float, f0: float, range_db: float, q: float) -> list[tuple]:
    """NT filters at gain changes 0 .. range_db. The first is the identity
    with the second's poles (b = a), so the blend between them keeps the
    poles and moves only the numerator."""
    f0 = min(f0, F_MAX * fs)
    out = [shape(fs, f0, range_db * j / (K.NT - 1), q) for j in range(1, K.NT)]
    a1, a2 = out[0][3], out[0][4]
    return [(1.0, a1, a2, a1, a2)] + out


def design(T, t: int, fs: float, *, on: float, kind: int, mode: int, shape, det: tuple,
           f0: float, q: float, threshold_db: float, ratio: float, range_db: float,
           attack_ms: float, release_ms: float) -> None:
    """Band coefficients into T at offset t. ``shape``: the filter design
    (fd.bell, fd.low_shelf, fd.high_shelf) for a FILTER band; ``det``: its
    detector's two sections; ``mode``: stereo, mid or side (kernels)."""
    T[t + K.ON] = on
    T[t + K.THR] = threshold_db
    T[t + K.SLOPE] = 1.0 - 1.0 / ratio
    T[t + K.RANGE] = abs(range_db)
    T[t + K.SIGN] = -1.0 if range_db < 0 else 1.0
    T[t + K.ATT] = alpha(attack_ms * 1e-3, fs)
    T[t + K.REL] = alpha(release_ms * 1e-3, fs)
    T[t + K.MSK] = alpha(K.DET_TAU_S, fs)
    T[t + K.WM] = 0.0 if mode == K.SIDE else 1.0
    T[t + K.WS] = 0.0 if mode == K.MID else 1.0
    T[t + K.KIND] = kind
    T[t + K.MODE] = mode
    rows = (table(shape, fs, f0, range_db, q) if kind == K.FILTER and range_db != 0.0
            else [fd.IDENTITY] * K.NT)
    for j, c in enumerate(rows):
        put(T, t + K.TABLE + j * BIQ, c)
    put(T, t + K.DET, det[0])
    put(T, t + K.DET + BIQ, det[1])
