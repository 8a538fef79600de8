"""DELIVERY: hear on the box what `render --target` would write.

The plan is not an estimate of the render: it is the render. The programme
the box heard so far (the capture ring: what came in, up to its length) is
rendered to the session's target through the same code as `render --target`
(offline/delivery.py), with the current settings, on a worker thread; its
report says which of the two it did:

- plain: the heard sound times one gain. The monitor stage plays the
  processed output at that gain (kernels/monitor.py, mode 4).
- limit: drive added to the limiter (and its ceiling moved where the
  target's is lower). The chain plays with the limiter's drive and ceiling
  the render used and the output trim at 0 dB (a limit pass drops it), so
  the output is the render's; the monitor adds nothing.

The session holds the plan as a monitor source (Session.hear_delivery):
never saved, never in a render, and like compare it ends at the next
parameter move (the plan was for the settings before it), a new target or
another monitor source. The temporary files go to /dev/shm where it exists
(RAM on the Pi, not the SD card).
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

import numpy as np

from .errors import UserError
from .worker import HeardPreview

MIN_SECONDS = 3.0           # less programme than this says little about its loudness


@dataclass(frozen=True)
class DeliveryPlan:
    target: str
    plain: bool
    gain_db: float              # plain: the gain on the processed output
    added_drive_db: float       # limit: how much further the peaks are driven over the ceiling
    drive_db: float | None      # limit: the limiter's drive and ceiling as rendered
    ceiling_dbtp: float | None
    heard_lufs: float           # the processed programme, as heard
    delivered_lufs: float       # and as the render delivered it
    delivered_true_peak_dbtp: float
    seconds: float              # how much programme the plan was made from
    reached: bool

    @property
    def monitor_gain_db(self) -> float:
        return self.gain_db if self.plain else 0.0

    def overrides(self) -> dict[str, float]:
        """What the chain plays instead of the engineer's values while the
        delivery is heard (nothing for a plain gain)."""
        if self.plain:
            return {}
        return {"limiter.on": 1.0, "limiter.drive_db": self.drive_db,
                "limiter.ceiling_dbtp": self.ceiling_dbtp, "output.trim_db": 0.0}

    def label(self) -> str:
        """The badge: DELIV and its number."""
        return f"DELIV{self.gain_db:+.1f}" if self.plain else f"DELIV+{self.added_drive_db:.1f}dr"

    def describe(self) -> str:
        """One line: which of the two it will be."""
        if self.plain:
            return f"gain {self.gain_db:+.1f} dB"
        return f"+{self.added_drive_db:.1f} dB drive"


def plan(x: np.ndarray, fs: int, values: dict, target: str) -> DeliveryPlan:
    """What `render --target` does to ``x`` (frames x 2, the programme before
    the chain) with ``values``: rendered, in temporary files."""
    import soundfile as sf

    from .offline import delivery, targets

    if len(x) < MIN_SECONDS * fs:
        raise UserError(f"DELIVERY needs {MIN_SECONDS:g} s of programme heard "
                        f"({len(x) / fs:.1f} s so far)")
    shm = "/dev/shm"
    where = shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="masterbox-delivery-", dir=where) as tmp:
        src, out = os.path.join(tmp, "heard.wav"), os.path.join(tmp, "delivered.wav")
        sf.write(src, np.asarray(x, np.float32), fs, subtype="FLOAT")
        rep = delivery.render_to_target([src], [out], values, targets.TARGETS[target], bits="32f",
                                        progress=False)
    r = rep["tracks"][0]
    if r["heard_lufs"] is None or not np.isfinite(r["heard_lufs"]):
        raise UserError("DELIVERY: the programme heard so far is silent (below the -70 LUFS gate)")
    plain = r["delivery"] == "plain"
    return DeliveryPlan(target, plain, r["gain_db"], r["added_drive_db"],
                        None if plain else r["limiter_drive_db"],
                        None if plain else r["limiter_ceiling_dbtp"],
                        r["heard_lufs"], r["integrated_lufs"], r["true_peak_dbtp"], len(x) / fs,
                        rep["reached"])


class DeliveryHand(HeardPreview):
    """Makes a plan on a worker thread from the session's values and target
    and what ``capture()`` returns; the control loop collects it."""

    def __init__(self, session, capture):
        super().__init__(session, capture, "delivery-preview", "DELIVERY")
        self.last: DeliveryPlan | None = None      # the newest plan (the target page shows it)

    def ask(self) -> None:
        target = self.session.target
        self._start(lambda x, fs, values: plan(x, fs, values, target))

    def collect(self) -> tuple[DeliveryPlan | None, str | None] | None:
        """The finished (plan, error), once; None while nothing has finished."""
        out = self._worker.collect()
        if out is not None and out[0] is not None:
            self.last = out[0]
        return out
