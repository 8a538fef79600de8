"""The panel: pin edges from a GPIO backend (real or fake) become named actions.

Edges arrive on any thread and are only queued; ``poll`` (called by the UI loop)
decodes them in order: encoders through the transition table and the
accelerator, pushes and buttons through the press classifier. Turning an encoder
while its push is held is a fine turn (no acceleration) and that push then
reports no press.
"""
from __future__ import annotations

import collections
import threading

from .actions import Action
from .buttons import PressClassifier
from .encoder import Accelerator, QuadratureDecoder


class Panel:
    def __init__(self, table, backend):
        self.table = table
        self.backend = backend
        self._q = collections.deque()
        self._lock = threading.Lock()     # UI side only; never the audio thread
        self._route = {}
        self.decoders = {}
        self.accel = {}
        self.presses = {}
        for gpio, control, role in table.lines():
            self._route[gpio] = (control, role)
            if role in ("a", "b"):
                self.decoders.setdefault(control, QuadratureDecoder())
                self.accel.setdefault(control, Accelerator())
            else:
                self.presses[control] = PressClassifier()
        backend.setup([g for g, _, _ in table.lines()])
        backend.watch(self._on_edge)

    def _on_edge(self, pin: int, level: int, t: float) -> None:
        with self._lock:
            self._q.append((pin, level, t))

    def poll(self, now: float) -> list[Action]:
        with self._lock:
            edges = list(self._q)
            self._q.clear()
        out: list[Action] = []
        for pin, level, t in edges:
            control, role = self._route[pin]
            if role in ("a", "b"):
                d = self.decoders[control].edge(role, level)
                if d:
                    push = self.presses[control]
                    if push.down:
                        push.used = True
                        out.append(Action(control, "turn", d, fine=True))
                    else:
                        out.append(Action(control, "turn", self.accel[control].steps(d, t)))
            else:
                for kind in self.presses[control].edge(level == 0, t):
                    out.append(Action(control, kind))
        for control, pc in self.presses.items():
            for kind in pc.tick(now):
                out.append(Action(control, kind))
        return out

    def close(self) -> None:
        self.backend.close()
