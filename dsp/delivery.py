"""The limiter and output stage alone, at a gain, for delivery renders.

    stage = LimiterStage(48000, values, gain_db=4.0)
    y = stage.process(x)        # x: the chain's output with the limiter off
    y = stage.flush()           # the lookahead's last frames

``values`` are the engineer's (the limiter's release and the output stage's
dither and word length are theirs); the limiter is engaged at ``ceiling_dbtp``
and ``gain_db`` is applied at its input, which is what its drive does, but
without the drive's 0..24 dB range: a negative gain is a plain turn-down that
the limiter only acts on where peaks still pass the ceiling. The output is
aligned with the input (the lookahead is removed), like a chain render.
"""
from __future__ import annotations

import numpy as np

from . import params
from .design import build, initial_state
from .kernels import chain as K
from .kernels import delivery
from .kernels import limiter as LK
from .modules import limiter
from .modules.common import gain


class LimiterStage:
    def __init__(self, fs: int, values: dict, ceiling_dbtp: float, gain_db: float,
                 output_stage: bool = True):
        v = dict(params.check_values(values))
        v.update({"limiter.on": 1.0, "limiter.ceiling_dbtp": ceiling_dbtp, "limiter.drive_db": 0.0})
        if not output_stage:
            v["output.on"] = 0.0
        self.T = build(v, fs)
        self.T[K.TB_LIM + LK.DRIVE] = gain(gain_db)
        self.S = initial_state(self.T)
        self.W = np.zeros((K.CHUNK, 3))
        self.latency = limiter.lookahead(fs)
        self._skip = self.latency

    def _run(self, x: np.ndarray) -> np.ndarray:
        y = np.empty_like(x)
        delivery.process(x, y, x.shape[0], self.T, self.S, self.W)
        if self._skip:
            cut = min(self._skip, len(y))
            self._skip -= cut
            y = y[cut:]
        return y

    def process(self, x: np.ndarray) -> np.ndarray:
        """(n, 2) float32 in; out the frames whose lookahead is complete."""
        return self._run(np.ascontiguousarray(x, dtype=np.float32))

    def flush(self) -> np.ndarray:
        """The last ``latency`` frames (the input followed by silence)."""
        return self._run(np.zeros((self.latency, 2), np.float32))
