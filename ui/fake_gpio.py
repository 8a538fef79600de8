"""A GPIO twin for tests and the laptop: the same interface as the RPi.GPIO
backend, fed with edge sequences instead of wires (gpiozero's MockFactory idea).

    gpio = FakeGPIO()
    panel = Panel(table, gpio)
    gpio.turn(17, 27, clicks=+3, t=0.0)        # three clean detents clockwise
    gpio.feed(17, [0, 1, 0, 1, 0], t=1.0, dt=0.0002)   # a bouncing contact
"""
from __future__ import annotations


class FakeGPIO:
    def __init__(self):
        self.levels: dict[int, int] = {}
        self._on_edge = None
        self.t = 0.0

    def setup(self, pins: list[int]) -> None:
        for p in pins:
            self.levels[p] = 1        # pulled up, switch open

    def read(self, pin: int) -> int:
        return self.levels[pin]

    def watch(self, on_edge) -> None:
        self._on_edge = on_edge

    def close(self) -> None:
        self._on_edge = None

    def set(self, pin: int, level: int, t: float | None = None) -> None:
        """Drive one line; an edge (a change of level) reaches the watcher."""
        if pin not in self.levels:
            raise KeyError(f"GPIO {pin} was not set up as an input")
        if t is not None:
            self.t = t
        if self.levels[pin] != level:
            self.levels[pin] = level
            if self._on_edge is not None:
                self._on_edge(pin, level, self.t)

    def feed(self, pin: int, levels, t: float, dt: float = 0.001) -> float:
        """A sequence of levels on one line, dt apart; returns the time after it."""
        for lv in levels:
            self.set(pin, lv, t)
            t += dt
        return t

    def turn(self, a: int, b: int, clicks: int, t: float, dt: float = 0.002,
             bounce: int = 0) -> float:
        """Whole detents of a quadrature encoder (clockwise positive), each edge
        optionally followed by ``bounce`` extra chatter pulses on the same line."""
        cw = [(0, 1), (0, 0), (1, 0), (1, 1)]
        seq = cw if clicks > 0 else [(1, 0), (0, 0), (0, 1), (1, 1)]
        for _ in range(abs(clicks)):
            for la, lb in seq:
                for pin, lv in ((a, la), (b, lb)):
                    if self.levels[pin] != lv:
                        self.set(pin, lv, t)
                        for _ in range(bounce):
                            t += dt / 20
                            self.set(pin, 1 - lv, t)
                            t += dt / 20
                            self.set(pin, lv, t)
                t += dt
        return t

    def press(self, pin: int, t: float, hold: float = 0.1) -> float:
        """Press (to ground) and release after ``hold``; returns the release time."""
        self.set(pin, 0, t)
        self.set(pin, 1, t + hold)
        return t + hold
