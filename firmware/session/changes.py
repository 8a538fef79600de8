"""What a session change looks like to the hands and surfaces that follow it:
a Change per revision, the snapshots' stored form, an undo step, and the
bounded Feed a slow reader takes instead of a subscription."""
from __future__ import annotations

import collections
import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Change:
    """What one revision changed. ``values`` maps each changed parameter id to
    (old, new); ``detail`` says what else moved (slot, target, listening mode,
    preset name); ``time`` is the wall clock."""
    revision: int
    source: str
    kind: str          # values | undo | redo | preset | recall | store | target | listen
                       # | restore | preset-saved | preset-renamed | proposal | recall-mode
    values: dict = field(default_factory=dict)
    detail: dict = field(default_factory=dict)
    time: float = 0.0


@dataclass
class Snapshot:
    values: dict | None = None
    offset_db: float | None = None      # its loudness over the input, LU, when known


@dataclass
class Step:
    changes: dict        # pid -> (old, new)
    gesture: str | None
    time: float


class Feed:
    """A bounded, thread-safe queue of Changes for one slow reader. When it is
    full the queue is emptied and ``overflowed`` set: the reader lost changes
    and resyncs from Session.state() rather than replaying a backlog."""

    def __init__(self, maxlen: int):
        self._q = collections.deque()
        self._max = maxlen
        self._cv = threading.Condition()
        self.overflowed = False

    def put(self, change: Change) -> None:
        with self._cv:
            if len(self._q) >= self._max:
                self._q.clear()
                self.overflowed = True
            self._q.append(change)
            self._cv.notify()

    def get(self, timeout: float | None = None) -> Change | None:
        with self._cv:
            if not self._q:
                self._cv.wait(timeout)
            return self._q.popleft() if self._q else None

    def take_overflow(self) -> bool:
        with self._cv:
            o, self.overflowed = self.overflowed, False
            return o
