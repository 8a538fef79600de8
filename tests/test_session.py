"""The session: one state, one path. Validation before anything changes, diffs,
revisions in order, undo/redo/snapshots/presets as session operations, several
hands at once without a lost or reordered change, and the audio's published
coefficients always those of the session's values."""
import random
import threading
import time

import numpy as np
import pytest

from dsp import params
from dsp.chain import Chain
from dsp.design import Designer, build
from dsp.kernels import chain as K
from firmware.engine import Engine
from firmware.engine.callback import H_ACTIVE
from firmware.errors import UserError
from firmware.session import Session

FS = 48000


class Clock:
    t = 100.0

    def __call__(self):
        return self.t


def published_matches(sink, values) -> bool:
    """The coefficient set the audio reads equals a from-scratch design of values."""
    if isinstance(sink, Engine):
        A, L = sink.arena, sink.L
        base = L.t0 if int(A[H_ACTIVE]) == 0 else L.t1
        T = A[base:base + K.T_TOTAL]
    else:
        T = sink.T
    fresh = build(values, sink.fs, 0, sink.monitor)
    return np.array_equal(T[K.T_HEADER:], fresh[K.T_HEADER:])


def test_apply_validates_first_diffs_and_counts_revisions():
    c = Chain(FS)
    s = Session(c)
    seen = []
    s.subscribe(seen.append)
    ch = s.apply({"glue.ratio": 2.0, "glue.threshold_db": -18.0}, "test")   # threshold unchanged
    assert ch.revision == 1 and ch.values == {"glue.ratio": (1.0, 2.0)} and ch.source == "test"
    assert s.apply({"glue.ratio": 2.0}, "test") is None and s.revision == 1   # nothing changed
    with pytest.raises(params.ParamError, match="eq.bell1_gain_db: 40 dB is out of range"):
        s.apply({"glue.ratio": 4.0, "eq.bell1_gain_db": 40.0}, "test")
    assert s.value("glue.ratio") == 2.0 and c.values["glue.ratio"] == 2.0    # nothing half-applied
    assert [x.revision for x in seen] == [1]
    assert published_matches(c, s.values)


def test_a_change_redesigns_only_its_module():
    c = Chain(FS, {"eq.bell1_gain_db": 3.0})
    assert c.set({"glue.ratio": 3.0}) == ("glue",)
    assert c.set({"eq.bell2_gain_db": -1.0}) == ("eq",)
    assert c.set({"limiter.ceiling_dbtp": -2.0}) == ("limiter", "monitor")
    assert set(c.set({"stereo.width_pct": 120.0})) == {"stereo", "oversampled"}
    assert c.set({"glue.ratio": 3.0}) == ()                 # no change: no ramp, no publish


def test_incremental_design_equals_a_design_from_scratch():
    """Random walks of changes across every parameter: after each, the set the
    Designer keeps (redesigning changed modules only) is exactly what a full
    design of the same values gives. Catches a module that reads another's
    values without declaring it."""
    rng = random.Random(5)
    for fs in (44100, 96000):
        values = params.defaults()
        d = Designer(fs, values)
        for _ in range(150):
            changes = {}
            for p in rng.sample(params.SCHEMA, rng.randint(1, 3)):
                if p.choices:
                    changes[p.id] = float(rng.randrange(len(p.choices)))
                elif p.taper == "log":
                    changes[p.id] = p.min * (p.max / p.min) ** rng.random()
                else:
                    changes[p.id] = p.min + (p.max - p.min) * rng.random()
            values = dict(values, **changes)
            d.update(values)
            assert np.array_equal(d.T[K.T_HEADER:], build(values, fs)[K.T_HEADER:]), changes


def test_undo_redo_merge_one_gesture_and_keep_steps_apart():
    clock = Clock()
    s = Session(Chain(FS), clock=clock)
    for k in range(5):                                   # one gesture: quick turns
        clock.t += 0.1
        s.apply({"glue.threshold_db": -18.0 - k - 1}, "panel", gesture="glue.threshold_db")
    clock.t += 5.0
    s.apply({"glue.threshold_db": -30.0}, "panel", gesture="glue.threshold_db")   # a new gesture
    s.apply({"glue.on": 0.0}, "panel")
    assert s.undo("panel").values == {"glue.on": (0.0, 1.0)}
    assert s.undo("panel").values == {"glue.threshold_db": (-30.0, -23.0)}
    assert s.undo("panel").values == {"glue.threshold_db": (-23.0, -18.0)}
    assert s.undo("panel") is None and s.value("glue.threshold_db") == -18.0
    assert s.redo("panel").values == {"glue.threshold_db": (-18.0, -23.0)}
    s.apply({"eq.bell1_gain_db": 1.0}, "midi")                # a new move drops the redo line
    assert s.redo("panel") is None and not s.can_redo


def test_preset_load_is_one_undo_step_with_a_modified_flag():
    s = Session(Chain(FS))
    s.load_preset("warm", {"eq.low_shelf_gain_db": 2.0, "glue.ratio": 2.0})
    assert s.preset == "warm" and not s.modified
    s.apply({"glue.ratio": 3.0}, "panel")
    assert s.modified
    s.undo("panel")
    assert not s.modified                                  # back where the preset put it
    s.undo("panel")                                        # the load itself
    assert s.values == params.defaults() and s.modified
    with pytest.raises(UserError, match="needs a name"):
        s.load_preset("", {})


def test_snapshots_store_recall_and_listen_matched():
    c = Chain(FS)
    s = Session(c)
    assert s.recall(0, "panel") is None                    # empty
    s.apply({"glue.makeup_db": 3.0}, "panel")
    s.store(0, "panel")
    s.apply({"glue.makeup_db": 6.0}, "panel")
    ch = s.recall(0, "panel")
    assert ch.values == {"glue.makeup_db": (6.0, 3.0)} and ch.detail["listen"] == "matched"
    assert s.listening[0] == "matched" and c.monitor[0] == "matched"
    s.apply({"glue.knee_db": 3.0}, "midi")                 # a move is heard at its true level
    assert s.listening[0] == "processed" and c.monitor[0] == "processed"
    assert s.undo("panel").kind == "undo" and s.value("glue.knee_db") == 6.0
    assert s.undo("panel").values == {"glue.makeup_db": (3.0, 6.0)}   # the recall was one step
    with pytest.raises(UserError, match="snapshot slot 4"):
        s.store(4, "panel")


def test_target_and_listening_are_session_state():
    s = Session(Chain(FS))
    assert s.set_target("ebu-r128", "page").detail == {"target": "ebu-r128", "from": "streaming"}
    with pytest.raises(UserError, match="target 'loud'"):
        s.set_target("loud", "page")
    assert s.listen("bypass", "osc").detail == {"listen": "bypass"}
    with pytest.raises(UserError, match="listening mode 'matched'"):
        s.listen("matched", "osc")
    st = s.state()
    assert st["target"] == "ebu-r128" and st["listen"]["mode"] == "bypass" and st["revision"] == 2


def test_a_subscriber_cannot_change_the_session_and_a_failing_one_is_dropped():
    s = Session(Chain(FS))
    calls = []

    def meddler(ch):
        calls.append(ch.revision)
        s.apply({"glue.ratio": 5.0}, "meddler")

    def broken(ch):
        raise RuntimeError("boom")

    s.subscribe(meddler)
    s.subscribe(broken)
    s.apply({"glue.ratio": 2.0}, "panel")
    s.apply({"glue.ratio": 3.0}, "panel")
    assert calls == [1] and s.value("glue.ratio") == 3.0 and s.revision == 2


def test_a_slow_feed_overflows_and_resyncs_instead_of_stalling():
    s = Session(Chain(FS))
    f = s.feed(maxlen=8)
    for k in range(20):
        s.apply({"glue.threshold_db": -20.0 - k}, "panel")
    assert f.take_overflow()                 # it lost changes and knows it
    got = []
    while (ch := f.get(0)) is not None:
        got.append(ch.revision)
    assert got == sorted(got) and got[-1] == 20 and len(got) <= 8
    assert s.state()["values"]["glue.threshold_db"] == -39.0     # what it resyncs from


class SlowChain(Chain):
    """A chain whose publish takes a while, like the engine's (which waits for
    the callback to leave the buffer it is about to overwrite): it gives the
    other threads every chance to get in between."""

    def set_checked(self, changes, morph_s=None):
        time.sleep(0.0002)
        return super().set_checked(changes, morph_s)


@pytest.mark.parametrize("make_sink", [lambda: SlowChain(FS), lambda: Engine(FS, 128, values={})],
                         ids=["slow-chain", "engine"])
def test_many_hands_at_once_lose_nothing_and_reorder_nothing(make_sink):
    """Four hands (panel, MIDI, page, script) hammer the session at once, each on
    its own controls and one shared control. Every change is serialised: the
    subscriber sees revisions 1, 2, 3... once each, each hand's controls end at
    the last value it sent, and the set the audio reads is the session's."""
    sink = make_sink()
    s = Session(sink)
    seen = []
    s.subscribe(lambda ch: seen.append((ch.revision, ch.source, dict(ch.values))))
    hands = {"panel": "eq.bell1_gain_db", "midi": "eq.bell2_gain_db", "page": "glue.threshold_db",
             "script": "stereo.width_pct"}
    last = {}
    sent = {h: [] for h in hands}
    start = threading.Barrier(len(hands))

    def hand(name, pid):
        rng = random.Random(name)
        p = params.get(pid)
        start.wait()
        for k in range(150):
            v = round(p.min + (p.max - p.min) * rng.random(), 3)
            s.apply({pid: v}, name)
            sent[name].append(v)
            if k % 10 == 0:
                s.apply({"output.trim_db": -round(rng.random() * 6, 2)}, name)
        last[pid] = sent[name][-1]

    ts = [threading.Thread(target=hand, args=(n, pid)) for n, pid in hands.items()]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    revs = [r for r, _, _ in seen]
    assert revs == list(range(1, len(revs) + 1))
    # a mirror replaying the deltas in order (what MIDI feedback or a page does)
    # finds each change starting where the one before it ended, and ends at the
    # session's state
    mirror = params.defaults()
    for _, _, vals in seen:
        for pid, (old, new) in vals.items():
            assert mirror[pid] == old, (pid, old, mirror[pid])
            mirror[pid] = new
    assert mirror == s.values
    for pid, v in last.items():
        assert s.value(pid) == v
    # each hand's own control took its values in the order that hand sent them
    for name, pid in hands.items():
        got = [vals[pid][1] for _, src, vals in seen if src == name and pid in vals]
        want = [v for i, v in enumerate(sent[name]) if i == 0 or v != sent[name][i - 1]]
        assert got == want
    assert published_matches(sink, s.values)
