"""The limiter's sound and its peaks, against pedalboard's BrickwallLimiter
(true_peak=True) in the same run, at 48 kHz and a -1 dBTP ceiling.

    .venv/bin/python bench/limiter.py [--quick]

Sound: a steady tone needs only a static gain, so THD+N at constant gain
reduction should sit at the measurement floor; SMPTE IMD (60 Hz + 7 kHz at
4:1, RP120) shows gain modulation at the low frequency's rate. Peaks: every
output on a full-band reference meter (32x, flat to 0.49 fs: what a DAC
reconstructs) and on the BS.1770 Annex 2 4x meter. The measuring tools are
tests/helpers.py's (scipy/numpy, none of the chain's code).
"""
from __future__ import annotations

import os
import sys
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

from helpers import (run, smpte_imd_pct, thd_n_db, true_peak_db,  # noqa: E402
                     true_peak_fullband_db, worst_case_pattern)

FS = 48000
CEILING = -1.0
SECONDS = 2.5 if "--quick" in sys.argv else 3.0   # --quick: that it runs


def ours(x):
    y, _ = run(x, FS, {"limiter.on": 1, "limiter.ceiling_dbtp": CEILING, "limiter.release_ms": 100.0})
    return y.astype(np.float64)


def pedalboard(x):
    from pedalboard import BrickwallLimiter

    lim = BrickwallLimiter(ceiling_db=CEILING, release_ms=100.0, true_peak=True)
    y = lim.process(np.ascontiguousarray(np.asarray(x, np.float32).T), FS, reset=True)
    return y.T.astype(np.float64)


def stereo(s):
    return np.stack([s, s], 1).astype(np.float32)


def tone(f, tp_dbtp):
    """A sine whose continuous peak (its true peak) is tp_dbtp."""
    t = np.arange(int(SECONDS * FS)) / FS
    return stereo(10 ** (tp_dbtp / 20) * np.sin(2 * np.pi * f * t + 0.3))


def smpte(tp_dbtp):
    t = np.arange(int(SECONDS * FS)) / FS
    x = 0.8 * np.sin(2 * np.pi * 60 * t) + 0.2 * np.sin(2 * np.pi * 7000 * t)
    return stereo(x * 10 ** (tp_dbtp / 20) / np.max(np.abs(x)))


def steady(y):
    """The settled middle: the first second lets gains settle; the last quarter
    second goes too, where the tone's abrupt end (an overshoot of its own)
    makes any true-peak limiter act."""
    return y[FS:-FS // 4, 0]


SOUND = [
    ("THD+N, 50 Hz sine, 6 dB GR", lambda lim: thd_n_db(steady(lim(tone(50, CEILING + 6))), FS, 50), "dB"),
    ("THD+N, 50 Hz sine, 12 dB GR", lambda lim: thd_n_db(steady(lim(tone(50, CEILING + 12))), FS, 50), "dB"),
    ("THD+N, 10 kHz sine, 6 dB GR", lambda lim: thd_n_db(steady(lim(tone(10000, CEILING + 6))), FS, 10000), "dB"),
    ("THD+N, 10 kHz sine at the ceiling", lambda lim: thd_n_db(steady(lim(tone(10000, CEILING))), FS, 10000), "dB"),
    ("SMPTE IMD (60 Hz + 7 kHz, 4:1), 6 dB GR", lambda lim: smpte_imd_pct(steady(lim(smpte(CEILING + 6))), FS), "%"),
]


def hostile(name):
    n = int(SECONDS * FS)
    t = np.arange(n) / FS
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    if name == "white noise, full scale":
        s = rng.uniform(-1, 1, n)
    elif name == "hard-clipped master":
        s = np.cumsum(rng.standard_normal(n)) * 0.02 + 3 * np.sin(2 * np.pi * 110 * t)
        s += rng.standard_normal(n) * (np.sin(2 * np.pi * 2 * t) > 0)
        s = np.clip(s, -1, 1)
    elif name == "square wave 997 Hz":
        s = np.sign(np.sin(2 * np.pi * 997 * t) + 1e-12)
    elif name.startswith("sweep to 0.49 fs"):
        s = 2 * np.sin(2 * np.pi * (20 * t + (0.49 * FS - 20) * t * t / (2 * SECONDS)))
        if "cut dead" not in name:
            s *= np.minimum(1.0, (t[-1] - t) / 0.01)   # the usual 10 ms fade at its end
    elif name == "worst-case patterns":
        s = np.zeros(n)
        for k, start in enumerate(range(FS // 10, n - 64, FS // 20)):
            s[start:start + 32] = worst_case_pattern(32, 0.5 if k % 2 else 0.25)
    else:
        raise KeyError(name)
    return np.stack([s, 0.9 * s[::-1]], 1).astype(np.float32)


PEAKS = ["white noise, full scale", "hard-clipped master", "square wave 997 Hz", "sweep to 0.49 fs",
         "worst-case patterns", "sweep to 0.49 fs, cut dead"]


def main():
    print(f"limiter at {CEILING:g} dBTP, 48 kHz, {SECONDS:g} s per signal (the first second settles)")
    print(f"{'test':44s} {'masterbox':>12s} {'pedalboard':>12s}")
    for name, fn, unit in SOUND:
        a, b = fn(ours), fn(pedalboard)
        fmt = "{:10.4f} %" if unit == "%" else "{:9.1f} dB"
        print(f"{name:44s} {fmt.format(a):>12s} {fmt.format(b):>12s}")
    print("\novers above the ceiling, dB (full-band 32x reference / Annex 2 4x meter):")
    print(f"{'signal':30s} {'masterbox':>18s} {'pedalboard':>18s}")
    for name in PEAKS:
        x = hostile(name)
        row = []
        for lim in (ours, pedalboard):
            y = lim(x)
            row.append(f"{true_peak_fullband_db(y) - CEILING:+6.2f} / {true_peak_db(y, 'annex4x') - CEILING:+6.2f}")
        print(f"{name:30s} {row[0]:>18s} {row[1]:>18s}")


if __name__ == "__main__":
    main()
