"""The way of one knob turn, traced: a real pin table, the GPIO twin, the UI
loop, the session and a chain; sys.setprofile records every Python call
while one detent of the glue ratio travels from the pin edge to the glue
module's slice of the coefficient set. docs/architecture.md's hop table
must name the files it went through, in order, and the value is checked
once: nothing turns back into dsp/params.py after the session's check."""
import pathlib
import re
import sys

from dsp.chain import Chain
from dsp.kernels import chain as K
from dsp.kernels import glue as GLUE
from firmware.control import Controller
from firmware.session import Session
from firmware.uiloop import NullDisplay, UILoop
from ui import pins
from ui.fake_gpio import FakeGPIO
from ui.inputs import Panel

ROOT = pathlib.Path(__file__).resolve().parents[1]
DRIVER = "firmware/uiloop.py"      # steps the panel 30 times a second; holds no value of its own
RULES = "dsp/schema.py"            # the Param record the hops ask (step, check)


def documented_hops() -> list[str]:
    text = (ROOT / "docs/architecture.md").read_text()
    table = text.split("## The hops of one turn", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| \d+ \| `([^`]+)` \|", table, re.M)


class Trace:
    """Every call into the repository's own files: (event order, file, function, stack files)."""

    def __init__(self):
        self.calls = []

    def __call__(self, frame, event, arg):
        if event != "call":
            return
        f = frame.f_code.co_filename
        if not f.startswith(str(ROOT)) or "/.venv/" in f or "/tests/" in f:
            return
        stack = []
        fr = frame
        while fr is not None:
            g = fr.f_code.co_filename
            if g.startswith(str(ROOT)) and "/.venv/" not in g and "/tests/" not in g:
                rel = str(pathlib.Path(g).relative_to(ROOT))
                if not stack or stack[-1] != rel:
                    stack.append(rel)
            fr = fr.f_back
        self.calls.append((str(pathlib.Path(f).relative_to(ROOT)), frame.f_code.co_name,
                           tuple(reversed(stack))))


def _glue_page():
    table = pins.load()
    gpio = FakeGPIO()
    chain = Chain(48000)
    ctl = Controller(Session(chain), source="panel")
    loop = UILoop(ctl, Panel(table, gpio), NullDisplay())
    e1 = table.encoders["enc1"]
    t = gpio.press(table.buttons["back"], 0.0, hold=0.05)
    loop.step(t + 0.5)
    t = gpio.turn(e1["a"], e1["b"], 5, t + 1.0)           # Input, EQ, Dyn EQ, De-esser, Glue
    loop.step(t + 0.01)
    t = gpio.press(e1["push"], t + 0.1, hold=0.05)
    loop.step(t + 1.0)
    assert ctl.nav.page == "module" and ctl.nav.entry.key == "glue"
    assert ctl.nav.params()[1] == "glue.ratio"             # enc2 turns the ratio
    return table, gpio, chain, loop, t + 2.0


def test_one_turn_goes_through_the_documented_hops_and_is_checked_once():
    table, gpio, chain, loop, t = _glue_page()
    e2 = table.encoders["enc2"]
    t = gpio.turn(e2["a"], e2["b"], 1, t)
    trace = Trace()
    sys.setprofile(trace)
    try:
        loop.step(t + 0.01)
    finally:
        sys.setprofile(None)
    ratio = 2 ** 0.25                                      # one coarse step of a log taper, a quarter octave
    assert chain.values["glue.ratio"] == ratio
    # the compressor's slope above threshold, in the glue's slice: 1/ratio - 1
    assert chain.T[K.T_BASE["glue"] + GLUE.SLOPE] == 1.0 / ratio - 1.0

    designs = [c for c in trace.calls if c[0] == "dsp/modules/glue.py" and c[1] == "design"]
    assert len(designs) == 1, "the turn redesigns the glue slice once"
    stack = [f for f in designs[0][2] if f not in (DRIVER, RULES)]
    # before the value reached the controller it was made by the panel and
    # the page: their calls come first, and returned
    first_seen = []
    for f, _, _ in trace.calls:
        if f not in first_seen:
            first_seen.append(f)
    made_by = [f for f in ("ui/inputs.py", "ui/navigation.py") if f in first_seen]
    hops = made_by + stack
    assert hops == documented_hops(), (hops, documented_hops())
    assert len(hops) <= 6

    checks = [c for c in trace.calls if c[0] == RULES and c[1] == "check"]
    assert len(checks) == 1, f"the value is checked {len(checks)} times"
    i_check = trace.calls.index(checks[0])
    late = [c for c in trace.calls[i_check + 1:]
            if c[0] == "dsp/params.py" and "dsp/design.py" in c[2]]
    assert late == [], f"the sink turned back into dsp/params.py: {late}"
    assert not any(f == "dsp/params.py" for f in designs[0][2])
