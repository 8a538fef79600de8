"""The limiter, a plain gain and the output stage alone, for delivery renders.

    heard = LimiterStage(48000, values, output_stage=False)   # the engineer's limiter
    stage = LimiterStage(48000, values, drive_db=9.0, ceiling_dbtp=-1.0)
    y = stage.process(x)        # x: the chain's output with the limiter off
    y = stage.flush()           # the lookahead's last frames

``values`` are the engineer's. By default the limiter runs as they set it
(on or off, their drive and ceiling); ``drive_db`` and ``ceiling_dbtp``
replace those two and engage it, without the drive's 0..24 dB range.
``post_gain_db`` is a plain gain after the limiter, before the output stage
(so under the dither, like the output trim). With ``output_stage`` the
engineer's dither and word length follow; their trim is a plain gain too,
and the caller folds it into ``post_gain_db`` (``trim_db(values)``) where it
wants it, so the stage itself runs the output stage at unity trim. The
output is aligned with the input (the lookahead is removed), like a chain
render.
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


def trim_db(values: dict) -> float:
    """The output stage's trim as the engineer set it (0 with the stage off)."""
    return values["output.trim_db"] if values["output.on"] else 0.0


class LimiterStage:
    def __init__(self, fs: int, values: dict, drive_db: float | None = None,
                 ceiling_dbtp: float | None = None, post_gain_db: float = 0.0,
                 output_stage: bool = True):
        v = dict(params.check_values(values))
        v["output.trim_db"] = 0.0
        if not output_stage:
            v["output.on"] = 0.0
        if drive_db is not None or ceiling_dbtp is not None:
            v["limiter.on"] = 1.0
            v["limiter.drive_db"] = 0.0
            if ceiling_dbtp is not None:
                v["limiter.ceiling_dbtp"] = ceiling_dbtp
        self.T = build(v, fs)
        if drive_db is not None:
            self.T[K.TB_LIM + LK.DRIVE] = gain(drive_db)
        self.S = initial_state(self.T)
        self.W = np.zeros((K.CHUNK, K.W_COLS))
        self.post = gain(post_gain_db)
        self.latency = limiter.lookahead(fs)
        self._skip = self.latency

    def _run(self, x: np.ndarray) -> np.ndarray:
        y = np.empty_like(x)
        delivery.process(x, y, x.shape[0], self.T, self.S, self.W, self.post)
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

