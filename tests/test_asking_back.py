"""Words that ask back: "bigger", "fuller", "more energy", "better" and "more
professional" are answered with their concrete readings, each already
proposed, and nothing becomes a ghost (nor a value) until a hand chooses
one: on the command line (--say lists, --reading N proposes), on the panel
(the readings page, encoder 1's push chooses) and on the page (ask, then
choose). Each reading of "bigger", rendered, moves the drum loop the way
its line says."""
import asyncio
import json
import time

import numpy as np
import pytest
import soundfile as sf

from dsp.chain import Chain
from firmware.assistant.ask import offered, readings
from firmware.assistant.words import VAGUE, WORDS
from firmware.cli import main
from firmware.control import Controller
from firmware.remote.web import WebServer
from firmware.session import Session
from firmware.store import presets
from test_web import next_of, on_page
from test_words import DIRECTION, FS, drum_loop, render
from ui.actions import Action
from ui.screens import render as draw

LOOP_S = 12


@pytest.fixture(scope="module")
def loop():
    return drum_loop(LOOP_S)


def test_every_reading_is_a_word_the_direction_test_measures():
    for word, rs in VAGUE.items():
        assert 2 <= len(rs) <= 4, word
        assert word not in WORDS
        for r in rs:
            assert r.word in WORDS and r.word in DIRECTION, (word, r.word)
            assert r.says and len(r.says) <= 80


def test_each_reading_of_bigger_moves_the_loop_as_its_line_says(loop):
    base = presets.load("default")
    offers = readings("bigger", loop, FS, base, amount=100)
    assert [o.reading for o in offers] == list(VAGUE["bigger"])
    y0 = render(base, loop)
    for o in offers:
        y1 = render(o.proposal.values(base), loop)
        measure = DIRECTION[o.reading.word]
        assert measure(y1) - measure(y0) > 0.2, (o.reading.says, measure(y1) - measure(y0))


def test_the_command_line_lists_the_readings_and_writes_nothing(loop, tmp_path, capsys):
    src = tmp_path / "loop.wav"
    sf.write(src, loop, FS)
    assert main(["assist", str(src), "--say", "bigger", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["word"] == "bigger"
    assert [r["says"] for r in got["readings"]] == [r.says for r in VAGUE["bigger"]]
    assert all(r["proposals"] for r in got["readings"])        # each one ready to audition
    assert main(["assist", str(src), "--say", "bigger"]) == 0
    text = capsys.readouterr().out
    assert "choose with --reading N" in text and "4. more punch" in text
    assert main(["assist", str(src), "--say", "bigger", "--reading", "2", "--json"]) == 0
    moves = {m["param"] for m in json.loads(capsys.readouterr().out)["proposals"]}
    assert "stereo.width_pct" in moves and "limiter.drive_db" not in moves
    for bad, needle in ((["--reading", "5"], "readings 1..4"),
                        (["--say", "fuller"], "at a time"),
                        (["--write-preset", str(tmp_path / "p.toml")], "choose a reading")):
        assert main(["assist", str(src), "--say", "bigger", *bad]) == 2
        assert needle in capsys.readouterr().err
    assert main(["assist", str(src), "--say", "warmer", "--reading", "1"]) == 2
    assert "no word that asks back" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loop.wav"]


def test_the_session_offers_readings_and_a_choice_makes_the_ghosts():
    s = Session(Chain(FS, presets.load("default")))
    seen = []
    s.subscribe(lambda ch: seen.append((ch.kind, ch.detail)))
    before = s.values
    s.propose([("eq.bell1_gain_db", 1.0, "old")], "assistant")
    s.offer_readings("bigger", [("wider", "wider", [("stereo.width_pct", 110.0, "w")]),
                                ("louder", "louder", [("limiter.drive_db", 8.0, "l")])])
    assert s.ghosts == {} and s.values == before           # the old proposal went; nothing new yet
    assert s.state()["readings"] == {"word": "bigger", "items": [
        {"word": "wider", "says": "wider", "moves": 1}, {"word": "louder", "says": "louder", "moves": 1}]}
    s.choose_reading(1, "page")
    assert s.ghosts == {"limiter.drive_db": (8.0, "l")} and s.readings is None
    assert s.values == before
    with pytest.raises(Exception, match="no readings on offer"):
        s.choose_reading(0, "page")
    s.offer_readings("bigger", [("wider", "wider", [("stereo.width_pct", 110.0, "w")])])
    with pytest.raises(Exception, match="readings 1..1"):
        s.choose_reading(3, "page")
    s.reject(None, "page")
    assert s.readings is None and s.state()["readings"] is None
    assert ("proposal", {"readings": 2, "word": "bigger"}) in seen


def _wait(ctl):
    t_end = time.monotonic() + 120
    while ctl.assistant.busy and time.monotonic() < t_end:
        time.sleep(0.05)
    ctl.tick(time.monotonic())
    assert not ctl.assistant.busy


def test_the_panel_asks_back_and_encoder_one_chooses(loop):
    c = Chain(FS, presets.load("default"))
    s = Session(c)
    ctl = Controller(s, capture=lambda: (loop, FS))
    ctl.nav.page = "assist"
    ctl.nav.assist_cursor = ctl.assistant.items().index("bigger")
    ctl.screen(0.0)
    before = s.values
    ctl.handle(Action("enc1", "press"), 0.0)
    _wait(ctl)
    assert ctl.nav.page == "proposals" and s.ghosts == {} and s.values == before
    view = ctl.screen(1.0)
    assert view.body.asking == "bigger" and [r[1] for r in view.body.rows] == [
        r.word for r in VAGUE["bigger"]]
    assert view.body.reason == VAGUE["bigger"][0].says
    img = np.asarray(draw(view).convert("1"))
    assert img[:10].any()                                   # the title is drawn
    ctl.handle(Action("enc1", "turn", 1), 1.0)              # to "wider"
    assert ctl.screen(1.1).body.reason == VAGUE["bigger"][1].says
    ctl.handle(Action("enc1", "press"), 1.2)
    assert s.readings is None and "stereo.width_pct" in s.ghosts
    assert s.values == before and c.values == before        # a ghost, not a value


def test_the_page_asks_back_and_chooses(loop):
    s = Session(Chain(FS, presets.load("default")))
    ctl = Controller(s, capture=lambda: (loop, FS))
    srv = WebServer(s, "127.0.0.1", 0, code="314159", assistant=ctl.assistant).start()

    async def run(ws):
        await next_of(ws, "snapshot")
        await ws.send_json({"type": "pair", "code": "314159"})
        await next_of(ws, "paired")
        await ws.send_json({"type": "ask", "what": "louder please"})
        assert "not something the assistant can be asked" in (await next_of(ws, "error"))["text"]
        await ws.send_json({"type": "ask", "what": "more energy"})
        while True:
            ch = await next_of(ws, "change", timeout=120)
            if ch["state"]["readings"]:
                break
        assert [r["word"] for r in ch["state"]["readings"]["items"]] == [
            r.word for r in VAGUE["more energy"]]
        assert ch["state"]["proposal"] == {}
        await ws.send_json({"type": "choose", "reading": 2})
        ch = await next_of(ws, "change")
        assert ch["state"]["readings"] is None and ch["state"]["proposal"]
        await asyncio.sleep(0)
    on_page(srv, run)
    assert s.ghosts and s.values == presets.load("default")


def test_offered_keeps_each_readings_moves(loop):
    offers = readings("fuller", loop, FS, presets.load("default"), amount=50)
    rows = offered(offers)
    assert [r[0] for r in rows] == [r.word for r in VAGUE["fuller"]]
    for (_, _, moves), o in zip(rows, offers):
        assert moves == [(m.param, m.new, m.reason) for m in o.proposal.moves]


def test_a_browser_shows_the_readings_and_a_profiles_position(loop):
    from firmware.assistant import bands, ranges
    from firmware.lab.browser import Browser

    s = Session(Chain(FS, presets.load("default")))
    srv = WebServer(s, "127.0.0.1", 0, code="314159").start()
    prof = ranges.find("bass-heavy")
    pos = ranges.position(bands.read(loop, FS), prof)

    async def run():
        async with Browser() as b:
            await b.open(f"http://127.0.0.1:{srv.port}/")
            await b.wait("document.getElementById('in-output.trim_db') !== null")
            await b.eval("document.getElementById('code').value = '314159';"
                         "document.getElementById('pair').requestSubmit()")
            await b.wait("!document.getElementById('in-output.trim_db').disabled")
            s.offer_readings("bigger", [("wider", "wider: more side", [("stereo.width_pct", 110.0, "w")]),
                                        ("louder", "louder: more level", [("limiter.drive_db", 8.0, "l")])])
            await b.wait("document.getElementById('readings').textContent.includes('2. louder')")
            await b.eval("document.querySelector('[data-choose=\"2\"]').click()")
            await b.wait("document.getElementById('plist').textContent.includes('limiter.drive_db')")
            assert s.ghosts == {"limiter.drive_db": (8.0, "l")} and s.readings is None
            s.propose([("eq.low_shelf_gain_db", -2.0, "r")], "assistant",
                      info={"profile_position": {"before": pos, "after": pos}})
            await b.wait("document.querySelectorAll('table.position td').length === 27")
            cls = await b.eval("[...document.querySelectorAll('table.position tr:nth-child(2) td')]"
                               ".map(td => td.className).join(' ')")
            assert cls.split() == [r["where"] for r in pos["mid_db"]]
    try:
        asyncio.run(run())
    finally:
        srv.close()
