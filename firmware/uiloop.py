"""One UI loop for the box, the laptop mode and the tests.

    inputs --actions--> Controller --> Session --> sink (engine or chain)
    Controller.screen() --> ui.screens.render --> display (when a pixel changed)

Inputs all speak the same protocol, ``poll(now) -> [Action]`` and ``close()``:
the GPIO panel (ui/inputs.Panel), a terminal's keys (KeyInputs) or a script of
timed actions (ScriptInputs, for tests and demos). Displays take
``show(image, now)`` every frame, send only what changed, and ``close()``: an
OLED through luma (LumaDisplay), a terminal drawn in half blocks
(TerminalDisplay), or nothing (NullDisplay, which keeps the last image). The box, ``run --panel keys``,
``run --sim`` and the tests all step the same UILoop.
"""
from __future__ import annotations

import logging
import os
import select
import sys
import time

from ui import screens, terminal
from ui.actions import KEY_HELP, KEYMAP, Action

log = logging.getLogger("masterbox.ui")
FRAME_S = 1 / 30


# ---------------------------------------------------------------- inputs
class KeyInputs:
    """The laptop key map read from a terminal (one key at a time, unechoed;
    ctrl-c still interrupts). End of input is remembered, not an error."""

    def __init__(self, fd: int | None = None):
        if fd is None:
            try:
                fd = sys.stdin.fileno()
            except (AttributeError, ValueError, OSError):   # no usable stdin: no keys
                fd = None
        self.fd = fd
        self.open = fd is not None
        self._tty = None
        if self.open and os.isatty(self.fd):
            import termios
            import tty

            self._tty = termios.tcgetattr(self.fd)
            tty.setcbreak(self.fd)

    def wait(self, timeout: float) -> None:
        """Sleep until a key arrives or ``timeout`` passes."""
        if self.open:
            select.select([self.fd], [], [], timeout)
        else:
            time.sleep(timeout)

    def poll(self, now: float) -> list[Action]:
        out = []
        if self.open and select.select([self.fd], [], [], 0)[0]:
            data = os.read(self.fd, 64)
            if not data:
                self.open = False
            for ch in data.decode("utf-8", "replace"):
                if ch in KEYMAP:
                    out.append(KEYMAP[ch])
        return out

    def close(self) -> None:
        if self._tty is not None:
            import termios

            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._tty)
            self._tty = None


class ScriptInputs:
    """Actions at given times: [(t, Action), ...], t on the loop's clock."""

    def __init__(self, script):
        self.todo = sorted(script, key=lambda x: x[0])

    def poll(self, now: float) -> list[Action]:
        out = []
        while self.todo and self.todo[0][0] <= now:
            out.append(self.todo.pop(0)[1])
        return out

    def close(self) -> None:
        pass


# ---------------------------------------------------------------- displays
class LumaDisplay:
    """An OLED (or luma's dummy device): a frame goes out only when a pixel
    changed, since an SPI frame costs ~1 ms at 8 MHz."""

    def __init__(self, device):
        self.device = device
        self._last = None

    def show(self, img, now: float) -> None:
        from ui.display import show

        key = img.tobytes()
        if key != self._last:
            self._last = key
            show(self.device, img)

    def close(self) -> None:
        pass


class TerminalDisplay:
    """The screen in half blocks, then ``header()``'s lines and the key help."""

    def __init__(self, out=None, header=None):
        self.out = out or sys.stdout
        self.header = header or (lambda: [])
        self._last = None
        self.out.write("\x1b[2J\x1b[?25l")

    def show(self, img, now: float) -> None:
        lines = terminal.framed(img, " masterbox ")
        extra = list(self.header()) + [" " + KEY_HELP[:126], " " + KEY_HELP[126:]]
        text = "\x1b[H" + "\n".join(lines + [e.ljust(130) for e in extra]) + "\n"
        if text != self._last:
            self._last = text
            self.out.write(text)
            self.out.flush()

    def close(self) -> None:
        self.out.write("\x1b[?25h\n")
        self.out.flush()


class NullDisplay:
    def __init__(self):
        self.image = None
        self.frames = 0

    def show(self, img, now: float) -> None:
        if self.image is None or img.tobytes() != self.image.tobytes():
            self.image = img
            self.frames += 1

    def close(self) -> None:
        pass


def status_lines(ctl, header: list[str]) -> list[str]:
    """What the terminal shows under the screen: the caller's header, the page
    and what is heard, and on a module page its values in full."""
    s = ctl.session
    offset = ctl.sink.match_offset_db if ctl.sink is not None else 0.0
    lines = list(header) + [f" page: {ctl.nav.page}   listening: {s.listening[0]}, {s.solo}   "
                            f"offset {offset:+.1f} LU"]
    if ctl.nav.page == "module":
        v = s.values
        lines.insert(len(header), " values: " + "  ".join(f"{p}={v[p]:g}" for p in ctl.nav.params()))
    return lines


# ---------------------------------------------------------------- the loop
class UILoop:
    def __init__(self, controller, inputs, display, health=None):
        """``health(now)``, when given, returns a status message to flash (an
        xrun, a fault) or None."""
        self.ctl = controller
        self.inputs = inputs
        self.display = display
        self.health = health

    def step(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        for a in self.inputs.poll(now) + self.ctl.take_actions():
            try:
                self.ctl.handle(a, now)
            except Exception as e:          # a bad move must not stop the box
                log.error("action %s: %s", a, e)
                self.ctl.flash(str(e)[:21], now)
        self.ctl.tick(now)
        if self.health is not None:
            msg = self.health(now)
            if msg:
                self.ctl.flash(msg, now, 5.0)
        self.display.show(screens.render(self.ctl.screen(now)), now)

    def close(self) -> None:
        self.inputs.close()
        self.display.close()
