"""How far a delivered master is from the heard sound times one gain,
accumulated block by block as the master is written.

    r = Residual(gain_db=-5.3)      # a plain gain: the residual against exactly it
    r = Residual()                  # otherwise: against the best single gain
    r.add(delivered, heard)         # aligned float32 blocks (frames, channels)
    r.result() -> {"residual_db": -142.1, "residual_gain_db": -5.3}

``residual_db`` is the energy of delivered - g x heard over the delivered
master's energy, in dB: about -150 for a plain gain into float (float32
rounding), -90 or so under 16-bit dither, -10 to -40 where drive was added.
"""
from __future__ import annotations

import math

import numpy as np

from dsp.kernels.delivery import residual_sums

FLOOR_DB = -300.0           # reported for an exact match (JSON has no -inf)


class Residual:
    def __init__(self, gain_db: float | None = None):
        self.gain = None if gain_db is None else 10 ** (gain_db / 20)
        self.acc = np.zeros(4)

    def add(self, y: np.ndarray, h: np.ndarray) -> None:
        residual_sums(np.ascontiguousarray(y, np.float32), np.ascontiguousarray(h, np.float32),
                      1.0 if self.gain is None else self.gain, self.acc)

    def result(self) -> dict:
        yy, hh, yh, ee = self.acc
        if yy <= 0.0 or hh <= 0.0:
            return {"residual_db": None, "residual_gain_db": None}
        if self.gain is not None:
            g, e = self.gain, ee
        else:
            # the least-squares gain; its residual by cancellation is good to
            # about -140 dB, far below what added drive leaves
            g = yh / hh
            e = max(yy - yh * yh / hh, 0.0)
        return {"residual_db": max(10 * math.log10(e / yy), FLOOR_DB) if e > 0 else FLOOR_DB,
                "residual_gain_db": 20 * math.log10(g) if g > 0 else None}
