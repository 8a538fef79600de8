"""One verb table for every surface: arguments checked by name with what is
allowed, old names kept as aliases, the remote reference generated from it,
and a verb added to the table reaches OSC and the page without touching
either (shown with the morph time)."""
import os
import socket
import time

import pytest

from dsp.chain import Chain
from firmware.cli.info import cmd_params
from firmware.errors import UserError
from firmware.remote.osc import OscServer, decode, encode
from firmware.session import Session
from firmware.store import presets
from firmware.verbs import ALIASES, VERBS, Hands, dispatch, reference_markdown

DOCS = os.path.join(os.path.dirname(__file__), "..", "docs")


@pytest.fixture
def hands():
    return Hands(Session(Chain(48000, presets.load("neutral"))))


def test_positional_and_named_arguments_reach_the_same_session_method(hands):
    s = hands.session
    dispatch(hands, "set", ["glue.ratio", 3.0], "osc")
    dispatch(hands, "store", [1], "osc")
    dispatch(hands, "set", {"param": "glue.ratio", "value": 5}, "page")
    dispatch(hands, "recall", {"slot": 1}, "page")
    assert s.value("glue.ratio") == 3.0 and s.active_slot == 1
    dispatch(hands, "solo", ["side"], "osc")
    assert s.solo == "side"
    dispatch(hands, "listen", {"mode": "mono"}, "page")          # the old word, an alias
    assert s.solo == "mono" and ALIASES["listen"] == "solo"
    dispatch(hands, "compare", [1], "osc")
    assert s.listening[0] == "bypass"
    dispatch(hands, "target", ["ebu-r128"], "page")
    assert s.target == "ebu-r128"


@pytest.mark.parametrize("name,args,said", [
    ("recall", [7], "recall: slot (snapshot slot, 0-3 (A-D)) 7 is out of range: use 0..3"),
    ("recall", ["A"], "recall: slot"),
    ("solo", ["loud"], "use stereo, mono, mid, side, delta"),
    ("compare", [2], "compare: on (1 on, 0 off) 2: use 0 or 1"),
    ("set", ["glue.nonsense", 1.0], "set: param"),
    ("set", ["glue.ratio", float("nan")], "set: value"),
    ("morph", [], "morph: missing ms"),
    ("recall", {"slot": 1, "bank": 2}, "recall: unknown argument 'bank'"),
    ("undo", [1], "undo: takes at most 0 argument(s)"),
    ("shout", [], "unknown verb 'shout'"),
])
def test_errors_name_the_verb_the_argument_and_what_is_allowed(hands, name, args, said):
    before = hands.session.revision
    with pytest.raises(UserError) as e:
        dispatch(hands, name, args, "osc")
    assert said in str(e.value)
    assert hands.session.revision == before              # nothing changed


def test_the_remote_reference_is_generated_from_the_table(capsys):
    with open(os.path.join(DOCS, "remote.md")) as f:
        assert f.read() == reference_markdown(), \
            "regenerate: masterbox params --remote > docs/remote.md"
    text = reference_markdown()
    for v in VERBS.values():
        assert f"| `{v.name}`" in text
    class Args:
        midi_map, remote, json = False, True, False
    assert cmd_params(Args()) == 0 and capsys.readouterr().out == text


def test_a_new_verb_reaches_osc_and_the_page_through_the_table():
    """The morph time: one row in firmware/verbs.py over an existing session
    method; OSC and the page dispatch it without a line of their own."""
    from test_web import next_of, on_page

    from firmware.remote.web import WebServer

    s = Session(Chain(48000, presets.load("neutral")))
    osc = OscServer(s, "127.0.0.1", 0, password="2718").start()
    cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    cli.settimeout(2.0)
    try:
        for msg in (encode("/masterbox/pair", "2718"), encode("/masterbox/morph", 300.0)):
            cli.sendto(msg, ("127.0.0.1", osc.port))
            if "pair" in str(msg):
                assert decode(cli.recv(2048))[0][0] == "/masterbox/paired"
        for _ in range(100):
            if s.recall_mode[1] == 300.0:
                break
            time.sleep(0.02)
        assert s.recall_mode == ("compare", 300.0)
    finally:
        osc.close()
        cli.close()
    srv = WebServer(s, "127.0.0.1", 0, code="314159").start()

    async def run(ws):
        await next_of(ws, "snapshot")
        await ws.send_json({"type": "pair", "code": "314159"})
        await next_of(ws, "paired")
        await ws.send_json({"type": "morph", "ms": 450})
        ch = await next_of(ws, "change")
        assert ch["state"]["recall"] == {"mode": "compare", "morph_ms": 450.0}
        await ws.send_str("this is not JSON")
        text = (await next_of(ws, "error"))["text"]
        assert "JSON object" in text and "type" in text and "Expecting value" not in text
        await ws.send_json({"type": "morph", "ms": 5})
        assert "morph: ms" in (await next_of(ws, "error"))["text"]
    on_page(srv, run)
