"""The platform preview's numbers: the processed programme's integrated
loudness and true peak, measured on a render of what the box heard so far
(the capture ring, through the chain with the current values) on a worker
thread, and the gain each platform would apply to it (platforms.py).

Not from the box's own meters: they read what is heard, and while a platform
is previewed that already carries the platform's gain. A move of the
engineer's is measured again (after SETTLE_S without another), and the
preview follows: that is the point of hearing it while turning the knobs.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .errors import UserError
from .platforms import PLATFORMS
from .worker import HeardPreview

MIN_SECONDS = 3.0           # less programme than this says little about its loudness
SETTLE_S = 0.5              # a move measured again once the knobs rest this long
RETRY_S = 2.0               # after a failed measurement (too little heard yet), try again


@dataclass(frozen=True)
class Measured:
    lufs: float                 # the processed programme, integrated
    true_peak_dbtp: float
    seconds: float
    values: dict                # the values it was rendered with

    def gain_db(self, key: str) -> float:
        return PLATFORMS[key].gain_db(self.lufs, self.true_peak_dbtp)


def measure(x: np.ndarray, fs: int, values: dict) -> Measured:
    """``x`` (the programme before the chain) rendered with ``values`` and
    measured (dsp.meters: BS.1770 integrated, 4x true peak)."""
    from dsp.chain import Chain
    from dsp.meters import measure as meter

    if len(x) < MIN_SECONDS * fs:
        raise UserError(f"platform preview needs {MIN_SECONDS:g} s of programme heard "
                        f"({len(x) / fs:.1f} s so far)")
    c = Chain(fs, values, monitor=False)
    L = c.latency
    y = c.process(np.concatenate([np.asarray(x, np.float32), np.zeros((L, 2), np.float32)]))[L:]
    r = meter(y, fs)
    return Measured(r["integrated_lufs"], r["true_peak_dbtp"], len(x) / fs, dict(values))


class PlatformHand(HeardPreview):
    """Measures on a worker thread what the session's platform preview needs,
    again after the values move; the control loop collects it and sets the
    session's gain."""

    def __init__(self, session, capture):
        super().__init__(session, capture, "platform-preview", "platform preview")
        self.last: Measured | None = None
        self.error: str | None = None
        self._moved_at = None
        self._failed_at = -1e9

    def ask(self) -> None:
        self._start(measure)

    def tick(self, now: float | None = None) -> None:
        """From the control loop: collect a finished measurement and give the
        session its gain; measure again when the values moved and rested."""
        now = time.monotonic() if now is None else now
        s = self.session
        out = self._worker.collect()
        if out is not None:
            measured, self.error = out
            if measured is not None:
                self.last = measured
            else:
                self._failed_at = now
        if s.platform is None:
            return
        if self.last is not None and s.platform[1] != round(self.last.gain_db(s.platform[0]), 2):
            s.set_platform_gain(round(self.last.gain_db(s.platform[0]), 2))
        stale = self.last is None or self.last.values != s.values
        if stale and not self.busy and now - self._failed_at >= RETRY_S:
            if self._moved_at is None:
                self._moved_at = now
            if self.last is None or now - self._moved_at >= SETTLE_S:
                self._moved_at = None
                self.ask()
        if not stale:
            self._moved_at = None

    def retry(self) -> None:
        """A platform asked for by a hand: after an error, measure at once."""
        self._failed_at = -1e9
