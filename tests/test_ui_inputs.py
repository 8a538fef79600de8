"""Encoder decoding (bounce, jiggle, missed edges), acceleration, push-and-turn,
short / long / double presses: fed through the fake GPIO twin and the real pin
table, the way the Pi's edge callbacks feed the panel."""
import pytest

from ui import pins
from ui.actions import Action, KEYMAP, ActionError
from ui.buttons import PressClassifier
from ui.inputs import Accelerator, QuadratureDecoder
from ui.fake_gpio import FakeGPIO
from ui.inputs import Panel

CW = [(0, 1), (0, 0), (1, 0), (1, 1)]
CCW = [(1, 0), (0, 0), (0, 1), (1, 1)]


def feed(dec, seq):
    return sum(dec.update(a, b) for a, b in seq)


def test_whole_cycles_count_one_step_each():
    d = QuadratureDecoder()
    assert feed(d, CW * 5) == 5
    assert feed(d, CCW * 3) == -3


def test_bounce_on_every_edge_never_adds_a_step():
    # each transition chatters 3 times before settling (gpiozero's bouncy test style)
    d = QuadratureDecoder()
    seq = []
    prev = (1, 1)
    for state in CW * 4:
        for _ in range(3):
            seq += [state, prev]
        seq.append(state)
        prev = state
    assert feed(d, seq) == 4


def test_jiggle_at_a_detent_is_no_step():
    d = QuadratureDecoder()
    # half way into a clockwise detent and back, many times, then into CCW and back
    jiggle = [(0, 1), (0, 0), (0, 1), (1, 1)] * 10 + [(1, 0), (1, 1)] * 10
    assert feed(d, jiggle) == 0
    assert d.state == 0


def test_a_skipped_state_counts_nothing():
    d = QuadratureDecoder()
    # (1,1) -> (0,0) skips a state: both lines changed at once; then finish the turn
    assert feed(d, [(0, 0), (1, 0), (1, 1)]) == 0
    assert feed(d, CW) == 1                 # and it recovers at once


def test_reversal_mid_cycle_is_no_step():
    d = QuadratureDecoder()
    assert feed(d, [(0, 1), (0, 0), (0, 1), (1, 1)]) == 0
    assert feed(d, [(0, 1), (0, 0), (1, 0), (0, 0), (0, 1), (1, 1)]) == 0


def test_acceleration_curve():
    acc = Accelerator(slow_s=0.05, fast_s=0.008, max_mult=8)
    assert acc.multiplier(0.2) == 1
    assert acc.multiplier(0.05) == 1
    assert acc.multiplier(0.005) == 8
    mults = [acc.multiplier(dt) for dt in (0.045, 0.03, 0.02, 0.012, 0.009)]
    assert mults == sorted(mults) and mults[0] < mults[-1]
    # a change of direction starts slow again
    acc2 = Accelerator()
    assert acc2.steps(+1, 0.0) == 1
    assert acc2.steps(+1, 0.004) == 8
    assert acc2.steps(-1, 0.008) == -1


@pytest.fixture
def panel():
    table = pins.load()
    gpio = FakeGPIO()
    return Panel(table, gpio), gpio, table


def test_panel_turns_slow_fast_and_bouncy(panel):
    p, gpio, table = panel
    a, b = table.encoders["enc2"]["a"], table.encoders["enc2"]["b"]
    t = gpio.turn(a, b, +3, t=0.0, dt=0.05)              # slow: 200 ms a detent
    acts = p.poll(t)
    assert [x.steps for x in acts] == [1, 1, 1] and all(x.control == "enc2" for x in acts)
    t = gpio.turn(a, b, -4, t=t + 1.0, dt=0.0005)         # fast: 2 ms a detent
    acts = p.poll(t)
    assert acts[0].steps == -1 and all(x.steps <= -4 for x in acts[1:]) and len(acts) == 4
    t = gpio.turn(a, b, +2, t=t + 1.0, dt=0.05, bounce=4)
    assert [x.steps for x in p.poll(t)] == [1, 1]


def test_push_and_turn_is_fine_and_swallows_the_press(panel):
    p, gpio, table = panel
    e = table.encoders["enc1"]
    gpio.set(e["push"], 0, 0.0)
    t = gpio.turn(e["a"], e["b"], +2, t=0.01, dt=0.001)   # fast, but fine: no acceleration
    gpio.set(e["push"], 1, t + 0.01)
    acts = p.poll(t + 1.0)
    assert acts == [Action("enc1", "turn", 1, fine=True)] * 2


def test_short_long_double_press(panel):
    p, gpio, table = panel
    pin = table.buttons["compare"]
    gpio.press(pin, 0.0, hold=0.1)
    assert p.poll(0.2) == []                              # could still become a double
    assert p.poll(0.5) == [Action("compare", "press")]
    gpio.set(pin, 0, 1.0)
    assert p.poll(1.5) == []
    assert p.poll(1.7) == [Action("compare", "long")]    # reported while held
    gpio.set(pin, 1, 2.5)
    assert p.poll(3.5) == [Action("compare", "release")]  # the hold ends; no press after a long
    gpio.press(pin, 4.0, hold=0.08)
    gpio.press(pin, 4.2, hold=0.08)
    assert p.poll(5.0) == [Action("compare", "double")]


def test_contact_bounce_on_a_button_is_one_press():
    pc = PressClassifier()
    out = []
    t = 0.0
    for lv in (True, False, True, False, True):           # 1 ms chatter on closing
        out += pc.edge(lv, t)
        t += 0.001
    out += pc.edge(False, 0.1)
    for lv in (True, False):                               # chatter on opening
        out += pc.edge(lv, 0.1005)
    out += pc.tick(1.0)
    assert out == ["press"]


def test_every_pin_of_the_table_reaches_an_action(panel):
    p, gpio, table = panel
    seen = set()
    t = 0.0
    for gpio_no, control, role in table.lines():
        if role == "a":
            e = table.encoders[control]
            t = gpio.turn(e["a"], e["b"], 1, t + 1.0, dt=0.05)
        elif role == "push" or role == "button":
            t = gpio.press(gpio_no, t + 1.0, hold=0.1)
        else:
            continue
        seen |= {(a.control, a.kind) for a in p.poll(t + 0.5)}
    for e in table.encoders:
        assert (e, "turn") in seen and (e, "press") in seen
    for b in table.buttons:
        assert (b, "press") in seen


def test_actions_are_checked_and_the_keymap_covers_every_control():
    with pytest.raises(ActionError, match="bypass is a button"):
        Action("bypass", "turn", 1)
    with pytest.raises(ActionError, match="enc9"):
        Action("enc9", "press")
    controls = {(a.control, a.kind) for a in KEYMAP.values()}
    for c in ("enc1", "enc2", "enc3", "enc4"):
        assert {(c, "turn"), (c, "press"), (c, "long")} <= controls
    assert {("compare", "press"), ("back", "press"), ("bypass", "press")} <= controls
