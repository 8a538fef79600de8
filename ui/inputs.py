"""The panel: pin edges from a GPIO backend (real or fake) become named actions.

Edges arrive on any thread and are only queued; ``poll`` (called by the UI loop)
decodes them in order: encoders through the transition table and the
accelerator, pushes and buttons through the press classifier. Turning an encoder
while its push is held is a fine turn (no acceleration) and that push then
reports no press.

The encoders' decoder is a transition table in the style of gpiozero's RotaryEncoder: it
walks idle -> 1 -> 2 -> 3 -> idle through the four Gray-code states of a detent
and counts a step only when a whole valid cycle completes. Contact bounce on one
line flips the state back and forth between two neighbours; jiggling the knob at
a detent walks a few states and back: neither completes a cycle, so neither
ever produces a step. A state that skips one (both lines changed at once, an
edge was missed) returns the decoder to idle without counting.

Levels are as read with the pull-ups the pin table asks for: a detent rests
with both lines high, (A, B) = (1, 1). Clockwise, A falls first.
"""
from __future__ import annotations

import collections
import math
import threading

from .actions import Action
from .buttons import PressClassifier

IDLE, CW1, CW2, CW3, CCW1, CCW2, CCW3 = range(7)

# next state for each (state, (a, b)); a step is counted on CW3/CCW3 -> IDLE
_NEXT = {
    IDLE: {(1, 1): IDLE, (0, 1): CW1, (1, 0): CCW1, (0, 0): IDLE},
    CW1: {(1, 1): IDLE, (0, 1): CW1, (0, 0): CW2, (1, 0): IDLE},
    CW2: {(1, 1): IDLE, (0, 1): CW1, (0, 0): CW2, (1, 0): CW3},
    CW3: {(1, 1): IDLE, (0, 1): IDLE, (0, 0): CW2, (1, 0): CW3},
    CCW1: {(1, 1): IDLE, (1, 0): CCW1, (0, 0): CCW2, (0, 1): IDLE},
    CCW2: {(1, 1): IDLE, (1, 0): CCW1, (0, 0): CCW2, (0, 1): CCW3},
    CCW3: {(1, 1): IDLE, (1, 0): IDLE, (0, 0): CCW2, (0, 1): CCW3},
}


class QuadratureDecoder:
    """Feed it the pair of line levels after every edge; it returns +1, -1 or 0."""

    def __init__(self):
        self.state = IDLE
        self.a = 1
        self.b = 1

    def update(self, a: int, b: int) -> int:
        self.a, self.b = int(bool(a)), int(bool(b))
        old = self.state
        self.state = _NEXT[old][(self.a, self.b)]
        if self.state == IDLE:
            if old == CW3:
                return +1
            if old == CCW3:
                return -1
        return 0

    def edge(self, line: str, level: int) -> int:
        """One line changed ("a" or "b")."""
        if line == "a":
            return self.update(level, self.b)
        return self.update(self.a, level)


class Accelerator:
    """Faster turning moves further: a detent that follows the previous one within
    ``slow_s`` counts 1, within ``fast_s`` or less counts ``max_mult``, and
    geometrically in between. A change of direction starts slow again."""

    def __init__(self, slow_s: float = 0.05, fast_s: float = 0.008, max_mult: int = 8):
        if not 0 < fast_s < slow_s:
            raise ValueError(f"accelerator: fast_s {fast_s} must be below slow_s {slow_s} and positive")
        if max_mult < 1:
            raise ValueError(f"accelerator: max_mult {max_mult} must be at least 1")
        self.slow_s, self.fast_s, self.max_mult = slow_s, fast_s, max_mult
        self._last_t = None
        self._last_dir = 0

    def multiplier(self, dt: float) -> int:
        if dt >= self.slow_s:
            return 1
        if dt <= self.fast_s:
            return self.max_mult
        # log-interpolate: dt = slow -> 1, dt = fast -> max
        f = math.log(self.slow_s / dt) / math.log(self.slow_s / self.fast_s)
        return max(1, round(self.max_mult ** f))

    def steps(self, direction: int, t: float) -> int:
        if direction == 0:
            return 0
        mult = 1
        if self._last_t is not None and direction == self._last_dir:
            mult = self.multiplier(t - self._last_t)
        self._last_t, self._last_dir = t, direction
        return direction * mult


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
