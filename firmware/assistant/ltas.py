"""The mean long-term average spectrum of popular music, as published.

Elowsson, A. and Friberg, A. (2017), "Long-term average spectrum in popular
music and its relation to the level of the percussion", AES 142nd
Convention, paper 9762 (open access, KTH DiVA diva2:1108529): the mean LTAS
of 12,345 loudness-normalised tracks, fitted by two quadratics on a
log-frequency axis x = 1 + 60 log2(f / 30 Hz) (60 bins an octave, bin 1 at
30 Hz), in dB per bin:

    30-94 Hz:       y = -0.000907 x^2 + 0.256 x - 32.942
    94 Hz-15.7 kHz: y = -0.000183 x^2 + 0.0213 x - 16.735

The fits meet near 94 Hz (tests/test_profiles.py checks it, and the
paper's Table 1 slopes from these coefficients). Used as data, with this
citation.

What y is a level of: here, the power spectral density (per Hz) within each
bin, as an FFT spectrum resampled onto a log axis gives, so a band's power
is the density integrated over its width in Hz. The other reading, power
per 1/60-octave bin, would tilt every band 3 dB an octave steeper. The data
decide: K-weighted into the nine bands of source 2 (bands.py), this reading
matches the shape of source 2's loud, dense masters within 2-3 dB in every
band, the other is up to 13 dB off (docs/assistant.md quotes both, from
scripts/derive_profiles.py --compare).
"""
from __future__ import annotations

import numpy as np

F0_HZ = 30.0
BINS_PER_OCTAVE = 60
BASS = (-0.000907, 0.256, -32.942)       # 30-94 Hz
MAIN = (-0.000183, 0.0213, -16.735)      # 94 Hz-15.7 kHz
SPLIT_HZ = 94.0
LO_HZ, HI_HZ = 30.0, 15700.0


def x_of(f):
    return 1.0 + BINS_PER_OCTAVE * np.log2(np.asarray(f, float) / F0_HZ)


def ltas_db(f):
    """The fitted mean LTAS at f (Hz), dB per 1/60-octave bin."""
    f = np.asarray(f, float)
    x = x_of(f)
    a, b, c = np.where(f < SPLIT_HZ, BASS[0], MAIN[0]), np.where(f < SPLIT_HZ, BASS[1], MAIN[1]), \
        np.where(f < SPLIT_HZ, BASS[2], MAIN[2])
    return a * x * x + b * x + c


def slope_db_per_octave(f):
    """The fit's slope at f, dB per octave (the paper's Table 1)."""
    f = np.asarray(f, float)
    a = np.where(f < SPLIT_HZ, BASS[0], MAIN[0])
    b = np.where(f < SPLIT_HZ, BASS[1], MAIN[1])
    return (2 * a * x_of(f) + b) * BINS_PER_OCTAVE


def band_db(lo: float, hi: float, weight=None, per_hz: bool = True) -> float:
    """Power of the fitted LTAS over lo..hi (Hz), dB: the density integrated
    over the band in Hz (``per_hz`` False: the bins' powers summed along x,
    the other reading), on a grid fine enough that the band edges fall where
    they are. ``weight`` (f -> dB) is added first (a K-weighting, say). The
    lowest third-octave band (31.5 Hz) starts 0.1 octave below the fit's
    30 Hz: the bass fit is carried on there."""
    x = np.linspace(x_of(lo), x_of(hi), 400)
    f = F0_HZ * 2 ** ((x - 1) / BINS_PER_OCTAVE)
    y = ltas_db(f) + (0.0 if weight is None else weight(f))
    dfdx = f * np.log(2) / BINS_PER_OCTAVE if per_hz else 1.0
    return float(10 * np.log10(np.trapezoid(10 ** (y / 10) * dfdx, x)))


def third_octaves(centres) -> np.ndarray:
    """The LTAS as third-octave band powers at these ISO centres, dB."""
    return np.array([band_db(c * 2 ** (-1 / 6), c * 2 ** (1 / 6)) for c in centres])
