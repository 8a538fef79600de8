"""The 31-band 1/3-octave spectrum for the screen (IEC 61260 nominal centres,
20 Hz-20 kHz).

The audio callback only copies samples into a ring; this runs at the display's
pace on the UI side: a Hann-windowed FFT of the latest ~0.68 s (32768 samples at 48 kHz), its power
summed into each band between fc * 2^(-1/6) and fc * 2^(1/6). Levels are dB re a
full-scale sine (a 0 dBFS sine at a band centre reads 0 dB in that band).
"""
from __future__ import annotations

import numpy as np

CENTRES = (20, 25, 31.5, 40, 50, 63, 80, 100, 125, 160, 200, 250, 315, 400, 500, 630, 800,
           1000, 1250, 1600, 2000, 2500, 3150, 4000, 5000, 6300, 8000, 10000, 12500, 16000,
           20000)
FFT_SIZE = 1 << 15          # at 44.1/48 kHz; the span stays ~0.68 s at any rate


def fft_size(fs: float) -> int:
    n = FFT_SIZE
    while n / fs < 0.65:
        n *= 2
    return n


def band_edges(fs: float) -> np.ndarray:
    exact = 1000.0 * 2.0 ** ((np.arange(len(CENTRES)) - 17) / 3.0)   # base-2 exact centres
    lo = exact * 2 ** (-1 / 6)
    hi = np.minimum(exact * 2 ** (1 / 6), fs / 2)
    return np.stack([lo, hi], 1)


def third_octave(x: np.ndarray, fs: float) -> np.ndarray:
    """Band levels (dB) of the last FFT_SIZE frames of x (frames,) or (frames, ch):
    channels are averaged in power. Bands above fs/2 read -inf."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    x = x[-fft_size(fs):]
    n = len(x)
    w = np.hanning(n)
    X = np.fft.rfft(x * w[:, None], axis=0)
    # Parseval: 2 sum|X_k|^2 / (n sum w^2) over a band is the band's mean square;
    # a full-scale sine has mean square 1/2, so that is 0 dB
    p = (np.abs(X) ** 2).mean(axis=1) * 2.0 / (n * np.sum(w * w))
    f = np.fft.rfftfreq(n, 1.0 / fs)
    out = np.full(len(CENTRES), -np.inf)
    for i, (lo, hi) in enumerate(band_edges(fs)):
        if lo >= fs / 2:
            continue
        sel = (f >= lo) & (f < hi)
        e = p[sel].sum() / 0.5
        out[i] = 10 * np.log10(e) if e > 0 else -np.inf
    return out
