"""The bench HIL suite (`pytest -m hil`): the box measures itself through a loop
cable from its outputs to its inputs (firmware/lab/loopcheck.py, `masterbox
loopcheck`), then an operator works every control (firmware/lab/panelcheck.py).

Two loops run the same checks:
- "jack": the JACK dummy server, the engine's outputs connected to its own
  inputs (`--jack-loop`). Runs wherever jackd is installed (CI included) and
  holds the digital path to exact figures.
- "hat": the audio HAT with a real cable (OUT L -> IN L, OUT R -> IN R). Skipped
  unless hardware is present: set MASTERBOX_HIL_DEVICE to the card's name or
  index, or run on an installed box (its /etc/masterbox/config.toml names the
  device; stop the service first: `sudo systemctl stop masterbox`).

The panel walk-through needs the Pi's GPIO and a person:
`MASTERBOX_HIL_PANEL=1 pytest -m hil -s`. Its logic also runs here on the GPIO
twin, with a scripted operator and with mis-wired panels.
"""
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from helpers import jackd_dummy

from firmware.lab import loopcheck, panelcheck

pytestmark = pytest.mark.hil
EXE = os.path.join(os.path.dirname(sys.executable), "masterbox")
PI_CONFIG = "/etc/masterbox/config.toml"


def on_a_pi() -> bool:
    try:
        with open("/proc/device-tree/model", "rb") as f:
            return b"Raspberry Pi" in f.read()
    except OSError:
        return False


def loopcheck_cli(args, env=None):
    r = subprocess.run([EXE, "loopcheck", "--json", *args], capture_output=True, text=True,
                       env=env, timeout=600)
    if r.returncode == 2:
        return None, r.stderr.strip().splitlines()[-1]
    return json.loads(r.stdout), r.stderr


# the JACK loop (a whole loopcheck on the dummy server, ~26 s) runs with make test-long
@pytest.fixture(scope="module", params=[pytest.param("jack", marks=pytest.mark.long), "hat"])
def loop(request, tmp_path_factory):
    png = str(tmp_path_factory.mktemp("loop") / "loop.png")
    if request.param == "jack":
        if shutil.which("jackd") is None:
            pytest.skip("jackd not installed (make test installs jackd2)")
        for _attempt in range(3):
            with jackd_dummy() as name:
                env = dict(os.environ, JACK_DEFAULT_SERVER=name)
                result, err = loopcheck_cli(["--device", "system", "--jack-loop", "--png", png], env)
            assert result is not None, err
            # a block the dummy server dropped is a glitch of its own: measure again
            if result["xruns"] == 0 or all(v["passed"] for v in result["verdicts"].values()):
                break
    else:
        dev = os.environ.get("MASTERBOX_HIL_DEVICE")
        if dev:
            args = ["--device", dev]
        elif on_a_pi() and os.path.exists(PI_CONFIG):
            args = ["--config", PI_CONFIG]
        else:
            pytest.skip("no audio HAT here: set MASTERBOX_HIL_DEVICE, or run on the installed box")
        result, err = loopcheck_cli([*args, "--png", png])
        if result is None and "loop cable" in err:
            pytest.skip(err)
        assert result is not None, err
    result["png"] = png
    return result


def check(loop, name):
    v = loop["verdicts"][name]
    assert v["passed"], f"{name}: {v['detail']} ({loop['loop']} loop, xruns {loop['xruns']})"
    return v["detail"]


def test_the_loop_is_connected(loop):
    # a -20 dBFS tone comes back at -23 dBFS RMS over the unity loop (a sine's RMS)
    assert loop["probe_dbfs"] > loopcheck.NO_CABLE_DBFS
    if loop["loop"] == "digital":
        assert abs(loop["probe_dbfs"] - (-20 - 3.0103)) < 0.01


def test_bypass_response_is_flat(loop):
    check(loop, "bypass flat")
    if loop["loop"] == "digital":
        assert max(abs(g) for g in loop["loop_gain_db"]) < 1e-6


def test_eq_response_matches_its_design(loop):
    check(loop, "EQ vs design")


def test_thd_n_at_1_khz(loop):
    check(loop, "THD+N")


def test_round_trip_latency_is_what_the_engine_reports(loop):
    check(loop, "latency")


def test_limiter_ceiling_at_the_converter(loop):
    check(loop, "limiter ceiling")


def test_the_curves_are_drawn(loop):
    from PIL import Image

    with Image.open(loop["png"]) as im:
        assert im.size[0] > 500 and im.size[1] > 500


# ------------------------------------------------------------------ the panel
def test_panel_walk_through_on_the_pi():
    """The operator turns and presses what the terminal asks for."""
    if not os.environ.get("MASTERBOX_HIL_PANEL"):
        pytest.skip("needs the panel on a Pi and a person: MASTERBOX_HIL_PANEL=1 pytest -m hil -s")
    r = subprocess.run([EXE, "panelcheck"], timeout=900)
    assert r.returncode == 0


class Operator:
    """A scripted person on the GPIO twin: answers each prompt by working the
    control it names, on the pins of ``wiring`` (which may differ from the
    table the panel reads: that is a wiring fault)."""

    def __init__(self, gpio, wiring, clock, swap=None, dead=None):
        self.gpio, self.wiring, self.clock = gpio, wiring, clock
        self.swap = swap or {}      # control -> the control whose wires it really has
        self.dead = dead or set()   # controls whose lines are not connected
        self.prompts = []

    def __call__(self, text):
        self.prompts.append(text)
        step = next((s for s in panelcheck.steps() if s.prompt == text), None)
        if step is None or step.control in self.dead:
            return
        control = self.swap.get(step.control, step.control)
        now = self.clock()
        if step.kind == "turn":
            pins = self.wiring.encoders[control]
            self.gpio.turn(pins["a"], pins["b"], step.direction, now)
        else:
            pin = self.wiring.encoders[control]["push"] if control in self.wiring.encoders \
                else self.wiring.buttons[control]
            self.gpio.press(pin, now)


def walk_on_the_twin(table, wiring, timeout=2.0, **faults):
    from ui.fake_gpio import FakeGPIO
    from ui.inputs import Panel

    gpio = FakeGPIO()
    panel = Panel(table, gpio)
    op = Operator(gpio, wiring, time.monotonic, **faults)
    return panelcheck.walk(panel, op, timeout=timeout), op


def test_panel_walk_through_passes_a_correct_panel():
    from ui import pins

    table = pins.load()
    results, op = walk_on_the_twin(table, table)
    assert len(results) == 4 * 3 + 3 == len(op.prompts) // 2
    assert all(ok for _, ok, _ in results), [d for _, ok, d in results if not ok]


def test_panel_walk_through_names_wiring_faults():
    import copy

    from ui import pins

    table = pins.load()
    swapped = copy.deepcopy(table)
    e = swapped.encoders["enc2"]
    e["a"], e["b"] = e["b"], e["a"]             # enc2's A and B wired the wrong way round
    results, _ = walk_on_the_twin(table, swapped, timeout=1.0, swap={"bypass": "back"},
                                  dead={"enc4"})
    bad = {(s.control, s.kind, s.direction): d for s, ok, d in results if not ok}
    assert "A and B lines are swapped" in bad[("enc2", "turn", 1)]
    assert "A and B lines are swapped" in bad[("enc2", "turn", -1)]
    assert ("enc2", "press", 0) not in bad
    assert "crossed" in bad[("bypass", "press", 0)]
    assert all("nothing from enc4" in bad[("enc4", k, d)] for k, d in (("turn", 1), ("turn", -1), ("press", 0)))
    assert len(bad) == 6


def test_loopcheck_refuses_without_a_cable():
    """Nothing connected: the probe tone does not come back and the check says
    how to connect the cable (JACK dummy server, no loop wired)."""
    if shutil.which("jackd") is None:
        pytest.skip("jackd not installed")
    with jackd_dummy() as name:
        env = dict(os.environ, JACK_DEFAULT_SERVER=name)
        result, err = loopcheck_cli(["--device", "system"], env)
    # the dummy's capture ports are silent: nothing comes back
    assert result is None
    assert "loop cable" in err and "OUT L to IN L" in err
