"""Walking the box by its named actions: every page and every parameter of every
module is reachable, turns move values along the schema's steps, undo and redo
restore exactly, and pages show what the chain holds."""
import numpy as np
import pytest

from dsp import params
from dsp.design import build
from dsp.kernels import chain as K
from dsp.chain import Chain
from firmware.control import Controller, module_entries
from firmware.session import Session
from ui.actions import Action

T = 100.0


def act(ctl, control, kind="press", steps=0, fine=False, t=None):
    global T
    T = T + 2.0 if t is None else t
    return ctl.handle(Action(control, kind, steps, fine), T)


@pytest.fixture
def ctl():
    return Controller(Session(Chain(48000), clock=lambda: T))


def test_pages_cover_the_whole_schema():
    entries = module_entries()
    assert [e.key for e in entries] == list(params.MODULES)
    shown = {pid for e in entries for page in e.pages for pid in page}
    shown |= {e.on_id for e in entries if e.on_id}
    assert shown == set(params.BY_ID)
    assert all(1 <= len(page) <= 4 for e in entries for page in e.pages)


def test_menu_reaches_every_item_and_back_returns(ctl):
    act(ctl, "back")
    assert ctl.nav.page == "menu"
    seen = []
    for i in range(len(ctl.nav.items)):
        ctl.nav.cursor = 0
        act(ctl, "back")
        if ctl.nav.page != "menu":
            act(ctl, "back")
        for _ in range(i):
            act(ctl, "enc1", "turn", +1)
        act(ctl, "enc1", "press")
        seen.append(ctl.nav.page)
        ctl.screen(T)                     # every page renders from the controller
    assert seen[0] == "meters"
    assert seen[-10:] == ["target", "loudness", "reduction", "phase", "snapshots", "references",
                         "assist", "proposals", "presets", "remote"]
    assert seen[1:-10] == ["module"] * len(params.MODULES)
    act(ctl, "back", "long")
    assert ctl.nav.page == "meters"


def test_every_parameter_can_be_turned_and_reset(ctl):
    for e in module_entries():
        ctl.nav.open_module(e.key)
        for sub, ids in enumerate(e.pages):
            assert ctl.nav.sub == sub
            view = ctl.screen(T).body
            assert [p.id for p in view.params] == ids
            for k, pid in enumerate(ids):
                before = ctl.sink.values[pid]
                act(ctl, f"enc{k + 1}", "turn", +1)
                up = ctl.sink.values[pid]
                want = params.get(pid).stepped(before, 1)
                assert up == want
                act(ctl, f"enc{k + 1}", "long")
                assert ctl.sink.values[pid] == params.get(pid).default
            act(ctl, "enc1", "press")              # next four
        assert ctl.nav.sub == 0                    # wrapped round


def test_fine_turn_uses_the_fine_step(ctl):
    ctl.nav.open_module("glue")
    pid = ctl.nav.params()[0]
    v0 = ctl.sink.values[pid]
    act(ctl, "enc1", "turn", +3, fine=True)
    assert ctl.sink.values[pid] == pytest.approx(v0 + 3 * params.get(pid).fine_step)


def test_undo_redo_and_merged_turns(ctl):
    ctl.nav.open_module("glue")
    pid = "glue.threshold_db"
    assert ctl.nav.params()[0] == pid
    v0 = ctl.sink.values[pid]
    for i in range(5):                              # one gesture: 5 quick turns
        act(ctl, "enc1", "turn", -1, t=T + 0.1)
    act(ctl, "bypass")                              # the module off: a second step
    assert ctl.sink.values["glue.on"] == 0.0
    v1 = ctl.sink.values[pid]
    assert v1 == pytest.approx(v0 - 5 * 0.5)
    act(ctl, "bypass", "long")                      # undo the switch
    assert ctl.sink.values["glue.on"] == 1.0
    act(ctl, "bypass", "long")                      # undo the whole gesture
    assert ctl.sink.values[pid] == v0
    act(ctl, "bypass", "double")
    assert ctl.sink.values[pid] == v1
    # the chain's published coefficients are those of the values the controller shows
    fresh = build(ctl.session.values, 48000, 0)
    assert np.array_equal(ctl.sink.T[K.T_HEADER:], fresh[K.T_HEADER:])


def test_module_page_view_is_the_chain_state(ctl):
    ctl.session.apply({"eq.bell2_gain_db": -3.0}, "test")
    ctl.nav.open_module("eq")
    while "eq.bell2_gain_db" not in ctl.nav.params():
        act(ctl, "enc1", "press")
    view = ctl.screen(T).body
    p = next(p for p in view.params if p.id == "eq.bell2_gain_db")
    assert p.text == "-3.0 dB" and p.fraction == pytest.approx(9 / 24) and p.origin == 0.5


def test_target_page_cycles_targets(ctl):
    ctl.nav.page = "target"
    names = set()
    for _ in range(8):
        act(ctl, "enc1", "turn", +1)
        names.add(ctl.session.target)
    assert len(names) >= 5
