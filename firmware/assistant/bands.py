"""Nine broad bands of a programme, measured the way the built-in profiles'
source measured 568 masters (phaselimiter's audio analyser, MIT licence,
github.com/ai-mastering/phaselimiter, src/audio_analyzer/
multiband_histogram.h), so a programme and a profile compare like with like.

Per band, from the K-weighted signal in 400 ms blocks every 100 ms (a
sqrt-Hann window over the FFT, the window's energy divided out):

- mid and side level: the band's energy of L+R (of L-R) per block in dB,
  averaged in dB over the blocks within 20 dB of the blocks' mean (a
  relative gate, as BS.1770's); here relative to the programme's integrated
  loudness, which makes it a level-free tone;
- side to mid: 10 log10(side / mid energy) per block, averaged the same way.

This is a second implementation written from that description, not a copy;
tests/test_profiles.py checks it against analytic values. (scipy and the
meters are imported where they are used: the panel reads the band names
from here at every key press.)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# the source's band edges (ERB-spaced, as its JSON files store them), Hz
EDGES = (148.2, 392.38, 794.70, 1457.57, 2549.74, 4349.24, 7314.16, 12199.27)
NAMES = ("<148", "148-392", "392-795", "795-1.5k", "1.5-2.5k", "2.5-4.3k", "4.3-7.3k",
         "7.3-12k", ">12k")
BLOCK_S, HOP_S = 0.4, 0.1
GATE_DB = -20.0
FLOOR_DB = -70.0                 # ratio blocks below this are left out before the gate


@dataclass
class BandReading:
    integrated_lufs: float
    lra_lu: float
    mid_db: np.ndarray           # per band, dB relative to the integrated loudness
    side_db: np.ndarray
    side_to_mid_db: np.ndarray   # per band, dB

    def to_dict(self) -> dict:
        r = lambda a: [round(float(v), 2) for v in a]  # noqa: E731
        return {"integrated_lufs": round(self.integrated_lufs, 2), "lra_lu": round(self.lra_lu, 2),
                "mid_db": r(self.mid_db), "side_db": r(self.side_db),
                "side_to_mid_db": r(self.side_to_mid_db)}


def gated_mean(values: np.ndarray, floor: float = -np.inf) -> float:
    """The mean of the values within GATE_DB of the mean of those above ``floor``."""
    v = values[values >= floor]
    if not len(v):
        return float("nan")
    v = v[v >= v.mean() + GATE_DB]
    return float(v.mean())


def band_blocks(x: np.ndarray, fs: int) -> tuple[np.ndarray, np.ndarray]:
    """(mid, side) band energies per block: arrays (blocks, 9), linear."""
    from scipy.signal import sosfilt

    from dsp.bs1770 import k_weighting_sos
    k = sosfilt(k_weighting_sos(fs), np.asarray(x, np.float64), axis=0)
    width, hop = int(fs * BLOCK_S), int(fs * HOP_S)
    window = np.sqrt(0.5 - 0.5 * np.cos(2 * np.pi * np.arange(width) / width)) / np.sqrt(width)
    edges = [0] + [int(np.floor(width * e / fs)) for e in EDGES] + [width // 2 + 1]
    starts = range(0, len(k), hop)
    mid = np.empty((len(starts), len(EDGES) + 1))
    side = np.empty_like(mid)
    frame = np.zeros((width, 2))
    for j, p in enumerate(starts):
        seg = k[p:p + width]
        frame[:] = 0.0
        frame[:len(seg)] = seg
        spec = np.fft.rfft(frame * window[:, None], axis=0)
        m = np.abs(spec[:, 0] + spec[:, 1]) ** 2
        s = np.abs(spec[:, 0] - spec[:, 1]) ** 2
        for i in range(len(EDGES) + 1):
            mid[j, i] = m[edges[i]:edges[i + 1]].sum() / (0.5 * width)
            side[j, i] = s[edges[i]:edges[i + 1]].sum() / (0.5 * width)
    return mid, side


def read(x: np.ndarray, fs: int) -> BandReading:
    """The nine bands of stereo x (frames, 2)."""
    from dsp.meters import measure
    mid, side = band_blocks(x, fs)
    m = measure(np.asarray(x, np.float32), fs)
    lufs = float(m["integrated_lufs"])
    mid_db = 10 * np.log10(1e-7 + mid)
    side_db = 10 * np.log10(1e-7 + side)
    ratio = 10 * np.log10(1e-37 + side / (1e-37 + mid))
    n = mid.shape[1]
    return BandReading(
        lufs, float(m["loudness_range_lu"]),
        np.array([gated_mean(mid_db[:, i]) for i in range(n)]) - lufs,
        np.array([gated_mean(side_db[:, i]) for i in range(n)]) - lufs,
        np.array([gated_mean(ratio[:, i], FLOOR_DB) for i in range(n)]))
