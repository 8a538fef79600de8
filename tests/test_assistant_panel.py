"""The assistant on the panel: every way of asking (the reference, a learnt
profile, the target, each word) leaves every value of the session as it was until a hand acts;
accepting is one undo step per move (or per module with a long push), a turn
stops at a ghost and takes it, rejecting clears it, and audition plays the
proposal without changing the session. Ghosts are drawn where the values
would go."""
import time

import numpy as np
import pytest

from dsp import params
from dsp.chain import Chain
from firmware.assistant import ranges
from firmware.assistant.words import WORDS
from firmware.control import Controller
from firmware.offline import demo
from firmware.references import load_all
from firmware.session import Session
from firmware.store import presets
from ui.actions import Action
from ui.screens import render
from ui.views import ModuleView, ParamView, Screen

FS = 48000


@pytest.fixture(scope="module")
def programme():
    return demo.programme(FS)[:14 * FS]


@pytest.fixture
def panel(programme, tmp_path):
    import soundfile as sf

    ref = tmp_path / "ref.wav"
    sf.write(ref, (programme[::-1] * 1.5).astype(np.float32), FS)
    c = Chain(FS, presets.load("default"), reference_bytes=40 << 20)
    s = Session(c)
    assert load_all(s, [str(ref)], FS) == []
    from firmware.assistant import profiles

    folder = tmp_path / "profiles"
    folder.mkdir()
    profiles.save(str(folder / "mine.json"), profiles.learn([str(ref)]), "mine")
    ctl = Controller(s, capture=lambda: (programme, FS), profile_folder=str(folder))
    ctl.nav.page = "assist"
    return ctl


def ask(ctl, item):
    items = ctl.assistant.items()
    ctl.nav.assist_cursor = items.index(item)
    ctl.screen(0.0)                                   # the page lists what can be asked
    ctl.handle(Action("enc1", "press"), 0.0)
    t_end = time.monotonic() + 120
    while ctl.assistant.busy and time.monotonic() < t_end:
        time.sleep(0.05)
        ctl.tick(time.monotonic())
    assert not ctl.assistant.busy, "the assistant did not answer"
    ctl.tick(time.monotonic())                        # the UI loop collects the answer


@pytest.mark.parametrize("which", ["each kind, every fourth word",
                                   pytest.param("every item", marks=pytest.mark.long)])
def test_every_way_of_asking_changes_nothing(panel, which):
    """make test asks the reference, every profile, the target and every
    fourth word (the words share one path; test_words.py measures each);
    make test-long asks every item."""
    s = panel.session
    c = s.sink
    items = panel.assistant.items()
    assert items[:6] == ["Match reference", "Profile: acoustic/dynamic", "Profile: balanced modern",
                         "Profile: bass-heavy", "Profile: mine", "Target loudness"]
    assert set(WORDS) - {"to target"} <= set(items)
    built_in = {"Profile: " + n for n in ranges.names()}
    if which != "every item":
        words = [i for i in items if i in WORDS]
        items = [i for i in items if i not in WORDS] + words[::4]
    for item in items:
        before, undo, rev_values = s.values, s.can_undo, c.values
        ask(panel, item)
        assert s.values == before and c.values == rev_values and s.can_undo == undo, item
        if s.ghosts:
            # a built-in profile shows where the programme sits first
            assert panel.nav.page == ("position" if item in built_in else "proposals"), item
            s.audition(True, "test")
            assert s.values == before                  # heard, not applied
            assert any(c.values[p] == v for p, (v, _) in s.ghosts.items())
            s.audition(False, "test")
            assert c.values == before
        panel.nav.page = "assist"


def test_accept_reject_and_turn_to_the_ghost(panel):
    s = panel.session
    ask(panel, "Match reference")
    ghosts = s.ghosts
    assert ghosts, "the reference asks for moves"
    pids = list(ghosts)
    before = s.values
    # accept the first: one undo step, that value only
    panel.handle(Action("enc1", "press"), 1.0)
    assert s.value(pids[0]) == ghosts[pids[0]][0]
    assert {p for p in pids if s.value(p) != before[p]} == {pids[0]}
    s.undo("test")
    assert s.values == before
    s.propose([(p, v, why) for p, (v, why) in ghosts.items()], "test")
    # a long push accepts the first move's whole module, as one step
    module = params.get(pids[0]).module
    panel.nav.proposal_cursor = 0
    panel.handle(Action("enc1", "long"), 2.0)
    moved = {p for p in pids if s.value(p) != before[p]}
    assert moved == {p for p in pids if params.get(p).module == module}
    s.undo("test")
    assert s.values == before
    # reject clears a ghost and changes nothing
    s.propose([(p, v, why) for p, (v, why) in ghosts.items()], "test")
    panel.handle(Action("enc4", "press"), 3.0)
    assert pids[0] not in s.ghosts and s.values == before
    panel.handle(Action("enc4", "long"), 3.5)
    assert s.ghosts == {} and s.values == before


def test_a_turn_stops_at_the_ghost_and_takes_it(panel):
    s = panel.session
    pid = "eq.bell2_gain_db"
    s.propose([(pid, -2.0, "test: a proposed cut")], "test")
    panel.nav.open_module("eq")
    while pid not in panel.nav.params():
        panel.handle(Action("enc1", "press"), 0.0)
    k = panel.nav.params().index(pid)
    screen = panel.screen(0.0)
    pv = screen.body.params[k]
    assert pv.ghost == pytest.approx(params.get(pid).fraction(-2.0))
    for _ in range(10):                               # coarse steps of 0.5 dB down
        panel.handle(Action(f"enc{k + 1}", "turn", -1), 0.0)
        if s.value(pid) == -2.0:
            break
    assert s.value(pid) == -2.0 and pid not in s.ghosts
    panel.handle(Action(f"enc{k + 1}", "turn", -1), 0.1)
    assert s.value(pid) == -2.5                       # past it, the turn goes on


def test_the_ghost_tick_is_drawn_where_the_value_would_go():
    frac = 0.25
    pv = ParamView("eq.bell2_gain_db", "B2 gain", "0.0 dB", 0.5, 0.5, "B2 gain", frac, "-6.0 dB")
    img = np.array(render(Screen("module", ModuleView("eq", "EQ", 1, 1, True, [pv]))), dtype=bool)
    bx, top = 128 - 26, 12                  # the first row's bar: x 102..127, y 13..19
    px = bx + 1 + round(frac * 24)
    assert img[top:top + 9, px - 1].all() and img[top:top + 9, px + 1].all()   # a pixel taller
    assert not img[top + 1:top + 8, px].any()                                    # hollow


def test_audition_plays_while_encoder_2_is_held(panel):
    """The switch's own classifier (ui/buttons.py) reports the hold and its end;
    the proposal is heard between them, matched, and nothing is applied."""
    from ui.buttons import PressClassifier

    s, c = panel.session, panel.session.sink
    ask(panel, "warmer")
    assert panel.nav.page == "proposals" and s.ghosts
    before = s.values
    sw = PressClassifier()
    events = sw.edge(True, 10.0) + sw.tick(10.3)
    assert events == []                                  # not held long enough yet
    for kind in sw.tick(10.7):                           # held: reported while still down
        panel.handle(Action("enc2", kind), 10.7)
    assert s.auditioning and s.listening[0] == "processed" and c.monitor[0] == "matched"
    assert any(c.values[p] == v for p, (v, _) in s.ghosts.items()) and s.values == before
    for kind in sw.edge(False, 12.0):                    # let go
        panel.handle(Action("enc2", kind), 12.0)
    assert not s.auditioning and c.values == before and s.values == before and s.ghosts
