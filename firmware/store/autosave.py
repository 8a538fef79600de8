"""Autosave: the session written to its StateStore after a pause in turning.

A change (any revision but a listening switch: modes are never restored)
marks the session dirty. The saver thread writes it QUIET_S after the last
change, or MIN_INTERVAL_S after the first unsaved one if the knobs keep
moving, and never sooner than MIN_INTERVAL_S after the previous write: however
the knobs are turned, at most one write every 10 s (360 an hour, a few KiB
each; see docs/presets-and-memory.md), and at most 10 s of moves lost to a power cut. ``close()`` (a clean stop: SIGTERM, Ctrl-C)
writes at once if anything is unsaved. Saving runs on its own thread: an SD
card's fsync can take tens of milliseconds, and the control loop never waits
for it. A failed save (a full disk) keeps the previous state on disk intact
and is reported through ``status``.
"""
from __future__ import annotations

import logging
import threading
import time

from ..errors import MasterboxError
from .state import StateStore

log = logging.getLogger("masterbox.autosave")

QUIET_S = 2.0
MIN_INTERVAL_S = 10.0


class Autosaver:
    def __init__(self, session, store: StateStore, quiet_s: float = QUIET_S,
                 min_interval_s: float = MIN_INTERVAL_S, clock=time.monotonic):
        self.session = session
        self.store = store
        self.quiet_s = quiet_s
        self.min_interval_s = min_interval_s
        self._clock = clock
        self._cv = threading.Condition()
        self._dirty = False
        self._dirty_since = -1e18
        self._last_change = -1e18
        self._last_save = -1e18
        self._stop = False
        self.saves = 0
        self.last_error: str | None = None
        self.last_path: str | None = None
        self._unsubscribe = session.subscribe(self._on_change)
        self._thread = threading.Thread(target=self._run, name="autosave", daemon=True)
        self._thread.start()

    @property
    def status(self) -> str | None:
        """A line for the status bar when the last save failed, else None."""
        return None if self.last_error is None else f"NOT SAVED: {self.last_error}"

    def _on_change(self, change) -> None:
        if change.kind in ("listen", "proposal"):     # heard or proposed, never the box's state
            return
        with self._cv:
            now = self._clock()
            if not self._dirty:
                self._dirty_since = now
            self._dirty = True
            self._last_change = now
            self._cv.notify()

    def due(self) -> float | None:
        """When the next save is due (clock time), or None when nothing is unsaved."""
        with self._cv:
            if not self._dirty:
                return None
            settle = min(self._last_change + self.quiet_s, self._dirty_since + self.min_interval_s)
            return max(settle, self._last_save + self.min_interval_s)

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._stop:
                    t = self.due()
                    now = self._clock()
                    if t is not None and t <= now:
                        break
                    self._cv.wait(None if t is None else min(t - now, 1.0))
                if self._stop:
                    return
            self.save_now()

    def save_now(self) -> bool:
        """Write the session now if anything is unsaved; True if it was written."""
        with self._cv:
            if not self._dirty:
                return False
            self._dirty = False
            self._last_save = self._clock()
        state = self.session.state()
        try:
            self.last_path = self.store.save(state)
        except MasterboxError as e:
            with self._cv:
                if not self._dirty:
                    self._dirty_since = self._last_save
                self._dirty = True          # try again an interval later
            if self.last_error != str(e):
                log.error("state not saved: %s", e)
            self.last_error = _short(str(e))
            return False
        if self.last_error is not None:
            log.info("state saved again (%s)", self.last_path)
        self.last_error = None
        self.saves += 1
        return True

    def close(self) -> None:
        """Stop the thread and write what is unsaved (a clean stop)."""
        with self._cv:
            self._stop = True
            self._cv.notify()
        self._thread.join(timeout=5.0)
        self._unsubscribe()
        self.save_now()


def _short(msg: str) -> str:
    """The reason of a file error, for a 21-character status line."""
    if "(" in msg and msg.endswith(")"):
        return msg[msg.rindex("(") + 1:-1]
    return msg
