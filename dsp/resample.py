"""Sample-rate conversion for checks, streamed: what `check` converts a master
with to see its peaks at 44.1 kHz (the consumer-format step).

The filter is scipy.signal.resample_poly's own design (a Kaiser window,
beta 5, half length 10 * max(up, down) zero-stuffed samples, cutoff at the
lower Nyquist) and its alignment, so a converted file equals resample_poly's
result (to float32 rounding); it is applied block by block, so a file of any
length converts in bounded memory.

    r = Resampler(48000, 44100, channels=2)
    y = r.process(block)          # as many output frames as the input allows
    y = r.finish()                # the rest: output length ceil(n * up / down)
"""
from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import numpy as np

from .filter_design import kaiser_sinc
from .kernels.oversample import resample


@lru_cache(maxsize=None)
def _phases(up: int, down: int) -> tuple[np.ndarray, int]:
    """(up, taps) float32 phases, each reversed (the kernel's Q: oldest tap
    first) from P[r, i] = up * h[r + i * up], and the filter's half length
    (its delay in zero-stuffed samples)."""
    max_rate = max(up, down)
    half = 10 * max_rate
    h = kaiser_sinc(2 * half + 1, 1.0 / max_rate, 5.0) * up
    taps = -(-len(h) // up)
    padded = np.zeros(taps * up)
    padded[:len(h)] = h
    P = np.ascontiguousarray(padded.reshape(taps, up).T[:, ::-1], dtype=np.float32)
    P.setflags(write=False)
    return P, half


class Resampler:
    def __init__(self, fs_in: int, fs_out: int, channels: int):
        r = Fraction(int(fs_out), int(fs_in))
        self.up, self.down = r.numerator, r.denominator
        self.P, self.delay = _phases(self.up, self.down)
        self.taps = self.P.shape[1]
        self.channels = channels
        self.have = 0               # input frames given
        self.made = 0               # output frames made
        # per channel: the last `taps` input samples, then the block
        self._src = np.zeros((channels, self.taps + 8), np.float32)

    def _run(self, x: np.ndarray, limit: int) -> np.ndarray:
        n = x.shape[0]
        t = self.taps
        if self._src.shape[1] < t + n:
            src = np.zeros((self.channels, t + n), np.float32)
            src[:, :t] = self._src[:, :t]
            self._src = src
        base = self.have - t        # input index of src[:, 0]
        self.have += n
        most = (self.have + 1) * self.up // self.down + 2
        out = np.empty((most, self.channels), np.float32)
        col = np.empty(most, np.float32)
        k = 0
        for c in range(self.channels):
            s = self._src[c]
            s[t:t + n] = x[:, c]
            k = resample(s, base, limit, self.P, self.up, self.down, self.delay, self.made, col)
            out[:k, c] = col[:k]
            s[:t] = s[n:n + t]
        self.made += k
        return out[:k]

    def process(self, x: np.ndarray) -> np.ndarray:
        """Convert a block (frames, channels); returns the output frames it completes."""
        x = np.asarray(x, np.float32)
        if x.ndim == 1:
            x = x[:, None]
        return self._run(x, self.have + x.shape[0])

    def finish(self) -> np.ndarray:
        """The remaining output frames (the input ends in silence), up to
        ceil(n * up / down) frames in all, as resample_poly returns."""
        total = -(-self.have * self.up // self.down)
        n_in = self.have
        # enough zeros for the last output's window to be complete
        pad = (total * self.down + self.delay) // self.up - n_in + 1
        y = self._run(np.zeros((max(pad, 0), self.channels), np.float32), n_in + max(pad, 0))
        return y[:max(0, total - (self.made - len(y)))]
