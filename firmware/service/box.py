"""The box's panel on the real engine: the UI loop (firmware/uiloop.py) with
the GPIO panel and the OLED, or with this terminal's keys and screen.

Audio comes first: the engine is running before any of this is built; if the
panel or the display cannot be opened, the error is logged and shown, and the
box keeps running (headless, or without a screen). The loop is stepped on the
control thread ~30 times a second; the screen is sent to the display only when
a pixel changed (an SPI frame costs ~1 ms at 8 MHz).
"""
from __future__ import annotations

import logging

from dsp.meters import Meter

from ..control import Controller
from ..uiloop import KeyInputs, LumaDisplay, NullDisplay, TerminalDisplay, UILoop, status_lines

log = logging.getLogger("masterbox.box")


class EngineMeter:
    """The meters as the callback leaves them: a copy of the meter state read
    without a lock (a value may be one block old; the callback never waits)."""

    def __init__(self, engine):
        self.engine = engine
        self.m = Meter(engine.fs, 2)

    def results(self) -> dict:
        self.m.MS[:] = self.engine.meter_state()
        return self.m.results()


def health(engine, boot=None):
    """A UILoop health hook: flashes xruns, faults, silenced NaN input, and a
    state that could not be saved."""
    last = {"c": engine.counters(), "saved": None}

    def check(now):
        c, prev = engine.counters(), last["c"]
        last["c"] = c
        if c["xruns"] > prev["xruns"] or c["faults"] > prev["faults"]:
            return f"XRUN {c['xruns']} FAULT {c['faults']}"
        if c["nonfinite"] > prev["nonfinite"]:
            return f"NaN IN {c['nonfinite']}"
        return saving(boot, last)
    return check


def saving(boot, last: dict) -> str | None:
    """The autosaver's trouble, said once each time it changes."""
    status = boot.autosaver.status if boot is not None and boot.autosaver is not None else None
    if status != last.get("saved"):
        last["saved"] = status
        return status
    return None


def open_panel(engine, session, panel: str = "gpio", pins_path: str | None = None,
               boot=None, reference_folder: str = "", profile_folder: str = "") -> UILoop:
    """The UI loop for ``panel`` ("gpio" or "keys") on a running engine;
    ``reference_folder`` is shown where there are no reference tracks."""
    presets = boot.presets if boot is not None else None
    if panel == "gpio":
        from ui.display import open_display
        from ui.gpio_backend import RPiGPIOBackend
        from ui.inputs import Panel

        from ..store import pintable

        ctl = Controller(session, EngineMeter(engine), "panel", presets, reference_folder,
                         engine.capture, profile_folder)
        table = pintable.load(pins_path)
        try:
            display = LumaDisplay(open_display(table.display))
        except Exception as e:          # luma raises many kinds; the box runs on without a screen
            log.error("%s", e)
            ctl.flash("NO DISPLAY", 0.0, 1e9)
            display = NullDisplay()
        loop = UILoop(ctl, Panel(table, RPiGPIOBackend()), display, health(engine, boot))
    elif panel == "keys":
        ctl = Controller(session, EngineMeter(engine), "keys", presets, reference_folder,
                         engine.capture, profile_folder)

        def header():
            c = engine.counters()
            return status_lines(ctl, [f" engine: {engine.fs} Hz, {engine.block} frames, "
                                      f"{c['xruns']} xruns"])
        loop = UILoop(ctl, KeyInputs(), TerminalDisplay(header=header), health(engine, boot))
    else:
        raise ValueError(f"panel {panel!r}: use gpio or keys")
    if boot is not None and boot.message:
        ctl.flash(boot.message, 0.0, 6.0)
    return loop
