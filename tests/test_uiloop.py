"""One UI loop for every panel: the GPIO panel (through the fake GPIO twin and
the real pin table), a scripted panel and (in tests/test_sim_tmux.py and
tests/test_engine_jack.py) a terminal's keys all drive the same UILoop, whose
changes reach the audio through the session, and whose screen goes to luma's
dummy device pixel for pixel."""
import numpy as np

from dsp.chain import Chain
from firmware.control import Controller
from firmware.session import Session
from firmware.uiloop import LumaDisplay, NullDisplay, ScriptInputs, UILoop
from ui import pins, screens
from ui.actions import Action
from ui.display import open_display
from ui.fake_gpio import FakeGPIO
from ui.inputs import Panel

FS = 48000


def test_a_scripted_panel_turns_compares_and_undoes_through_the_session():
    chain = Chain(FS)
    session = Session(chain)
    sources = []
    session.subscribe(lambda ch: sources.append((ch.kind, ch.source)))
    ctl = Controller(session, source="script")
    script = [(0.0, Action("back", "press"))]                     # the menu
    script += [(0.1 + 0.01 * k, Action("enc1", "turn", 1)) for k in range(5)]   # down to Glue
    script += [(0.2, Action("enc1", "press")),                    # open it
               (0.3, Action("enc1", "turn", -4)),                 # threshold -18 -> -20
               (0.4, Action("compare", "press")),
               (3.0, Action("bypass", "long"))]                   # undo
    display = NullDisplay()
    loop = UILoop(ctl, ScriptInputs(script), display)
    loop.step(0.05)
    assert ctl.nav.page == "menu"
    loop.step(0.15)
    assert ctl.nav.cursor == 5
    loop.step(0.25)
    assert ctl.nav.page == "module" and ctl.nav.entry.key == "glue"
    loop.step(0.45)
    assert chain.values["glue.threshold_db"] == -20.0 and chain.monitor[0] == "bypass"
    loop.step(3.5)
    assert chain.values["glue.threshold_db"] == -18.0
    assert sources == [("values", "script"), ("listen", "script"), ("undo", "script")]
    assert display.image is not None and display.frames >= 3


def test_the_gpio_panel_drives_the_same_loop_onto_a_luma_device():
    table = pins.load()
    gpio = FakeGPIO()
    chain = Chain(FS)
    ctl = Controller(Session(chain), source="panel")
    dev = open_display({"kind": "dummy"})
    loop = UILoop(ctl, Panel(table, gpio), LumaDisplay(dev))
    e1 = table.encoders["enc1"]
    back = table.buttons["back"]
    t = gpio.press(back, 0.0, hold=0.05)
    loop.step(t + 0.5)                            # the press is told after the double window
    assert ctl.nav.page == "menu"
    t = gpio.turn(e1["a"], e1["b"], 2, t + 1.0)  # Input, EQ
    loop.step(t + 0.01)
    gpio.press(e1["push"], t + 0.1, hold=0.05)
    loop.step(t + 1.0)
    assert ctl.nav.page == "module" and ctl.nav.entry.key == "eq"
    # the luma device shows exactly the page the controller describes
    want = screens.render(ctl.screen(t + 1.0))
    assert np.array_equal(np.asarray(dev.image.convert("1")), np.asarray(want))
