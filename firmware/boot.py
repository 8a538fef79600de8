"""What the box is at boot: the last saved state, or else the config's preset.

The box (and the laptop mode) boots into the state it was left in (values,
snapshots, target, the active preset and its modified mark), always in plain
processed listening. It falls back to the previous generation when the newest
file is torn, corrupt, unreadable or of another schema, and to the config's
preset when neither is usable; the status line and the log say which and why,
and a state file never keeps the box from booting. Holding BACK while it
starts (a key in the laptop mode, or --fresh) skips the saved state for this
boot without deleting it. A preset or --set given on the command line is the
start instead, on purpose.
"""
from __future__ import annotations

import logging
import os
import select
import sys
import time

from .session import Session
from .store.autosave import Autosaver
from .store.presets import UserPresets
from .store.state import StateStore

log = logging.getLogger("masterbox.boot")


class Boot:
    """The state folder's pieces for a running box: its StateStore, its
    Autosaver (once started) and the user's presets, and what boot said."""

    def __init__(self, folder: str):
        self.folder = folder
        self.store = StateStore(folder)
        self.presets = UserPresets(os.path.join(folder, "presets"))
        self.autosaver: Autosaver | None = None
        self.message = ""              # for the status line: what was restored, or why not

    def restore(self, session: Session, skip: bool = False) -> str:
        """Restore the saved state into ``session`` unless ``skip``; returns a
        one-line message (also logged) saying what happened."""
        if skip:
            self.message = "saved state skipped (BACK held)"
            log.info("%s; starting from the preset", self.message)
            return self.message
        loaded = self.store.load()
        for n in loaded.notes:
            log.warning("%s", n)
        if loaded.state is None:
            if loaded.notes:
                self.message = "STATE BAD: preset loaded"
                log.error("no usable saved state in %s: starting from the config's preset",
                          self.folder)
            else:
                self.message = ""
                log.info("no saved state in %s yet: starting from the preset", self.folder)
            return self.message
        session.restore(loaded.state)
        if loaded.notes:
            self.message = "RESTORED PREVIOUS SAVE"
        else:
            self.message = ""
        log.info("restored the session from %s (generation %d)", loaded.path, loaded.generation)
        return self.message

    def start_autosave(self, session: Session, **timing) -> Autosaver:
        self.autosaver = Autosaver(session, self.store, **timing)
        return self.autosaver

    def close(self) -> None:
        """A clean stop: write what is unsaved."""
        if self.autosaver is not None:
            self.autosaver.close()
            self.autosaver = None


def back_key_held(fd: int | None = None) -> bool:
    """In the laptop mode: a back key (h, H or backspace) already typed when
    the box starts, as a held key repeats."""
    try:
        fd = sys.stdin.fileno() if fd is None else fd
        if not os.isatty(fd):
            return False
        if not select.select([fd], [], [], 0)[0]:
            return False
        data = os.read(fd, 256)
    except (OSError, ValueError, AttributeError):
        return False
    return any(c in data for c in b"hH\x7f")


def back_button_held(pins_path: str | None) -> bool:
    """On the box: the BACK button pressed (its line pulled low) at start."""
    from ui.gpio_backend import GPIOUnavailable, RPiGPIOBackend

    from .errors import MasterboxError
    from .store import pintable

    try:
        table = pintable.load(pins_path)
        pin = table.buttons["back"]
        gpio = RPiGPIOBackend()
        try:
            gpio.setup([pin])
            time.sleep(0.005)           # let the pull-up settle
            return gpio.read(pin) == 0
        finally:
            gpio.close()
    except (GPIOUnavailable, MasterboxError, KeyError, OSError, RuntimeError) as e:
        log.info("BACK not read at boot (%s): the saved state is restored", e)
        return False
