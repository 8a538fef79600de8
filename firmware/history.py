"""What the screens draw over time: the last minute of short-term loudness,
the last ten seconds of gain change per stage (reduction positive, boost
negative) and of correlation. Sampled
by the control loop ten times a second from the meters and the sink (never
from the audio thread), kept in fixed-length rings."""
from __future__ import annotations

import collections
import math

RATE_HZ = 10
LOUDNESS_S = 60
STRIP_S = 10
# the stages that change gain, as the sink names them, with their one-letter labels
GR_LABELS = (("glue", "G"), ("multiband.low", "L"), ("multiband.mid", "M"),
             ("multiband.high", "H"), ("clipper", "C"), ("limiter", "X"))


def gain_changes(sink) -> dict[str, float]:
    """What each stage does to the gain now, dB, as the screens draw it:
    positive a reduction, negative a boost (the glue's upward compression
    raising a quiet passage), the two netted where a stage does both."""
    if sink is None:
        return {}
    out = dict(sink.gain_reduction_db())
    for k, b in sink.boosts().items():
        out[k] = out.get(k, 0.0) - b
    return out


class History:
    def __init__(self, stages: tuple[str, ...] = tuple(k for k, _ in GR_LABELS)):
        self.stages = stages
        self.short_term = collections.deque([math.nan] * (LOUDNESS_S * RATE_HZ), LOUDNESS_S * RATE_HZ)
        self.gr = {k: collections.deque([0.0] * (STRIP_S * RATE_HZ), STRIP_S * RATE_HZ) for k in stages}
        self.correlation = collections.deque([math.nan] * (STRIP_S * RATE_HZ), STRIP_S * RATE_HZ)
        self._next = -math.inf

    def sample(self, now: float, results: dict, gr: dict) -> None:
        """Take one sample per 1 / RATE_HZ of ``now``; a late call takes one,
        not a backlog (the graph is of what was seen, the meters hold the rest)."""
        if now < self._next:
            return
        self._next = max(self._next + 1.0 / RATE_HZ, now)
        st = results.get("short_term_lufs", -math.inf)
        self.short_term.append(st if st is not None and math.isfinite(st) else math.nan)
        for k in self.stages:
            self.gr[k].append(gr.get(k, 0.0))
        c = results.get("correlation_recent")
        self.correlation.append(c if c is not None else math.nan)
