"""True-peak limiter: ceiling, drive, release or auto release. Its lookahead
(lookahead(fs): 122 samples, 2.5 ms at 48 kHz; 1.2-3.4 ms across 32-192 kHz)
is part of the chain's constant, reported latency.
The kernel (kernels/limiter.py) explains how it keeps the reconstructed peak
under the ceiling."""
from functools import lru_cache

import numpy as np

from .. import filter_design as fd
from ..bs1770 import annex2_phases
from ..kernels import limiter as K
from ..schema import db, ms, switch
from .common import alpha, gain

NAME = "limiter"
TITLE = "Limiter"
STAGE = "limiter"
PARAMS = (
    switch("limiter.on", "Limiter", 0),
    db("limiter.ceiling_dbtp", "Ceiling", -3.0, 0.0, -1.0, step=0.1, fine=0.01),
    db("limiter.drive_db", "Drive", 0.0, 24.0),
    ms("limiter.release_ms", "Release", 1.0, 1000.0, 100.0),
    switch("limiter.auto_release", "Auto rel"),
)
MARGIN_DB = 0.05           # the limiter aims this far under its ceiling
HOLD_S = 0.025             # a gain is held this long before it rises: half a period of
                           # 20 Hz, so a steady tone's peaks all see one static gain
HOLD_MIN_S = 0.008
ATTACK_S = 0.0008          # the gain falls over this long before a peak (W)
DETECT_ATTEN_DB = 50.0     # the detector's Kaiser design target (48 dB at the 0.51 fs
                           # edge: images read 0.4 %, 0.035 dB, inside MARGIN_DB)
AUTO_FAST_S = 0.015        # auto release: transients recover this fast
AUTO_SLOW_S = 0.4          # sustained reduction this slowly
AUTO_AVG_S = 0.8
# two release poles in cascade reach 63 % at 2.146 of each one's time constant
CASCADE_63 = 2.146


def _halfband(length: int, atten_db: float) -> np.ndarray:
    """A Kaiser halfband low-pass (cutoff at a quarter of its rate) whose taps at
    even distances from the centre are exactly zero and whose centre is exactly
    1/2; the other taps scaled to sum to 1/2, so DC passes at exactly unity."""
    h = fd.kaiser_lowpass(length, 0.5, atten_db)
    c = (length - 1) // 2
    zeros = np.arange(c % 2, length, 2)
    h[zeros] = 0.0
    h[c] = 0.5
    others = np.ones(length, bool)
    others[zeros] = False
    others[c] = False
    h[others] *= 0.5 / h[others].sum()
    return h


@lru_cache(maxsize=None)
def detector_stages() -> tuple[np.ndarray, np.ndarray]:
    """The detector's two halfbands: 1x->2x flat to 0.49 fs and down
    DETECT_ATTEN_DB from 0.51 fs, then 2x->4x (see kernels/limiter.py)."""
    return _halfband(K.A_LEN, DETECT_ATTEN_DB), _halfband(K.B_LEN, 80.0)


def hold_s(release_ms: float) -> float:
    """How long a gain is held before it releases: HOLD_S, or half a fast
    release, but never under HOLD_MIN_S (a gain that moves within a few
    milliseconds spreads the audio's spectrum enough to overshoot between
    samples)."""
    return min(HOLD_S, max(0.5e-3 * release_ms, HOLD_MIN_S))


def put_f32(T, off, values) -> None:
    """float32 values packed two to a word from T[off] (the detector's taps)."""
    v = np.asarray(values, np.float32)
    words = T[off:off + (len(v) + 1) // 2]
    packed = np.zeros(2 * len(words), np.float32)
    packed[:len(v)] = v
    words[:] = packed.view(np.float64)


def window(fs: float) -> int:
    """W: the attack window in samples (lookahead = W + DETECT_DELAY - 1 + SPREAD)."""
    return max(round(ATTACK_S * fs), 8)


def lookahead(fs: float) -> int:
    la = window(fs) + K.DETECT_DELAY - 1 + K.SPREAD
    if la >= K.RING:
        raise ValueError(f"limiter lookahead {la} samples at {fs:g} Hz exceeds its ring of {K.RING}")
    return la


def design(v, fs, T):
    T[K.MIX] = v["limiter.on"]
    T[K.DRIVE] = gain(v["limiter.drive_db"])
    T[K.CEIL] = gain(v["limiter.ceiling_dbtp"] - MARGIN_DB)
    T[K.REL] = 1.0 - alpha(v["limiter.release_ms"] * 1e-3 / CASCADE_63, fs)
    T[K.AUTO] = v["limiter.auto_release"]
    T[K.REL_FAST] = 1.0 - alpha(AUTO_FAST_S / CASCADE_63, fs)
    T[K.REL_SLOW] = 1.0 - alpha(AUTO_SLOW_S / CASCADE_63, fs)
    T[K.AVG] = 1.0 - alpha(AUTO_AVG_S, fs)
    T[K.WIN] = window(fs)
    # a fast release asked for is kept: the hold is at most half of it
    T[K.HOLD] = round(hold_s(v["limiter.release_ms"]) * fs)
    a, b = detector_stages()
    put_f32(T, K.A_UP, 2.0 * a[0::2][::-1])
    put_f32(T, K.B_UP, 2.0 * b[1::2][::-1])
    put_f32(T, K.ANNEX, annex2_phases()[:, ::-1].ravel())


def readouts(S):
    return {"limiter": float(-20 * np.log10(max(S[K.S_GAIN], 1e-12)))}
