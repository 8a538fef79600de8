"""The browser page: its protocol over a real websocket (aiohttp's client) and
the page itself in a real headless chromium (Debian's, driven over its
DevTools protocol: firmware/lab/browser.py). Nothing changes before pairing,
a cross-origin websocket is refused, wrong codes wait, deltas come in
revision order and a reconnecting client resyncs; a control moved on the
page changes the audio (measured), a knob turned on the panel shows on the
page, and the session log says who did what."""
import asyncio
import json
import os

import numpy as np
import pytest

from dsp import params
from dsp.chain import Chain
from firmware.lab.browser import Browser, find
from firmware.remote.web import FEED_LEN, WebServer
from firmware.session import Session
from firmware.store import presets
from helpers import metered_session


@pytest.fixture
def box():
    s, meter = metered_session("neutral", 0.1)
    srv = WebServer(s, "127.0.0.1", 0, code="314159", meter=meter).start()
    yield s, srv
    srv.close()


async def connect(srv, origin=True):
    import aiohttp

    http = aiohttp.ClientSession()
    headers = {"Origin": f"http://127.0.0.1:{srv.port}"} if origin is True else \
        ({"Origin": origin} if origin else {})
    ws = await http.ws_connect(f"http://127.0.0.1:{srv.port}/ws", headers=headers)
    return http, ws


def on_page(srv, body, close_server=True):
    """Open a page's socket to ``srv``, run ``await body(ws)``, close the
    socket (and the server, unless a fixture owns it)."""
    async def run():
        http, ws = await connect(srv)
        try:
            await body(ws)
        finally:
            await ws.close()
            await http.close()
    try:
        asyncio.run(run())
    finally:
        if close_server:
            srv.close()


async def next_of(ws, kind, timeout=5.0):
    while True:
        m = json.loads((await asyncio.wait_for(ws.receive(), timeout)).data)
        if m["type"] == kind:
            return m


def test_protocol_pairing_origin_deltas_and_resync(box):
    s, srv = box

    async def run():
        import aiohttp

        async with aiohttp.ClientSession() as http:
            for origin in ({"Origin": "http://evil.example"}, {}):
                with pytest.raises(aiohttp.WSServerHandshakeError) as e:
                    await http.ws_connect(f"http://127.0.0.1:{srv.port}/ws", headers=origin)
                assert e.value.status == 403
            r = await http.get(f"http://127.0.0.1:{srv.port}/log.json")
            assert r.status == 403                                      # the log needs pairing
        http, ws = await connect(srv)
        snap = await next_of(ws, "snapshot")
        assert snap["values"] == s.values and snap["revision"] == s.revision
        assert len(snap["schema"]) == len(s.values)
        rev = s.revision
        await ws.send_json({"type": "set", "param": "output.trim_db", "value": -6})
        assert "not paired" in (await next_of(ws, "error"))["text"]
        assert s.revision == rev and s.value("output.trim_db") == 0.0
        for _ in range(3):
            await ws.send_json({"type": "pair", "code": "000000"})
            assert (await next_of(ws, "error"))["text"] == "wrong pairing code"
        await ws.send_json({"type": "pair", "code": "314159"})
        assert "wait" in (await next_of(ws, "error"))["text"]           # even the right code waits
        srv.pairing.misses.clear()                                      # (the wait, elapsed)
        await ws.send_json({"type": "pair", "code": "314159"})
        token = (await next_of(ws, "paired"))["token"]
        await ws.send_json({"type": "set", "param": "output.trim_db", "value": -6})
        ch = await next_of(ws, "change")
        assert ch["revision"] == rev + 1 and ch["source"] == "page"
        assert ch["values"] == {"output.trim_db": [0.0, -6.0]}
        assert s.value("output.trim_db") == -6.0 and s.sink.values["output.trim_db"] == -6.0
        s.apply({"glue.ratio": 3.0}, "panel")                           # another hand
        ch = await next_of(ws, "change")
        assert ch["revision"] == rev + 2 and ch["source"] == "panel"
        await ws.send_json({"type": "set", "param": "eq.bell2_gain_db", "value": 2})
        ch = await next_of(ws, "change")
        assert "eq_curve" in ch and max(ch["eq_curve"]["mid"]) == pytest.approx(2.0, abs=0.05)
        await ws.send_json({"type": "set", "param": "glue.ratio", "value": 99})
        assert "20" in (await next_of(ws, "error"))["text"]
        await ws.close()
        # a reconnecting page: its token pairs it, an old revision resyncs it
        _, ws2 = await connect(srv)
        await next_of(ws2, "snapshot")
        await ws2.send_json({"type": "pair", "token": token})
        await next_of(ws2, "paired")
        await ws2.send_json({"type": "resync", "revision": rev})
        assert (await next_of(ws2, "snapshot"))["revision"] == s.revision
        m = await next_of(ws2, "meters")
        assert m["short_term_lufs"] is not None
        async with __import__("aiohttp").ClientSession() as h2:
            rows = await (await h2.get(f"http://127.0.0.1:{srv.port}/log.json?token={token}")).json()
            text = await (await h2.get(f"http://127.0.0.1:{srv.port}/log.txt?token={token}")).text()
        assert [(r["source"], r["param"], r["from"], r["to"]) for r in rows if "param" in r][:2] == [
            ("page", "output.trim_db", 0.0, -6.0), ("panel", "glue.ratio", 1.0, 3.0)]
        assert "output.trim_db" in text and "0.0 dB -> -6.0 dB" in text
        await ws2.close()
        await http.close()
    asyncio.run(run())


def test_a_client_that_stops_reading_cannot_hold_the_box(box):
    s, srv = box

    async def run():
        http, stuck = await connect(srv)                  # never reads again
        _, live = await connect(srv)
        await next_of(live, "snapshot")
        await live.send_json({"type": "pair", "code": "314159"})
        await next_of(live, "paired")
        t0 = asyncio.get_running_loop().time()
        for i in range(3000):
            s.apply({"eq.bell1_gain_db": float(i % 24 - 12) / 2}, "panel")
        applied = asyncio.get_running_loop().time() - t0
        last = s.value("eq.bell1_gain_db")
        while True:                                        # the live page ends on the last value
            m = json.loads((await asyncio.wait_for(live.receive(), 20)).data)
            vals = m.get("values", {})
            if m["type"] == "snapshot" and vals.get("eq.bell1_gain_db") == last:
                break
            if m["type"] == "change" and m["revision"] == s.revision:
                break
        assert applied < 30                                # the session never waited on the network
        assert all(len(f._q) <= FEED_LEN for f in s._feeds)   # memory stays bounded
        await stuck.close()
        await live.close()
        await http.close()
    asyncio.run(run())


@pytest.mark.skipif(find() is None, reason="no chromium (make test installs it): the page's browser "
                    "test is NOT run")
def test_the_page_in_a_real_browser(box):
    s, srv = box
    chain = s.sink

    def level_db():
        t = np.arange(9600) / 48000
        x = np.stack([0.1 * np.sin(2 * np.pi * 1000 * t)] * 2, 1).astype(np.float32)
        c = Chain(48000, chain.values)
        y = c.process(x)[4800:]
        return 10 * np.log10(np.mean(y.astype(np.float64) ** 2))

    async def run():
        async with Browser() as b:
            url = f"http://127.0.0.1:{srv.port}/"
            await b.open(url)
            await b.wait("document.getElementById('in-output.trim_db') !== null")
            assert await b.eval("document.getElementById('in-output.trim_db').disabled")
            # unpaired: a change sent through the page's own socket is refused
            await b.eval("send({type: 'set', param: 'output.trim_db', value: -3})")
            await b.wait("document.getElementById('conn').textContent.includes('not paired')")
            assert s.value("output.trim_db") == 0.0
            before = level_db()
            await b.eval("document.getElementById('code').value = '314159';"
                         "document.getElementById('pair').requestSubmit()")
            await b.wait("!document.getElementById('in-output.trim_db').disabled")
            # move the output trim on the page to -12 dB (its slider is linear over -24..0)
            await b.eval("const i = document.getElementById('in-output.trim_db');"
                         "i.value = 500; i.dispatchEvent(new Event('input'))")
            for _ in range(100):
                if s.value("output.trim_db") != 0.0:
                    break
                await asyncio.sleep(0.05)
            assert s.value("output.trim_db") == pytest.approx(-12.0, abs=0.1)
            assert level_db() - before == pytest.approx(-12.0, abs=0.2)
            # a knob on the panel shows on the page
            s.apply({"glue.ratio": 3.0}, "panel")
            await b.wait("document.getElementById('val-glue.ratio').textContent.startsWith('3.0')")
            await b.wait("document.getElementById('loglist').textContent.includes('panel glue.ratio')")
            await b.wait("document.getElementById('st').textContent !== '--.-'")
            # a preset chosen and loaded on the page, a perform recall mode chosen there
            await b.eval("document.getElementById('presets').value = 'default';"
                         "document.getElementById('pload').click()")
            await b.wait("document.getElementById('pactive').textContent === 'default'")
            assert s.preset == "default" and chain.values == presets.load("default")
            await b.eval("const r = document.getElementById('recallmode');"
                         "r.value = '300'; r.dispatchEvent(new Event('change'))")
            await b.wait("document.getElementById('loglist').textContent.includes('recall-mode')")
            assert s.recall_mode == ("perform", 300.0)
            # the box's gain reduction history is drawn: the glue's strip is not empty
            s.apply({"glue.threshold_db": -40.0, "glue.ratio": 4.0}, "panel")
            t = np.arange(48000) / 48000
            chain.process(np.stack([0.3 * np.sin(2 * np.pi * 1000 * t)] * 2, 1).astype(np.float32))
            assert chain.gain_reduction_db()["glue"] > 3.0
            from helpers import strip_has
            await b.wait(strip_has("glue", "d[i] > 100"))
            # a tap heard instead of the master: a flag at the top, gone with it
            flag = "document.getElementById('listenflag')"
            assert await b.eval(f"{flag}.hidden")
            s.set_solo("deess", "panel")
            await b.wait(f"!{flag}.hidden && {flag}.textContent === 'LISTENING: de-esser: removed'")
            s.set_solo("stereo", "panel")
            await b.wait(f"{flag}.hidden")
    asyncio.run(run())


def test_reference_tracks_from_the_page(tmp_path):
    import soundfile as sf

    from firmware.references import load_all

    t = np.arange(3 * 48000) / 48000
    for name in ("a.wav", "b.wav"):
        sf.write(tmp_path / name, np.stack([0.2 * np.sin(2 * np.pi * 500 * t)] * 2, 1), 48000)
    s = Session(Chain(48000, presets.load("neutral"), reference_bytes=8 << 20))
    assert load_all(s, [str(tmp_path / "a.wav"), str(tmp_path / "b.wav")], 48000) == []
    srv = WebServer(s, "127.0.0.1", 0, code="314159").start()

    async def run(ws):
        snap = await next_of(ws, "snapshot")
        assert [r["name"] for r in snap["state"]["references"]] == ["a.wav", "b.wav"]
        await ws.send_json({"type": "reference", "on": True})
        assert "not paired" in (await next_of(ws, "error"))["text"]
        await ws.send_json({"type": "pair", "code": "314159"})
        await next_of(ws, "paired")
        await ws.send_json({"type": "reference", "index": 1, "on": True})
        ch = await next_of(ws, "change")
        while s.listening[0] != "reference":
            ch = await next_of(ws, "change")
        assert s.reference_index == 1 and s.sink.monitor[0] == "reference"
        assert ch["state"]["listen"]["mode"] == "reference"
        await ws.send_json({"type": "reference", "on": False})
        while True:
            ch = await next_of(ws, "change")
            if ch["state"]["listen"]["mode"] == "processed":
                break
        assert s.listening[0] == "processed"
    on_page(srv, run)


def test_a_late_page_gets_the_box_history_and_sets_the_recall_mode(box):
    s, srv = box
    from firmware.history import GR_LABELS, LOUDNESS_S, RATE_HZ, STRIP_S

    import time
    time.sleep(0.5)                      # no page open: the server samples the meters anyway

    async def run(ws):
        snap = await next_of(ws, "snapshot")
        h = snap["history"]
        assert h["rate_hz"] == RATE_HZ and len(h["short_term"]) == LOUDNESS_S * RATE_HZ
        assert set(h["gr"]) == {k for k, _ in GR_LABELS}
        assert all(len(v) == STRIP_S * RATE_HZ for v in h["gr"].values())
        seen = [v for v in h["short_term"] if v is not None]
        assert seen and seen[-1] == pytest.approx(srv.meter.results()["short_term_lufs"], abs=0.01)
        assert snap["state"]["recall"] == {"mode": "compare", "morph_ms": 200.0}
        await ws.send_json({"type": "pair", "code": "314159"})
        await next_of(ws, "paired")
        await ws.send_json({"type": "recall_mode", "mode": "perform", "morph_ms": 500})
        ch = await next_of(ws, "change")
        assert ch["state"]["recall"] == {"mode": "perform", "morph_ms": 500.0}
        assert s.recall_mode == ("perform", 500.0)
        await ws.send_json({"type": "recall_mode", "mode": "perform", "morph_ms": 5000})
        assert "morph time" in (await next_of(ws, "error"))["text"]
    on_page(srv, run, close_server=False)


def test_presets_from_the_page_stay_in_the_preset_folder(tmp_path):
    from firmware.store.presets import UserPresets

    folder = tmp_path / "presets"
    user = UserPresets(str(folder))
    s = Session(Chain(48000, presets.load("neutral")))
    srv = WebServer(s, "127.0.0.1", 0, code="314159", presets=user).start()

    async def run(ws):
        snap = await next_of(ws, "snapshot")
        assert ["default", True] in snap["state"]["presets"]
        await ws.send_json({"type": "preset_load", "name": "default"})
        assert "not paired" in (await next_of(ws, "error"))["text"]
        assert s.preset is None
        await ws.send_json({"type": "pair", "code": "314159"})
        await next_of(ws, "paired")
        await ws.send_json({"type": "preset_load", "name": "default"})
        ch = await next_of(ws, "change")
        assert ch["state"]["preset"] == "default" and s.values == presets.load("default")
        await ws.send_json({"type": "set", "param": "glue.ratio", "value": 4})
        ch = await next_of(ws, "change")
        assert ch["modified"] is True
        await ws.send_json({"type": "preset_save", "name": "Page 1"})
        ch = await next_of(ws, "change")
        assert ch["state"]["preset"] == "Page 1" and ["Page 1", False] in ch["state"]["presets"]
        assert user.load("Page 1")["glue.ratio"] == 4.0
        for bad, why in (("../evil", "'/' is not allowed"), ("default", "built in"),
                         ("Page 1", "exists")):
            await ws.send_json({"type": "preset_save", "name": bad})
            assert why in (await next_of(ws, "error"))["text"], bad
        await ws.send_json({"type": "preset_save", "name": "Page 1", "overwrite": True})
        await next_of(ws, "change")
        assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["Page 1.toml"]
    on_page(srv, run)


def test_the_curve_has_its_frequency_grid_where_the_log_axis_puts_it(box, tmp_path):
    """Read from a screenshot of the page in chromium: along a row near the
    curve's bottom, the decade lines (100 Hz, 1 kHz, 10 kHz) sit where a log
    axis from 20 Hz to 20 kHz across the curve's width puts them, within one
    pixel; and a dB scale is drawn."""
    import math

    from PIL import Image

    from firmware.lab.browser import Browser

    s, srv = box

    async def run():
        async with Browser() as b:
            await b.open(f"http://127.0.0.1:{srv.port}/")
            await b.wait("document.querySelectorAll('#curve line.decade').length === 3")
            r = await b.eval("(() => { const r = document.getElementById('curve').getBoundingClientRect();"
                             "return [r.left, r.top, r.width, r.height, window.devicePixelRatio]; })()")
            labels = await b.eval("Array.from(document.querySelectorAll('#curve text'))"
                                  ".map((t) => t.textContent).join(' ')")
            await b.eval("window.scrollTo(0, 0)")
            await b.screenshot(str(tmp_path / "page.png"))
            return r, labels
    (left, top, width, height, ratio), labels = asyncio.run(run())
    assert "1k" in labels and "10k" in labels and "+12 dB" in labels and "-12 dB" in labels
    img = np.asarray(Image.open(tmp_path / "page.png").convert("RGB")).astype(int)
    row = img[round((top + 0.97 * height) * ratio), :, :]
    # the decade lines' blue-grey (thinner than a pixel at this width, so
    # darker than drawn): blue well over red; the minor lines are grey
    cols = np.flatnonzero((row[:, 2] - row[:, 0] >= 15) & (row[:, 2] >= 50)) / ratio
    for f in (100, 1000, 10000):
        want = left + width * math.log(f / 20) / math.log(1000)
        near = cols[np.abs(cols - want) <= 3]
        assert len(near), (f, want, cols)
        assert abs(near.mean() - want) <= 1.0, (f, want, near)


SIZES = {"phone": (390, 844), "tablet": (1024, 768), "laptop": (1440, 900)}
AXE = os.path.join(os.path.dirname(__file__), "..", ".venv", "share", "axe-core", "axe.min.js")


@pytest.mark.skipif(find() is None, reason="no chromium (make test installs it): the page's layout "
                    "and accessibility tests are NOT run")
def test_three_sizes_fit_a_finger_and_an_accessibility_audit(box):
    """At 390x844, 1024x768 and 1440x900, paired, in chromium: the document
    is no wider than the window; on the phone and the tablet every visible
    button, menu, field, fold and EQ handle measures at least 44x44 px (from
    the DOM);
    the monitor's buttons are inside the window wherever the page is
    scrolled to; and axe-core (scripts/fetch_axe.py) finds no serious or
    critical violation at any size."""
    s, srv = box
    with open(AXE) as f:
        axe = f.read()
    small = """Array.from(document.querySelectorAll('button, select, input, summary, #curve circle.hit'))
        .filter((e) => e.offsetParent !== null || getComputedStyle(e).position === 'fixed')
        .map((e) => { const r = e.getBoundingClientRect();
                      return [e.id || e.dataset.param || e.textContent.trim(), r.width, r.height]; })
        .filter(([n, w, h]) => w < 44 || h < 44)"""
    in_reach = """(() => { const r = document.getElementById('compare').getBoundingClientRect();
        return r.top >= 0 && r.bottom <= window.innerHeight; })()"""

    async def run():
        found = {}
        for name, (w, h) in SIZES.items():
            async with Browser(w, h) as b:
                await b.open_paired(f"http://127.0.0.1:{srv.port}/", "314159")
                wide = await b.eval("[document.documentElement.scrollWidth, window.innerWidth]")
                tiny = await b.eval(small) if name != "laptop" else []
                reach = [await b.eval(f"window.scrollTo(0, {y}); {in_reach}") for y in (0, 1500, 100000)]
                await b.eval(axe)
                bad = await b.eval("axe.run(document, {resultTypes: ['violations']}).then((r) => "
                                   "r.violations.filter((v) => ['serious', 'critical'].includes(v.impact))"
                                   ".map((v) => v.id + ': ' + v.nodes.slice(0, 3).map((n) => n.target)"
                                   ".join(' ')))")
                found[name] = (wide, tiny, reach, bad)
        return found
    for name, (wide, tiny, reach, bad) in asyncio.run(run()).items():
        assert wide[0] <= wide[1], (name, wide)
        assert tiny == [], (name, tiny[:10])
        assert all(reach), (name, reach)
        assert bad == [], (name, bad)


@pytest.mark.skipif(find() is None, reason="no chromium (make test installs it): the page's meter "
                    "bars are NOT tested")
def test_the_meters_read_as_bars_against_the_target_and_the_ceiling(box):
    """The box's meter has read a step to a steady 0.1 (its true peak, read in
    Python from the box's meter: about -19 dBTP, the step's overshoot). On the
    page in chromium, the true-peak bar's fill ends where that value falls on
    its -24..+3 dB scale, and the ceiling's mark sits at -1 dBTP (the
    streaming target's), each within a pixel of the track's own geometry."""
    s, srv = box
    tp = srv.meter.results()["true_peak_dbtp"]
    assert -24 < tp < 3

    async def run():
        async with Browser(1280, 900) as b:
            await b.open(f"http://127.0.0.1:{srv.port}/")
            await b.wait("document.getElementById('bar-tp') !== null")
            return await b.eval("""(() => {
                const t = document.getElementById('bar-tp').getBoundingClientRect();
                const f = document.querySelector('#bar-tp .fill').getBoundingClientRect();
                const m = document.querySelector('#bar-tp .mark').getBoundingClientRect();
                return [t.left, t.width, f.left, f.width, m.left + m.width / 2]; })()""")
    left, width, f_left, f_width, mark = asyncio.run(run())
    assert f_left == pytest.approx(left, abs=1.0)
    assert f_left + f_width == pytest.approx(left + width * (tp + 24) / 27, abs=1.0)
    assert mark == pytest.approx(left + width * (-1 + 24) / 27, abs=1.0)



@pytest.mark.skipif(find() is None, reason="no chromium (make test installs it): the EQ handles "
                    "are NOT tested")
def test_dragging_a_bell_on_the_curve_moves_the_band(box):
    """In chromium, paired: the mouse presses bell 2's handle and drags it to
    where the curve's axes put 2 kHz and +4 dB. The band lands within one
    step of those, and a 2 kHz tone rendered through the box's chain with
    the session's values rises by 4.0 dB within 0.1 dB (against the same
    chain with that band flat). A proposal's hollow handle, tapped, is
    accepted; a handle moves from the keyboard too."""
    s, srv = box
    at = """(([f, g]) => { const svg = document.getElementById('curve'), p = svg.createSVGPoint();
        p.x = 600 * Math.log(f / 20) / Math.log(1000); p.y = 100 - g * 100 / 15;
        const q = p.matrixTransform(svg.getScreenCTM()); return [q.x, q.y]; })"""

    async def run():
        async with Browser(1280, 900) as b:
            await b.open_paired(f"http://127.0.0.1:{srv.port}/", "314159")
            await b.eval("document.getElementById('curve').scrollIntoView({block: 'center'})")
            f0, g0 = s.value("eq.bell2_freq_hz"), s.value("eq.bell2_gain_db")
            x0, y0 = await b.eval(f"{at}([{f0}, {g0}])")
            x1, y1 = await b.eval(f"{at}([2000, 4])")
            mouse = lambda kind, x, y: b.call("Input.dispatchMouseEvent", b.session, type=kind, x=x, y=y,
                                              button="left", buttons=1 if kind != "mouseReleased" else 0,
                                              clickCount=1)
            await mouse("mousePressed", x0, y0)
            for k in range(1, 11):
                await mouse("mouseMoved", x0 + (x1 - x0) * k / 10, y0 + (y1 - y0) * k / 10)
            await mouse("mouseReleased", x1, y1)
            for _ in range(100):
                if abs(s.value("eq.bell2_gain_db") - 4.0) < 0.11:
                    break
                await asyncio.sleep(0.05)
            # the assistant's proposal for bell 1 is a hollow handle: a tap accepts it
            s.propose([("eq.bell1_gain_db", 2.0, "test")], "assistant")
            await b.wait("document.querySelector('#curve circle.ghosthandle') !== null")
            gx, gy = await b.eval(f"{at}([{s.value('eq.bell1_freq_hz')}, 2.0])")
            await mouse("mousePressed", gx, gy)
            await mouse("mouseReleased", gx, gy)
            for _ in range(100):
                if s.value("eq.bell1_gain_db") == 2.0:
                    break
                await asyncio.sleep(0.05)
            assert s.value("eq.bell1_gain_db") == 2.0 and not s.ghosts
            # from the keyboard: bell 3's handle focused, up twice (+1 dB), right once (a semitone)
            g3, f3 = s.value("eq.bell3_gain_db"), s.value("eq.bell3_freq_hz")
            await b.eval("document.querySelector('#curve circle.hit[data-band=\"bell3\"]').focus()")
            for key in ("ArrowUp", "ArrowUp", "ArrowRight"):
                await b.call("Input.dispatchKeyEvent", b.session, type="keyDown", key=key, code=key,
                             windowsVirtualKeyCode={"ArrowUp": 38, "ArrowRight": 39}[key])
                await b.call("Input.dispatchKeyEvent", b.session, type="keyUp", key=key, code=key,
                             windowsVirtualKeyCode={"ArrowUp": 38, "ArrowRight": 39}[key])
                await asyncio.sleep(0.2)
            for _ in range(100):
                if s.value("eq.bell3_freq_hz") != f3:
                    break
                await asyncio.sleep(0.05)
            assert s.value("eq.bell3_gain_db") == pytest.approx(g3 + 1.0, abs=0.01)
            assert s.value("eq.bell3_freq_hz") == pytest.approx(f3 * 2 ** (1 / 12), rel=0.02)
    asyncio.run(run())
    f, g = s.value("eq.bell2_freq_hz"), s.value("eq.bell2_gain_db")
    step = params.BY_ID["eq.bell2_freq_hz"].step
    assert 2000 / step <= f <= 2000 * step, f
    assert g == pytest.approx(4.0, abs=0.1), g

    def level_db(values):
        t = np.arange(24000) / 48000
        x = np.stack([0.05 * np.sin(2 * np.pi * 2000 * t)] * 2, 1).astype(np.float32)
        y = Chain(48000, values).process(x)[12000:].astype(np.float64)
        return 10 * np.log10(np.mean(y ** 2))
    rise = level_db(s.values) - level_db(dict(s.values, **{"eq.bell2_gain_db": 0.0}))
    print(f"bell 2 at {f:.0f} Hz, {g:+.1f} dB: a 2 kHz tone rises {rise:.2f} dB")
    assert rise == pytest.approx(4.0, abs=0.1)
