"""DELIVERY, a monitor source on the box: what is heard equals what
`render --target` writes from the same programme and settings. The level
heard is measured with pyloudnorm on the chain's recorded output and
compared with the level of the file a real `render --target` wrote, for a
programme the target turns down (a plain gain) and one it adds drive to.
The source is flagged on every page, ends at a hand's move, and never
reaches the session's values, a render or a save."""
import json
import time

import numpy as np
import pyloudnorm as pyln
import pytest
import soundfile as sf

from dsp.chain import Chain
from firmware.cli import main
from firmware.control import Controller
from firmware.delivery_preview import DeliveryHand, plan
from firmware.offline.demo import programme
from firmware.session import Session
from firmware.store import presets
from helpers import play
from ui.actions import Action
from ui.screens import render

FS = 48000
SECONDS = 10.0


def material(peak_dbfs):
    x = programme(FS)[: int(FS * SECONDS)].astype(np.float64)
    return (x * 10 ** (peak_dbfs / 20) / np.max(np.abs(x))).astype(np.float32)


def heard_on_the_box(session, x):
    """The chain's output for x as the box would play it: primed with a
    second of silence (the monitor's gain and any change settle), then x
    and the latency, aligned."""
    c = session.sink
    play(c, np.zeros((FS, 2), np.float32))
    y = play(c, np.concatenate([x, np.zeros((c.latency, 2), np.float32)]))
    return y[c.latency:]


@pytest.mark.parametrize("peak,kind", [(-0.5, "plain"), (-14.0, "limit")], ids=["plain", "added-drive"])
def test_delivery_is_heard_at_the_level_the_render_writes(tmp_path, capsys, peak, kind):
    x = material(peak)
    values = presets.load("default")
    s = Session(Chain(FS, values))
    p = plan(x, FS, s.values, s.target)
    assert ("plain" if p.plain else "limit") == kind
    s.hear_delivery(p, "test")
    y = heard_on_the_box(s, x)
    heard = pyln.Meter(FS).integrated_loudness(y.astype(np.float64))
    src = tmp_path / "prog.wav"
    sf.write(src, x, FS, subtype="FLOAT")
    out = tmp_path / "delivered.wav"
    assert main(["render", str(src), str(out), "--target", "streaming", "--preset", "default",
                 "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)["tracks"][0]
    assert rep["delivery"] == kind
    delivered = sf.read(out, dtype="float64")[0]
    assert abs(heard - pyln.Meter(FS).integrated_loudness(delivered)) <= 0.2
    # more than its level: the sound is the delivered file's (least-squares
    # gain, then the residual against it)
    g = np.vdot(y, delivered) / np.vdot(delivered, delivered)
    resid = 10 * np.log10(np.sum((y - g * delivered) ** 2) / np.sum(y.astype(np.float64) ** 2))
    assert abs(20 * np.log10(g)) < 0.05 and resid < -60
    # the session's own values never took the delivery's limiter settings
    assert s.values == values and s.state()["values"] == values


def test_a_hand_move_ends_delivery_and_gives_the_chain_back(tmp_path):
    x = material(-14.0)
    values = presets.load("default")
    chain = Chain(FS, values)
    s = Session(chain)
    p = plan(x, FS, s.values, s.target)
    s.hear_delivery(p, "test")
    assert chain.values["limiter.drive_db"] == pytest.approx(p.drive_db)
    assert chain.monitor[0] == "delivery"
    s.apply({"glue.ratio": 2.0}, "panel")
    assert s.listening[0] == "processed" and s.delivery is None
    assert chain.values == s.values                   # the limiter is the engineer's again
    # and a render of the session's values is the plain render: nothing leaked
    a = play(Chain(FS, s.values), x[:FS])
    b = play(Chain(FS, dict(values, **{"glue.ratio": 2.0})), x[:FS])
    assert np.array_equal(a, b)
    # a new target ends it too
    s.hear_delivery(plan(x, FS, s.values, s.target), "test")
    s.set_target("ebu-r128", "panel")
    assert s.listening[0] == "processed" and chain.values == s.values


def test_a_plan_for_another_target_or_too_little_programme_is_refused():
    from firmware.errors import UserError

    s = Session(Chain(FS, presets.load("default")))
    with pytest.raises(UserError, match="3 s of programme"):
        plan(material(-6.0)[: FS], FS, s.values, s.target)
    p = plan(material(-6.0), FS, s.values, "ebu-r128")
    with pytest.raises(UserError, match="target is streaming"):
        s.hear_delivery(p, "test")
    assert s.listening[0] == "processed"


def test_the_panel_hears_delivery_from_the_target_page_and_every_page_says_so():
    x = material(-0.5)
    ctl = Controller(Session(Chain(FS, presets.load("default"))), capture=lambda: (x, FS))
    ctl.nav.page = "target"
    ctl.handle(Action("enc1", "press"), 0.0)
    assert ctl.delivery.busy
    for i in range(600):                         # the worker renders the capture
        ctl.tick(i * 0.05)
        if ctl.session.listening[0] == "delivery":
            break
        time.sleep(0.05)
    assert ctl.session.listening[0] == "delivery"
    label = ctl.session.delivery.label()
    assert label.startswith("DELIV-")             # louder than the target: a plain gain down
    for page in ("meters", "target", "menu", "snapshots"):
        ctl.nav.page = page
        screen = ctl.screen(100.0)
        assert screen.badge.mode == "delivery" and screen.badge.label == label
        img = np.array(render(screen), dtype=bool)
        assert img[:9, -6 * len(label):].mean() > 0.3      # the inverted badge, top right
    ctl.nav.page = "target"
    assert ctl.screen(100.0).body.delivery.startswith("gain -")
    ctl.handle(Action("enc1", "press"), 200.0)    # off again
    assert ctl.session.listening[0] == "processed"


def test_the_hand_reports_a_silent_capture():
    hand = DeliveryHand(Session(Chain(FS, presets.load("default"))),
                        lambda: (np.zeros((5 * FS, 2), np.float32), FS))
    hand.ask()
    for _ in range(600):
        done = hand.collect()
        if done is not None:
            break
        time.sleep(0.05)
    assert done[0] is None and "silent" in done[1]
