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
# the stages that change gain, as the sink names them, in chain order, with
# their one-letter labels and the switches that engage them
GR_LABELS = (("dyneq.b1", "1"), ("dyneq.b2", "2"), ("deess", "S"), ("glue", "G"),
             ("multiband.low", "L"), ("multiband.mid", "M"), ("multiband.high", "H"),
             ("clipper", "C"), ("limiter", "X"))
ENGAGED_BY = {"dyneq.b1": ("dyneq.on", "dyneq.b1_on"), "dyneq.b2": ("dyneq.on", "dyneq.b2_on"),
              "deess": ("deess.on",), "glue": ("glue.on",), "multiband.low": ("multiband.on",),
              "multiband.mid": ("multiband.on",), "multiband.high": ("multiband.on",),
              "clipper": ("clipper.on",), "limiter": ("limiter.on",)}
OPTIONAL = ("dyneq.b1", "dyneq.b2", "deess")     # shown only while engaged
PANEL_ROWS = 6            # the stages a 128 x 64 page has room for


def panel_stages(values: dict, history: "History", rows: int = PANEL_ROWS) -> list[tuple[str, str]]:
    """The (stage, label) rows a panel page shows, in chain order: the core
    stages always, the dynamic bands and the de-esser while engaged. When
    that is more than ``rows``, the core stages switched off give way first,
    then those idle over the whole strip, then the last ones."""
    def engaged(k):
        return all(values.get(p, 0.0) for p in ENGAGED_BY[k])
    out = [(k, lab) for k, lab in GR_LABELS if k not in OPTIONAL or engaged(k)]
    for drop in (lambda k: k not in OPTIONAL and not engaged(k),
                 lambda k: k not in OPTIONAL and not any(abs(g) >= 0.05 for g in history.gr[k])):
        if len(out) > rows:
            out = [(k, lab) for k, lab in out if not drop(k)]
    return out[:rows]


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
