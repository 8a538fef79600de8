"""The OSC surface over real UDP sockets on localhost, with python-osc as the
independent implementation of the codec: nothing changes before pairing,
wrong codes wait, every address does what it says on the session (and so
on the chain), a subscriber gets every change at its rate and loses it
without a heartbeat, and garbage is ignored."""
import socket
import time

import numpy as np
import pytest
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

from dsp import params
from firmware.remote.osc import HEARTBEAT_S, OscError, OscServer, decode, encode
from helpers import metered_session


def test_codec_against_python_osc():
    ours = encode("/masterbox/eq/bell2_gain_db", -2.5, 3, "side", True, False)
    m = OscMessage(ours)
    assert m.address == "/masterbox/eq/bell2_gain_db"
    assert m.params == [-2.5, 3, "side", True, False]
    b = OscMessageBuilder("/masterbox/x")
    for v in (1.25, 7, "mid"):
        b.add_arg(v)
    b.add_arg(2.0 ** 40, "d")
    b.add_arg(b"\x01\x02\x03", "b")
    assert decode(b.build().dgram) == [("/masterbox/x", [1.25, 7, "mid", 2.0 ** 40, b"\x01\x02\x03"])]
    bundle = OscBundleBuilder(IMMEDIATELY)
    for i in range(3):
        mb = OscMessageBuilder(f"/masterbox/n{i}")
        mb.add_arg(i)
        bundle.add_content(mb.build())
    assert decode(bundle.build().dgram) == [(f"/masterbox/n{i}", [i]) for i in range(3)]
    assert decode(encode("/masterbox/undo")) == [("/masterbox/undo", [])]
    for junk in (b"", b"no slash\0\0\0\0", b"/a\0\0,i\0\0\0", b"#bundle\0" + b"\0" * 8 + b"\0\0\1\0"):
        with pytest.raises(OscError):
            decode(junk)


class Clock:
    """Real time, and a jump forward when a test says so."""

    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return time.monotonic() + self.t


@pytest.fixture
def rig():
    s, meter = metered_session("default", 1.0)
    clock = Clock()
    srv = OscServer(s, "127.0.0.1", 0, meter=meter, clock=clock).start()
    cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    cli.bind(("127.0.0.1", 0))
    cli.settimeout(2.0)
    yield s, srv, cli, clock
    cli.close()
    srv.close()


def send(cli, srv, address, *args):
    cli.sendto(encode(address, *args), ("127.0.0.1", srv.port))


def reply(cli):
    data, _ = cli.recvfrom(65536)
    return decode(data)[0]


def test_nothing_changes_before_pairing_and_wrong_codes_wait(rig):
    s, srv, cli, clock = rig
    rev = s.revision
    send(cli, srv, "/masterbox/eq/bell2_gain_db", -3.0)
    addr, args = reply(cli)
    assert addr == "/masterbox/error" and "not paired" in args[0]
    for addr_ in ("/masterbox/undo", "/masterbox/compare", "/masterbox/snapshot/recall"):
        send(cli, srv, addr_, 1)
        assert reply(cli)[0] == "/masterbox/error"
    assert s.revision == rev                           # nothing changed
    send(cli, srv, "/masterbox/eq/bell2_gain_db")      # reading is allowed
    assert reply(cli) == ("/masterbox/eq/bell2_gain_db", [pytest.approx(s.value("eq.bell2_gain_db"))])
    wrong = "x" + srv.code
    for _ in range(3):
        send(cli, srv, "/masterbox/pair", wrong)
        assert reply(cli)[1] == ["wrong pairing code"]
    send(cli, srv, "/masterbox/pair", srv.code)        # even the right code waits now
    assert "wait" in reply(cli)[1][0]
    clock.t += 11.0
    send(cli, srv, "/masterbox/pair", srv.code)
    assert reply(cli) == ("/masterbox/paired", [1])
    send(cli, srv, "/masterbox/eq/bell2_gain_db", -3.0)
    send(cli, srv, "/masterbox/eq/bell2_gain_db")
    assert reply(cli) == ("/masterbox/eq/bell2_gain_db", [-3.0])
    assert s.value("eq.bell2_gain_db") == -3.0 and s.sink.values["eq.bell2_gain_db"] == -3.0


def paired(rig):
    s, srv, cli, clock = rig
    send(cli, srv, "/masterbox/pair", srv.code)
    assert reply(cli) == ("/masterbox/paired", [1])
    return s, srv, cli, clock


def settle(srv):
    time.sleep(0.15)                                  # the server's thread takes the messages


def test_every_address_does_what_it_says(rig):
    s, srv, cli, clock = paired(rig)
    send(cli, srv, "/masterbox/glue/ratio", 3)         # an int where a float is meant
    send(cli, srv, "/masterbox/snapshot/store", 0)
    send(cli, srv, "/masterbox/glue/ratio", 4.0)
    send(cli, srv, "/masterbox/snapshot/store", 1)
    send(cli, srv, "/masterbox/snapshot/recall", 0)
    settle(srv)
    assert s.value("glue.ratio") == 3.0 and s.listening[0] == "matched"
    send(cli, srv, "/masterbox/snapshot/mode", "perform", 300)
    send(cli, srv, "/masterbox/snapshot/recall", 1)
    settle(srv)
    assert s.recall_mode == ("perform", 300.0) and s.value("glue.ratio") == 4.0
    assert s.listening[0] == "processed"                  # a perform recall is heard as stored
    send(cli, srv, "/masterbox/snapshot/mode", "perform", 20)
    assert "recall_mode: morph_ms (the morph time of a perform recall, ms) 20 is out of range: use 50..500" in reply(cli)[1][0]
    send(cli, srv, "/masterbox/snapshot/mode", "compare")
    send(cli, srv, "/masterbox/snapshot/recall", 0)
    settle(srv)
    assert s.recall_mode == ("compare", 300.0) and s.listening[0] == "matched"
    send(cli, srv, "/masterbox/compare", 1)
    settle(srv)
    assert s.listening[0] == "bypass" and s.sink.monitor[0] == "bypass"
    send(cli, srv, "/masterbox/listen", "side")
    settle(srv)
    assert s.solo == "side" and s.sink.solo == "side"
    send(cli, srv, "/masterbox/undo")
    settle(srv)
    assert s.value("glue.ratio") == 4.0
    send(cli, srv, "/masterbox/redo")
    settle(srv)
    assert s.value("glue.ratio") == 3.0
    # bad values: one error line naming the range, nothing changed
    send(cli, srv, "/masterbox/glue/ratio", 99.0)
    addr, args = reply(cli)
    assert addr == "/masterbox/error" and "1" in args[0] and "20" in args[0]
    send(cli, srv, "/masterbox/nonsense/thing", 1.0)
    assert reply(cli)[0] == "/masterbox/error"
    assert s.value("glue.ratio") == 3.0
    # garbage is ignored and the surface goes on
    cli.sendto(b"\xff\x00garbage", ("127.0.0.1", srv.port))
    send(cli, srv, "/masterbox/glue/ratio")
    assert reply(cli) == ("/masterbox/glue/ratio", [3.0])
    assert srv.errors >= 1


def test_a_subscriber_gets_every_change_at_its_rate(rig):
    s, srv, cli, clock = paired(rig)
    sub = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sub.bind(("127.0.0.1", 0))
    sub.settimeout(0.5)
    send(cli, srv, "/masterbox/subscribe", sub.getsockname()[1], 30.0)
    settle(srv)
    got = {}

    def drain(seconds):
        t_end = time.monotonic() + seconds
        while time.monotonic() < t_end:
            try:
                data, _ = sub.recvfrom(65536)
            except socket.timeout:
                continue
            for a, args in decode(data):
                got.setdefault(a, []).append(args[0])
    drain(0.3)
    values = [a for a in got if not a.startswith("/masterbox/meters")]
    assert len(values) == len(params.defaults())      # a new subscriber gets everything first
    assert "/masterbox/meters/short_term_lufs" in got
    got.clear()
    for v in np.arange(-4.0, 0.5, 0.5):                # the panel turns a knob
        s.apply({"eq.bell1_gain_db": float(v)}, "panel", gesture="eq.bell1_gain_db")
    drain(0.5)
    assert got["/masterbox/eq/bell1_gain_db"][-1] == 0.0     # the last value, whatever was coalesced
    meters = got["/masterbox/meters/short_term_lufs"]
    assert 5 <= len(meters) <= 0.5 * 30 + 3            # at most 30 Hz
    clock.t += HEARTBEAT_S + 1                          # no heartbeat: the subscription ends
    drain(0.2)
    got.clear()
    s.apply({"eq.bell1_gain_db": -1.0}, "panel")
    drain(0.3)
    assert got == {}
    sub.close()


@pytest.mark.long
def test_osc_moves_the_sound_of_the_running_box(tmp_path):
    """The laptop mode with OSC on (from its config): before pairing a move is
    refused and the recording stays as it was; after pairing, an output trim
    of -12 dB sent over UDP shows in the recording as 12 dB less."""
    import os
    import subprocess
    import sys

    import soundfile as sf

    exe = os.path.join(os.path.dirname(sys.executable), "masterbox")
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'osc_port = {port}\nremote_password = "4711"\n')
    rec = tmp_path / "rec.wav"
    env = dict(os.environ)
    p = subprocess.Popen([exe, "run", "--sim", "--no-sound", "--record", str(rec), "--seconds", "9",
                          "--preset", "neutral", "--config", str(cfg), "--state-dir", str(tmp_path / "st")],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    cli.bind(("127.0.0.1", 0))
    cli.settimeout(1.0)

    class Srv:
        pass
    srv = Srv()
    srv.port = port
    try:
        t_end = time.monotonic() + 60
        while True:                                  # until the box answers
            send(cli, srv, "/masterbox/output/trim_db", -12.0)
            try:
                addr, args = reply(cli)
                break
            except socket.timeout:
                assert time.monotonic() < t_end and p.poll() is None, p.stderr.read()
        assert addr == "/masterbox/error" and "not paired" in args[0]
        t_start = time.monotonic()
        time.sleep(1.5)
        send(cli, srv, "/masterbox/pair", "4711")
        assert reply(cli) == ("/masterbox/paired", [1])
        send(cli, srv, "/masterbox/output/trim_db", -12.0)
        t_move = time.monotonic() - t_start
        send(cli, srv, "/masterbox/output/trim_db")
        assert reply(cli) == ("/masterbox/output/trim_db", [-12.0])
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    finally:
        cli.close()
        if p.poll() is None:
            p.kill()
    y, fs = sf.read(rec)
    # the recording runs from the box's start; compare a second well before
    # the pairing with the last second (well after the move)
    level = lambda a: 10 * np.log10(np.mean(a ** 2))  # noqa: E731
    before, after = y[fs // 2:3 * fs // 2], y[-fs:]
    assert t_move < len(y) / fs - 1.5
    assert level(after) - level(before) == pytest.approx(-12.0, abs=1.5)


def test_the_remote_page_shows_the_code_and_who_is_there(rig):
    from firmware.control import Controller
    from ui.screens import render

    s, srv, cli, clock = paired(rig)
    ctl = Controller(s)
    ctl.remote.append(srv)
    ctl.nav.open_item(ctl.nav.items.index("Remote"))
    screen = ctl.screen(0.0)
    assert screen.body.code == srv.code
    assert screen.body.lines == [f"OSC on port {srv.port}", "1 paired, 0 subscribed"]
    render(screen)
