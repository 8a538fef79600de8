"""Least-squares fits of the box's own EQ bands to a tonal difference: shelves
first, then bells at the largest residuals, each move a knob the engineer can
turn further (never a hidden curve).

A difference is dB per third-octave band (analysis.CENTRES), what the
programme needs added. Level is not a tonal matter (loudness is matched
elsewhere), so every fit has a free constant: a uniform offset costs nothing.
Band shapes are the analog prototypes the box's EQ follows to Nyquist
(dsp/filter_design.py), averaged in power over each third octave, as the
analysis measures.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from dsp import filter_design as fd

from .analysis import CENTRES, FIT_HI, FIT_LO, band_edges

MAX_DB = 4.0              # no EQ move beyond +-4 dB
MIN_DB = 0.5              # smaller moves are not proposed
UNIT_DB = 4.0             # shapes are taken at this gain and scaled (near-linear in dB up to it)
LOW_SHELF_HZ = (50, 63, 80, 100, 125, 160, 200, 250, 315)
HIGH_SHELF_HZ = (2000, 3150, 4000, 5000, 6300, 8000, 10000, 12500)
BELL_QS = (0.7, 1.0, 1.4, 2.0, 2.8)
BELL_LO, BELL_HI = 63.0, 12500.0
SIDE_LO = 150.0           # no side bells below this: the low end stays as mono as it is
SHELF_Q = 0.707


@dataclass(frozen=True)
class Band:
    band: str             # low_shelf | bell1 | bell2 | bell3 | high_shelf
    freq_hz: float
    gain_db: float
    q: float
    mode: str = "stereo"  # stereo | mid | side


def weights() -> np.ndarray:
    return ((CENTRES >= FIT_LO) & (CENTRES <= FIT_HI)).astype(float)


@lru_cache(maxsize=4096)
def _shape(kind: str, f0: float, q: float, gain_db: float = UNIT_DB) -> np.ndarray:
    """dB response per band of one band at ``gain_db``, power-averaged over
    each third octave."""
    lo, hi = band_edges()
    f = np.exp(np.linspace(np.log(lo), np.log(hi), 9, axis=1))       # (bands, 9)
    fn = {"bell": fd.analog_bell, "low_shelf": fd.analog_low_shelf,
          "high_shelf": fd.analog_high_shelf}[kind]
    h = fn(f.ravel(), f0, gain_db, q).reshape(f.shape)
    r = 10 * np.log10(np.mean(h ** 2, axis=1))
    r.setflags(write=False)
    return r


def response(b: Band) -> np.ndarray:
    """dB per band of one proposed band (at its own gain, not scaled)."""
    kind = "bell" if b.band.startswith("bell") else b.band
    return _shape(kind, float(b.freq_hz), float(b.q), float(round(b.gain_db, 3)))


def lstsq(cols: list[np.ndarray], d: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, float]:
    """Gains for ``cols`` (and a free constant) minimising the weighted error;
    returns (gains, rms of the residual over the weighted bands)."""
    A = np.stack(cols + [np.ones_like(d)], 1) * w[:, None]
    g, *_ = np.linalg.lstsq(A, d * w, rcond=None)
    r = (d - np.stack(cols + [np.ones_like(d)], 1) @ g) * w
    return g[:-1], float(np.sqrt(np.sum(r ** 2) / max(w.sum(), 1)))


def rms(d: np.ndarray, w: np.ndarray | None = None, free_offset: bool = True) -> float:
    """RMS of a difference over the weighted bands (its mean removed when
    level is free)."""
    w = weights() if w is None else w
    if free_offset:
        d = d - np.sum(d * w) / w.sum()
    return float(np.sqrt(np.sum((d * w) ** 2) / w.sum()))


def fit(d: np.ndarray, free: tuple[str, ...], mode: str = "stereo",
        already: np.ndarray | None = None) -> list[Band]:
    """Bands (from ``free``, the EQ bands not in use) fitted to difference d:
    the best pair (or single) of shelves on a grid, then bells at the largest
    residuals while they help by MIN_DB or more. ``already``: the response of
    bands fitted before (for the side after the stereo moves)."""
    w = weights()
    d = np.asarray(d, float) - (0.0 if already is None else already)
    out: list[Band] = []
    model = np.zeros_like(d)
    shelves = [s for s in ("low_shelf", "high_shelf") if s in free]
    if shelves:
        best = None
        grid_l = LOW_SHELF_HZ if "low_shelf" in shelves else (None,)
        grid_h = HIGH_SHELF_HZ if "high_shelf" in shelves else (None,)
        for fl in grid_l:
            for fh in grid_h:
                cols, names = [], []
                if fl is not None:
                    cols.append(_shape("low_shelf", fl, SHELF_Q) / UNIT_DB)
                    names.append(("low_shelf", fl))
                if fh is not None:
                    cols.append(_shape("high_shelf", fh, SHELF_Q) / UNIT_DB)
                    names.append(("high_shelf", fh))
                g, err = lstsq(cols, d, w)
                g = np.clip(g, -MAX_DB, MAX_DB)
                if best is None or err < best[0]:
                    best = (err, names, g)
        _, names, g = best
        for (kind, f0), gain in zip(names, g):
            if abs(gain) >= MIN_DB:
                b = Band(kind, float(f0), round(float(gain), 1), SHELF_Q, mode)
                out.append(b)
                model += response(b)
    for bell in [b for b in ("bell1", "bell2", "bell3") if b in free]:
        r = d - model
        r = r - np.sum(r * w) / w.sum()
        span = (CENTRES >= (SIDE_LO if mode == "side" else BELL_LO)) & (CENTRES <= BELL_HI)
        k = int(np.argmax(np.where(span, np.abs(r), -1.0)))
        best = None
        for q in BELL_QS:
            col = _shape("bell", float(CENTRES[k]), q) / UNIT_DB
            g, err = lstsq([col], r, w)
            if best is None or err < best[0]:
                best = (err, q, float(np.clip(g[0], -MAX_DB, MAX_DB)))
        _, q, gain = best
        if abs(gain) < MIN_DB:
            break
        b = Band(bell, float(CENTRES[k]), round(gain, 1), q, mode)
        out.append(b)
        model += response(b)
    return out


def total(bands: list[Band]) -> np.ndarray:
    out = np.zeros(len(CENTRES))
    for b in bands:
        out += response(b)
    return out
