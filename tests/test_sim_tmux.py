"""The box on a laptop, for real: `masterbox run --sim` in a tmux pane, driven
with send-keys and read back with capture-pane. The half-block screen is turned
back into pixels and compared with the page the test renders itself."""
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile as sf

from ui import screens, terminal
from ui.views import MenuView, Screen

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed")
EXE = os.path.join(os.path.dirname(sys.executable), "masterbox")


class Pane:
    def __init__(self, name, cmd, env):
        self.name = name
        subprocess.run(["tmux", "-u", "new-session", "-d", "-s", name, "-x", "140", "-y", "48",
                        "env", *[f"{k}={v}" for k, v in env.items()], *cmd], check=True)

    def text(self) -> list[str]:
        r = subprocess.run(["tmux", "-u", "capture-pane", "-p", "-t", self.name],
                           capture_output=True, text=True)
        return r.stdout.splitlines()

    def keys(self, *keys):
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def wait(self, pred, timeout=120.0):
        t_end = time.monotonic() + timeout
        while time.monotonic() < t_end:
            lines = self.text()
            if pred(lines):
                return lines
            time.sleep(0.2)
        raise AssertionError("screen never showed it:\n" + "\n".join(self.text()))

    def alive(self) -> bool:
        return subprocess.run(["tmux", "has-session", "-t", self.name],
                              capture_output=True).returncode == 0

    def kill(self):
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def screen_bits(lines):
    top = next(i for i, s in enumerate(lines) if s.startswith("\u250c"))
    body = [s[1:129] for s in lines[top + 1:top + 33]]
    return terminal.text_to_bits(body)


def has(text):
    return lambda lines: any(text in s for s in lines)


def test_sim_in_tmux(tmp_path):
    rec = tmp_path / "sim.wav"
    env = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": os.environ.get("HOME", "/root"),
           "PATH": os.environ.get("PATH", ""), "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", "")}
    env = {k: v for k, v in env.items() if v}
    name = f"mbsim{os.getpid()}"
    t_start = time.monotonic()
    pane = Pane(name, [EXE, "run", "--sim", "--no-sound", "--record", str(rec), "--preset", "default",
                       "--seconds", "300"], env)
    try:
        pane.wait(has("page: meters"))
        t_first = time.monotonic()
        pane.keys("h")                                   # back: the menu
        lines = pane.wait(has("page: menu"))
        items = ["Meters", "Input", "EQ", "Dyn EQ", "De-esser", "Glue", "Multiband", "Saturation", "Stereo", "Clipper",
                 "Limiter", "Output", "Target", "Loudness", "Reduction", "Phase", "Snapshots",
                 "References", "Assistant", "Proposals", "Presets", "Remote"]
        want = np.asarray(screens.render(Screen("menu", MenuView(items, 0))).convert("L")) > 127
        assert np.array_equal(screen_bits(lines), want.astype(np.uint8))
        pane.keys("q", "q", "q", "q", "q")                # encoder 1 down the menu to Glue
        lines = pane.wait(lambda ls: np.array_equal(screen_bits(ls), (np.asarray(
            screens.render(Screen("menu", MenuView(items, 5))).convert("L")) > 127).astype(np.uint8)))
        pane.keys("z")                                    # push: open Glue
        pane.wait(has("glue.threshold_db=-20"))
        pane.keys("a", "a")                               # encoder 1 two steps down
        pane.wait(has("glue.threshold_db=-21 "))
        pane.keys("Q")                                    # a fine step up
        pane.wait(has("glue.threshold_db=-20.9"))
        pane.keys("space")
        pane.wait(has("listening: bypass"))
        pane.keys("space")
        pane.wait(has("listening: processed"))
        pane.keys("u")                                    # undo the whole gesture
        pane.wait(has("glue.threshold_db=-20 "))
        time.sleep(max(0.0, 3.0 - (time.monotonic() - t_first)))   # 3 s of audio at least
        pane.keys("C-c")
        t_end = time.monotonic() + 20
        while pane.alive() and time.monotonic() < t_end:
            time.sleep(0.2)
        elapsed = time.monotonic() - t_start
    finally:
        pane.kill()
    assert rec.exists(), "the recording was not written"
    info = sf.info(str(rec))
    assert info.samplerate == 48000 and info.channels == 2
    # paced in real time: at least the 3 s we waited, never more than the wall clock
    assert 2.5 * 48000 < info.frames <= elapsed * 48000
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    y, _ = sf.read(str(rec))
    assert np.abs(y).max() > 0.01
