"""Short, long and double presses from a debounced switch.

Feed the raw level after every edge (pressed = the pin pulled low) and call
``tick`` now and then; both return the classified presses that are complete:

- ``long``: held for ``long_s`` (reported while still held, so it feels instant),
  then ``release`` when it is let go (what a hold-to-hear control needs);
- ``double``: released and pressed again within ``double_s``;
- ``press``: released before ``long_s`` with no second press within ``double_s``
  (so a short press is reported ``double_s`` after its release).

Edges closer than ``debounce_s`` to the last accepted one are contact bounce and
are ignored. An encoder's push that was used for push-and-turn reports nothing.
"""
from __future__ import annotations


class PressClassifier:
    def __init__(self, long_s: float = 0.6, double_s: float = 0.3, debounce_s: float = 0.005):
        self.long_s, self.double_s, self.debounce_s = long_s, double_s, debounce_s
        self.down = False
        self._t_edge = -1e9
        self._t_down = 0.0
        self._t_up = 0.0
        self._pending = False        # a short press waiting for a possible second one
        self._long_sent = False
        self._second = False
        self.used = False            # set by the panel when the push served a fine turn

    def edge(self, pressed: bool, t: float) -> list[str]:
        out = self.tick(t)
        if t - self._t_edge < self.debounce_s or pressed == self.down:
            return out
        self._t_edge = t
        self.down = pressed
        if pressed:
            self._t_down = t
            self._long_sent = False
            self.used = False
            self._second = self._pending and t - self._t_up <= self.double_s
            self._pending = False
        else:
            self._t_up = t
            if self._long_sent and not self.used:
                out.append("release")
            elif self.used or self._long_sent:
                pass
            elif self._second:
                out.append("double")
            else:
                self._pending = True
        return out

    def tick(self, t: float) -> list[str]:
        out = []
        if self.down and not self._long_sent and not self.used and not self._second \
                and t - self._t_down >= self.long_s:
            self._long_sent = True
            out.append("long")
        if self._pending and not self.down and t - self._t_up > self.double_s:
            self._pending = False
            out.append("press")
        return out
