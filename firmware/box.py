"""The box itself: the real-time engine with the panel and the screen.

Audio comes first: the engine boots (passthrough, then the chain) before any of
this; if the panel or the display cannot be opened, the error is logged and
shown, and the box keeps running headless. The UI runs on the control thread
at ~30 frames a second: panel edges become actions, actions become parameter
sets published lock-free to the callback (Engine.set), and the screen is sent
to the display only when a pixel changed (an SPI frame costs ~1 ms at 8 MHz).

Panels: "gpio" (the pin table on RPi.GPIO, the OLED from the same table) or
"keys" (the laptop key map on this terminal, the screen drawn in it: the real
engine on any sound card, used by the tests on the JACK dummy server).
"""
from __future__ import annotations

import logging
import os
import select
import sys

from dsp.meters import Meter
from ui import screens
from ui.actions import KEYMAP

from .control import Controller

log = logging.getLogger("masterbox.box")
FRAME_S = 1 / 30


class EngineMeter:
    """The meters as the callback leaves them: a copy of the meter state read
    without a lock (a value may be one block old; the callback never waits)."""

    def __init__(self, engine):
        self.engine = engine
        self.m = Meter(engine.fs, 2)

    def results(self) -> dict:
        self.m.MS[:] = self.engine.meter_state()
        return self.m.results()


class BoxUI:
    def __init__(self, engine, panel: str = "gpio", pins_path: str | None = None, out=None):
        self.engine = engine
        self.ctl = Controller(engine, EngineMeter(engine))
        self.out = out or sys.stdout
        self.kind = panel
        self.panel = None
        self.device = None
        self._last = None
        self._counters = engine.counters()
        if panel == "gpio":
            from ui import pins
            from ui.display import open_display
            from ui.gpio_backend import RPiGPIOBackend
            from ui.inputs import Panel

            table = pins.load(pins_path)
            try:
                self.device = open_display(table.display)
            except Exception as e:
                log.error("%s", e)
                self.ctl.flash("NO DISPLAY", 0.0, 1e9)
            self.panel = Panel(table, RPiGPIOBackend())
        elif panel == "keys":
            self.fd = sys.stdin.fileno()
            self.stdin_open = True
            self._tty = None
            if os.isatty(self.fd):
                import termios
                import tty

                self._tty = termios.tcgetattr(self.fd)
                tty.setcbreak(self.fd)       # keys one by one; ctrl-c still stops the box
            self.out.write("\x1b[2J\x1b[?25l")
        else:
            raise ValueError(f"panel {panel!r}: use gpio or keys")

    def actions(self, now):
        if self.panel is not None:
            return self.panel.poll(now)
        out = []
        if self.stdin_open and select.select([self.fd], [], [], 0)[0]:
            data = os.read(self.fd, 64)
            if not data:
                self.stdin_open = False
            for ch in data.decode("utf-8", "replace"):
                if ch in KEYMAP:
                    out.append(KEYMAP[ch])
        return out

    def step(self, now: float) -> None:
        for a in self.actions(now):
            try:
                self.ctl.handle(a, now)
            except Exception as e:          # a bad move must not stop the box
                log.error("action %s: %s", a, e)
                self.ctl.flash(str(e)[:21], now)
        self.ctl.tick(now)
        c = self.engine.counters()
        if c["xruns"] > self._counters["xruns"] or c["faults"] > self._counters["faults"]:
            self.ctl.flash(f"XRUN {c['xruns']} FAULT {c['faults']}", now, 5.0)
        elif c["nonfinite"] > self._counters["nonfinite"]:
            self.ctl.flash(f"NaN IN {c['nonfinite']}", now, 5.0)
        self._counters = c
        img = screens.render(self.ctl.screen(now))
        key = img.tobytes()
        if key == self._last:
            return
        self._last = key
        if self.device is not None:
            from ui.display import show

            show(self.device, img)
        elif self.kind == "keys":
            from .sim import draw_terminal

            c = self.engine.counters()
            draw_terminal(self.out, self.ctl, [f" engine: {self.engine.fs} Hz, {self.engine.block} "
                                               f"frames, {c['xruns']} xruns"], now)

    def close(self) -> None:
        if self.panel is not None:
            self.panel.close()
        if self.kind == "keys":
            if self._tty is not None:
                import termios

                termios.tcsetattr(self.fd, termios.TCSADRAIN, self._tty)
            self.out.write("\x1b[?25h\n")
            self.out.flush()
