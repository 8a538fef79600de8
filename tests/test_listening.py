"""Listening modes after compare (stereo, mono, mid, side, delta), measured
against numpy computed from a second, stereo render: mono and mid have no
side, side has no mid, delta is exactly the processed output minus the
latency-aligned input (digital silence on the neutral chain, a +3 dB bell's
difference at its centre), switching adds no clicks, and the modes stay out
of renders and of what the box saves."""
import numpy as np
import pytest

from dsp.chain import Chain, ChainError
from firmware.control import Controller
from firmware.offline import demo
from firmware.session import Session
from firmware.store import presets
from helpers import hf_energy, play
from ui.actions import KEYMAP, Action
from ui.screens import render

FS = 48000
SETTLE = FS // 10           # past the ~20 ms cross-fade


@pytest.fixture(scope="module")
def programme():
    return demo.programme(FS)[: 4 * FS]


@pytest.fixture(scope="module")
def stereo_render(programme):
    return play(Chain(FS, presets.load("default")), programme)


def listen(mode, x, values=None):
    c = Chain(FS, values if values is not None else presets.load("default"))
    c.set_solo(mode)
    return play(c, x), c.latency


def test_mono_and_mid_have_no_side(programme, stereo_render):
    m = 0.5 * (stereo_render[:, 0].astype(np.float64) + stereo_render[:, 1])
    for mode in ("mono", "mid"):
        y, _ = listen(mode, programme)
        assert np.array_equal(y[SETTLE:, 0], y[SETTLE:, 1])      # no side at all
        assert np.max(np.abs(y[SETTLE:, 0] - m[SETTLE:])) < 1e-6


def test_side_nulls_the_mid(programme, stereo_render):
    y, _ = listen("side", programme)
    s = 0.5 * (stereo_render[:, 0].astype(np.float64) - stereo_render[:, 1])
    assert np.max(np.abs(y[SETTLE:, 0] - s[SETTLE:])) < 1e-6
    mono_in = np.repeat(programme[:, :1], 2, axis=1)        # all mid, no side
    y, _ = listen("side", mono_in, presets.load("neutral"))
    assert np.max(np.abs(y[SETTLE:])) == 0.0


def test_delta_on_the_neutral_chain_is_digital_silence(programme):
    y, _ = listen("delta", programme, presets.load("neutral"))
    assert np.max(np.abs(y[SETTLE:])) == 0.0


def test_delta_is_what_a_bell_adds():
    # +3 dB bell at 1 kHz on a 1 kHz tone: a matched bell has no phase shift at
    # its centre, so the difference is the tone times 10^(3/20) - 1
    t = np.arange(2 * FS) / FS
    a = 0.1
    tone = (a * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    x = np.stack([tone, tone], 1)
    v = dict(presets.load("neutral"), **{"eq.bell2_mode": 0, "eq.bell2_freq_hz": 1000.0,
                                        "eq.bell2_gain_db": 3.0})
    c = Chain(FS, v)
    wet = play(c, x)
    L = c.latency
    y, _ = listen("delta", x, v)
    # sample for sample: the stereo output minus the input delayed by the latency
    want = wet[L:].astype(np.float64) - x[:-L]
    assert np.max(np.abs(y[L + SETTLE:] - want[SETTLE:])) < 1e-6
    seg = y[FS:, 0].astype(np.float64)
    amp = np.sqrt(2 * np.mean(seg ** 2))
    assert amp == pytest.approx(a * (10 ** (3 / 20) - 1), rel=0.01)


def test_switching_is_click_free():
    t = np.arange(3 * FS) / FS
    tone = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    x = np.stack([tone, 0.7 * tone], 1)
    c = Chain(FS, presets.load("default"))
    modes = ["mono", "side", "delta", "mid", "stereo"]
    y = play(c, x, [(0.5 + 0.4 * i, (lambda m=m: c.set_solo(m))) for i, m in enumerate(modes)])
    still = play(Chain(FS, presets.load("default")), x)
    e_tone = np.mean(still[FS // 2:, 0].astype(np.float64) ** 2)
    for ch in (0, 1):
        extra = hf_energy(y[:, ch], FS, 5000, FS // 4) - hf_energy(still[:, ch], FS, 5000, FS // 4)
        assert 10 * np.log10(max(extra, 1e-30) / e_tone) < -80


def test_modes_stay_out_of_renders_and_saves(programme):
    c = Chain(FS, presets.load("default"))
    s = Session(c)
    s.set_solo("delta", "test")
    assert c.solo == "delta" and s.solo == "delta"
    # a render builds its chain from the values: stereo whatever is heard
    assert Chain(FS, s.values).solo == "stereo"
    # the state a box saves carries it for remote surfaces, but a restore
    # from it starts in stereo
    restored = Session(Chain(FS, s.values))
    restored.restore(s.state())
    assert restored.solo == "stereo"
    # compare keeps the listening mode; an unknown one is refused whole
    s.listen("bypass", "test")
    assert c.solo == "delta" and c.monitor[0] == "bypass"
    with pytest.raises(ChainError):
        c.set_solo("loud")


def test_the_solo_button_cycles_and_every_page_says_so():
    c = Chain(FS, presets.load("default"))
    ctl = Controller(Session(c))
    seen = []
    for _ in range(5):
        ctl.handle(KEYMAP["m"], 0.0)
        seen.append(ctl.session.solo)
    assert seen == ["mono", "mid", "side", "delta", "stereo"]
    ctl.handle(Action("compare", "double"), 0.0)
    for page in ("meters", "menu", "target", "snapshots"):
        ctl.nav.page = page
        screen = ctl.screen(0.0)
        assert screen.badge.listen == "mono"
        img = np.array(render(screen), dtype=bool)
        assert img[-2, :].mean() > 0.5           # the inverted listening line at the bottom


def test_the_taps_join_the_cycle_while_their_module_is_on_and_every_page_says_so():
    """The solo button passes through a dynamic EQ band's detector or the
    de-esser's removed signal only while that band or the de-esser is on; a
    tap on is a warning line on every page naming it."""
    from PIL import Image, ImageDraw

    from ui.draw import LINE_H, text
    c = Chain(FS, dict(presets.load("default"), **{"dyneq.b2_on": 1.0, "deess.on": 1.0}))
    ctl = Controller(Session(c))
    seen = []
    for _ in range(8):
        ctl.handle(KEYMAP["m"], 0.0)
        seen.append(ctl.session.solo)
    assert seen == ["mono", "mid", "side", "delta", "dyn2", "deess", "stereo", "mono"]
    ctl.session.set_solo("dyn1", "test")          # OSC and the page reach every tap
    assert c.solo == "dyn1"
    for page in ("meters", "menu", "snapshots"):
        ctl.nav.page = page
        img = np.array(render(ctl.screen(0.0)), dtype=bool)
        line = Image.new("1", (128, LINE_H), 1)         # what the bottom line must read
        text(ImageDraw.Draw(line), (1, 1), "LISTENING: DYN 1 DETECTOR"[:128 // 6], fill=0)
        assert np.array_equal(img[-LINE_H:, :], np.array(line, dtype=bool)), page
