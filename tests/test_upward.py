"""Upward compression in the glue (issue #30): quiet passages below the
upward threshold are raised by (threshold - level)(1 - 1/ratio) dB, never
beyond the maximum gain; loud passages are left alone. Measured here on
the chain's output against the same chain with upward off, from plain
numpy RMS over each passage's settled part; the expected rise is the
static curve, computed here."""
import numpy as np
import pytest

from dsp.chain import Chain
from firmware.store import presets

FS = 48000
PASSAGE_S = 3.0
SETTLED_S = 1.5          # the last part of each passage: five release time constants in


def tones(levels_dbfs, f=1000.0):
    """A 1 kHz sine whose peak steps through the levels, PASSAGE_S each."""
    n = int(PASSAGE_S * FS)
    t = np.arange(n) / FS
    return np.concatenate([np.stack([10 ** (L / 20) * np.sin(2 * np.pi * f * t)] * 2, 1)
                           for L in levels_dbfs]).astype(np.float32)


def render(values, x):
    c = Chain(FS, values)
    L = c.latency
    return c.process(np.concatenate([x, np.zeros((L, 2), np.float32)]))[L:].astype(np.float64), c


def settled_db(y, k):
    """RMS level (dB) of passage k's settled part."""
    n = int(PASSAGE_S * FS)
    part = y[k * n + n - int(SETTLED_S * FS):(k + 1) * n]
    return 10 * np.log10(np.mean(part ** 2))


def values(**up):
    v = dict(presets.load("neutral"), **{"glue.on": 1.0, "glue.up_on": 1.0})
    v.update({f"glue.up_{k}": val for k, val in up.items()})
    return v


def curve(level, thr, ratio, most):
    return min(max((thr - level) * (1 - 1 / ratio), 0.0), most)


@pytest.mark.parametrize("thr, ratio, most", [(-30.0, 2.0, 12.0), (-10.0, 4.0, 12.0), (-25.0, 1.5, 3.0)])
def test_quiet_passages_rise_by_the_curve_and_loud_ones_stay(thr, ratio, most):
    levels = [-40.0, -10.0, -40.0, -10.0, -55.0]
    x = tones(levels)
    v = values(threshold_db=thr, ratio=ratio, max_db=most)
    off, _ = render(dict(v, **{"glue.up_on": 0.0}), x)
    on, c = render(v, x)
    for k, level in enumerate(levels):
        rise = settled_db(on, k) - settled_db(off, k)
        if level > thr:
            assert abs(rise) < 0.2, (k, level, rise)
        else:
            assert rise == pytest.approx(curve(level, thr, ratio, most), abs=0.5), (k, level, rise)
    # never beyond the maximum gain, anywhere: 10 ms RMS of on over off
    hop = FS // 100
    n = len(x) // hop * hop
    r = lambda y: np.sqrt(np.mean(y[:n, 0].reshape(-1, hop) ** 2, axis=1))  # noqa: E731
    assert np.max(20 * np.log10(r(on) / r(off))) <= most + 0.1
    assert c.gain_reduction_db()["glue"] == pytest.approx(0.0, abs=1e-9)   # no downward


def test_off_or_above_the_threshold_nothing_changes():
    x = tones([-10.0, -6.0])
    v = values(threshold_db=-30.0, ratio=2.0, max_db=12.0)
    off, _ = render(dict(v, **{"glue.up_on": 0.0}), x)
    on, _ = render(v, x)
    skip = int(0.2 * FS)     # the detector's first 10 ms read silence; 20 attack constants on
    d = on[skip:] - off[skip:]
    assert 10 * np.log10(np.sum(d ** 2) / np.sum(off[skip:] ** 2) + 1e-300) < -100
    # the glue switched off takes its upward part with it
    bypass, _ = render(dict(v, **{"glue.on": 0.0}), tones([-40.0]))
    assert np.array_equal(bypass, render(presets.load("neutral"), tones([-40.0]))[0])


def test_the_boost_is_read_back():
    x = tones([-40.0])
    _, c = render(values(threshold_db=-30.0, ratio=2.0, max_db=12.0), x)
    assert c.boosts()["glue"] == pytest.approx(5.0, abs=0.3)


def test_a_boost_is_drawn_unlike_a_cut_on_the_panel_and_the_page():
    """The meters page's cell for the glue reads +5.0 in an outline (a cut is
    inverted); the reduction page draws it as dotted columns up from the
    strip's bottom; the page's strip draws it green, up from the row's bottom."""
    import asyncio

    from firmware.control import Controller
    from firmware.lab.browser import Browser
    from firmware.remote.web import WebServer
    from firmware.session import Session
    from ui.screens import render as draw

    v = values(threshold_db=-30.0, ratio=2.0, max_db=12.0)
    chain = Chain(FS, v)
    s = Session(chain)
    ctl = Controller(s)
    x = tones([-40.0])
    for i in range(0, len(x), 4800):
        chain.process(x[i:i + 4800])
        ctl.history.sample(i / FS, {}, ctl._gr())
    view = ctl.meter_view()
    glue = dict(view.gr)["G"]
    assert glue == pytest.approx(-5.0, abs=0.3)
    ctl.nav.page = "meters"
    img = np.asarray(draw(ctl.screen(100.0)).convert("1"))
    cell = img[32:42, 0:31]                            # the glue's cell, top left of the grid
    assert cell[:, 0].all() and cell[0, :].all()       # its outline
    assert cell[2:8, 1:30].mean() < 0.5                # not inverted: a cut fills it
    ctl.nav.page = "reduction"
    img = np.asarray(draw(ctl.screen(100.0)).convert("1"))
    strip = img[12:20, 30:]                            # the glue's strip
    cols = strip.any(axis=0)
    assert cols.sum() >= 10 and not cols[1::2].any()   # dotted: every other column
    assert strip[-2:].any() and not strip[0].any()     # from the bottom, not the top

    srv = WebServer(s, "127.0.0.1", 0, code="314159", meter=None, history=ctl.history).start()

    async def run():
        async with Browser() as b:
            await b.open(f"http://127.0.0.1:{srv.port}/")
            await b.wait("document.getElementById('in-output.trim_db') !== null")
            from helpers import strip_has
            await b.wait(strip_has("glue", "d[i + 1] > 150 && d[i] < 150"))     # green
    try:
        asyncio.run(run())
    finally:
        srv.close()
