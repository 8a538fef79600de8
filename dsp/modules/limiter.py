"""True-peak limiter: ceiling, drive, release or auto release, 1 ms lookahead.
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
MARGIN_DB = 0.02           # the limiter aims this far under its ceiling
LOOKAHEAD_S = 0.001        # lookahead including the detector
AUTO_FAST_S = 0.015        # auto release: transients recover this fast
AUTO_SLOW_S = 0.4          # sustained reduction this slowly
AUTO_AVG_S = 0.8
# two release poles in cascade reach 63 % at 2.146 of each one's time constant
CASCADE_63 = 2.146


@lru_cache(maxsize=None)
def detector_fir() -> np.ndarray:
    """The 4x interpolator. A windowed sinc with its cutoff at the base rate's
    Nyquist is zero every 4th tap from its centre; those taps come out of the
    design as rounding noise (~1e-17) and are set to exactly zero, so phase 0
    is the delayed sample times the centre tap, which the kernel reads instead
    of computing a dot product."""
    h = fd.oversampling_fir(K.TP_PHASES, 129, 60.0)
    c = (len(h) - 1) // 2
    zeros = np.arange(c % K.TP_PHASES, len(h), K.TP_PHASES)
    h[zeros[zeros != c]] = 0.0
    return h


def window(fs: float) -> int:
    """W: the attack window in samples (lookahead = W + 16 + SPREAD)."""
    la = min(round(LOOKAHEAD_S * fs), int(0.0015 * fs))
    return max(la - (K.DETECT_DELAY - 1) - K.SPREAD, 8)


def lookahead(fs: float) -> int:
    return window(fs) + K.DETECT_DELAY - 1 + K.SPREAD


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
    T[K.TP:K.ANNEX] = fd.polyphase_reversed(detector_fir(), K.TP_PHASES, K.TP_TAPS).ravel()
    T[K.ANNEX:K.ANNEX + K.TP_PHASES * K.ANNEX_TAPS] = annex2_phases()[:, ::-1].ravel()


def readouts(S):
    return {"limiter": float(-20 * np.log10(max(S[K.S_GAIN], 1e-12)))}
