"""The RPi.GPIO backend: the only module in the firmware that imports RPi.GPIO.

On a Pi 4 that is the RPi.GPIO package; on a Pi 5 RPi.GPIO cannot reach the new
RP1 I/O chip and fails, and the ``rpi-lgpio`` package provides the same
``import RPi.GPIO`` on top of lgpio (scripts/install.sh picks the right one).

Every line is an input with the internal pull-up; both edges are watched. The
edge callback runs on RPi.GPIO's own thread: it only reads the level and puts
(pin, level, time) on the panel's queue; decoding happens on the UI thread.
"""
from __future__ import annotations

import time


class GPIOUnavailable(RuntimeError):
    pass


class RPiGPIOBackend:
    def __init__(self):
        try:
            import RPi.GPIO as GPIO
        except ImportError as e:
            raise GPIOUnavailable(
                f"RPi.GPIO is not installed ({e}): on a Pi 4 install RPi.GPIO, on a Pi 5 "
                f"rpi-lgpio (same import); on a laptop use `masterbox run --sim`") from None
        except RuntimeError as e:       # "This module can only be run on a Raspberry Pi!"
            raise GPIOUnavailable(f"RPi.GPIO cannot run here: {e}") from None
        self.GPIO = GPIO
        self._pins: list[int] = []

    def setup(self, pins: list[int]) -> None:
        G = self.GPIO
        G.setwarnings(False)
        G.setmode(G.BCM)
        for p in pins:
            G.setup(p, G.IN, pull_up_down=G.PUD_UP)
        self._pins = list(pins)

    def read(self, pin: int) -> int:
        return int(self.GPIO.input(pin))

    def watch(self, on_edge) -> None:
        G = self.GPIO
        for p in self._pins:
            # no bouncetime: the decoders need every edge (they ignore bounce themselves)
            G.add_event_detect(p, G.BOTH, callback=lambda ch: on_edge(ch, int(G.input(ch)),
                                                                     time.monotonic()))

    def close(self) -> None:
        if self._pins:
            self.GPIO.cleanup(self._pins)
            self._pins = []
