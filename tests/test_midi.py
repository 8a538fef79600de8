"""MIDI: the parser on raw bytes (running status, real-time bytes inside
messages, sysex, garbage), NRPN bursts with their null, 14-bit pairs,
relative encoders in both encodings, soft takeover, program changes, learn,
feedback; and a real port: a JACK MIDI client on the tests' dummy server
driving the box's session, with every change coming back."""
import shutil
import time

import numpy as np
import pytest

from dsp import params
from dsp.chain import Chain
from firmware.control import Controller
from firmware.remote.midi import (MidiSurface, Nrpn, Parser, _nrpn_bytes, nrpn_number,
                                  relative)
from firmware.session import Session
from firmware.store import presets
from helpers import jackd_dummy
from ui.actions import Action


def test_nrpn_numbers_stay_where_controllers_learned_them():
    """Numbers written down in docs/midi-map.md before the dynamic EQ and
    de-esser came (blocks per module): a module added later takes a new
    block and moves nothing. Every parameter has one number, and back."""
    from dsp import params
    from firmware.remote.midi import pid_of_nrpn
    assert nrpn_number("input.on") == 0
    assert nrpn_number("glue.ratio") == (2 << 7) | 2
    assert nrpn_number("glue.up_on") == (2 << 7) | 11
    assert nrpn_number("limiter.ceiling_dbtp") >> 7 == 7
    numbers = {nrpn_number(p.id) for p in params.SCHEMA}
    assert len(numbers) == len(params.SCHEMA)
    assert all(pid_of_nrpn(nrpn_number(p.id)) == p.id for p in params.SCHEMA)
    assert pid_of_nrpn(127) is None and pid_of_nrpn(40 << 7) is None


def test_parser_running_status_realtime_sysex_and_garbage():
    p = Parser()
    data = bytes([0x42, 0x11,                       # stray data bytes: nothing to belong to
                  0xB2, 7, 100, 8, 0xF8, 90,        # CC 7 = 100, running status CC 8 = 90, a clock inside
                  0xF0, 1, 2, 3, 0xF7,              # sysex: skipped
                  0xC1, 5, 6,                       # program 5, running status program 6
                  0x92, 60, 100])
    assert p.feed(data) == [("cc", 2, 7, 100), ("cc", 2, 8, 90), ("pc", 1, 5, 0), ("pc", 1, 6, 0),
                            ("note", 2, 60, 100)]
    assert p.garbage == 2
    # a message split across two reads
    assert p.feed(bytes([0xB0, 1])) == [] and p.feed(bytes([64])) == [("cc", 0, 1, 64)]


def test_nrpn_bursts_and_their_null():
    n = Nrpn()
    assert n.cc(0, 6, 10) is None                   # data before a parameter: ignored
    n.cc(0, 99, 1)
    n.cc(0, 98, 2)
    assert n.cc(0, 6, 64) == ("set", 130, 64 << 7)
    assert n.cc(0, 38, 5) == ("set", 130, 64 << 7 | 5)
    assert n.cc(0, 96, 0) == ("step", 130, 1) and n.cc(0, 97, 0) == ("step", 130, -1)
    n.cc(0, 101, 127)
    n.cc(0, 100, 127)
    assert n.cc(0, 6, 1) is None                    # after the null: no parameter


def test_relative_encodings():
    assert [relative(v, "rel2c") for v in (1, 3, 127, 125, 64)] == [1, 3, -1, -3, -64]
    assert [relative(v, "rel64") for v in (65, 67, 63, 61)] == [1, 3, -1, -3]


@pytest.fixture
def surface():
    s = Session(Chain(48000, presets.load("default")))
    ctl = Controller(s)
    sent = []
    m = MidiSurface(s, send=sent.append, act=lambda a: ctl.handle(a, time.monotonic()), clock=lambda: 1e9)
    return s, m, ctl, sent


def nrpn_set(pid, value, ch=0):
    f = params.get(pid).fraction(value)
    return _nrpn_bytes(ch, nrpn_number(pid), round(f * 16383))


def test_nrpn_is_fine_and_picks_up(surface):
    s, m, ctl, sent = surface
    pid = "eq.bell2_gain_db"
    cur = s.value(pid)
    m.receive(nrpn_set(pid, 6.0))                   # far from the box's value: not picked up
    assert s.value(pid) == cur
    m.receive(nrpn_set(pid, cur))                   # at the box's value: taken
    m.receive(nrpn_set(pid, cur + 0.01))            # 14 bits: a hundredth of a dB moves it
    assert s.value(pid) == pytest.approx(cur + 0.01, abs=0.002)
    m.receive(nrpn_set(pid, -2.5))
    assert s.value(pid) == pytest.approx(-2.5, abs=0.002)
    s.apply({pid: 3.0}, "panel")                    # another hand moves it: pick up again
    m.receive(nrpn_set(pid, -2.4))
    assert s.value(pid) == 3.0


def test_relative_encoders_and_buttons_are_the_panels(surface):
    s, m, ctl, sent = surface
    ctl.nav.open_module("glue")
    pid = ctl.nav.params()[0]
    before = s.value(pid)
    m.receive(bytes([0xB0, 21, 1, 21, 1]))          # encoder 1 up twice (running status)
    assert s.value(pid) == params.get(pid).stepped(params.get(pid).stepped(before, 1), 1)
    m.receive(bytes([0xB0, 26, 127]))               # the compare button
    assert s.listening[0] == "bypass"


def test_program_change_recalls_snapshots(surface):
    s, m, ctl, sent = surface
    s.apply({"glue.ratio": 3.0}, "panel")
    s.store(2, "panel")
    s.apply({"glue.ratio": 5.0}, "panel")
    m.receive(bytes([0xC0, 2]))
    assert s.value("glue.ratio") == 3.0 and s.active_slot == 2


def test_learn_goes_through_the_session_and_autosave_sees_it(surface, tmp_path):
    """A learnt binding is a revision like any change: subscribers (autosave
    among them) are told at once, not at the next unrelated move."""
    from firmware.store.autosave import Autosaver
    from firmware.store.state import StateStore

    s, m, ctl, sent = surface
    seen = []
    s.subscribe(seen.append)
    saver = Autosaver(s, StateStore(str(tmp_path)), quiet_s=0.0, min_interval_s=0.0)
    rev = s.revision
    m.learn("glue.ratio")
    m.receive(bytes([0xB2, 71, 10]))
    assert s.revision == rev + 1 and seen[-1].kind == "bindings" and seen[-1].source == "midi"
    assert seen[-1].detail == {"bound": ["cc:2:71"]}
    assert s.state()["bindings"]["cc:2:71"] == {"param": "glue.ratio", "mode": "abs"}
    with pytest.raises(TypeError):
        s.bindings["cc:9:9"] = {"param": "glue.ratio", "mode": "abs"}      # read-only view
    saver.close()                                   # writes what is unsaved, at once
    assert saver.saves >= 1
    assert StateStore(str(tmp_path)).load().state["bindings"]["cc:2:71"]["param"] == "glue.ratio"


def test_learn_binds_the_next_control_and_it_persists(surface):
    s, m, ctl, sent = surface
    ctl.nav.open_module("limiter")
    ids = ctl.nav.params()
    k = ids.index("limiter.drive_db")
    ctl.handle(Action(f"enc{k + 1}", "double"), 0.0)   # learn from the panel
    assert ctl.midi_learning == "limiter.drive_db"
    m.learn(ctl.midi_learning)
    m.receive(bytes([0xB5, 70, 0]))                 # the knob the engineer moves
    assert s.bindings["cc:5:70"] == {"param": "limiter.drive_db", "mode": "abs"}
    assert "CC" in m.learned.upper() or "cc" in m.learned
    m.receive(bytes([0xB5, 70, 64]))                # far from the box's 6 dB: not picked up
    assert s.value("limiter.drive_db") == 6.0
    m.receive(bytes([0xB5, 70, 32, 70, 64]))        # through the box's value, then half way up
    assert s.value("limiter.drive_db") == pytest.approx(fraction_value_of("limiter.drive_db", 64 / 127))
    restored = Session(Chain(48000))
    restored.restore(s.state())
    assert restored.bindings == s.bindings


def fraction_value_of(pid, f):
    from firmware.remote.midi import fraction_value
    return fraction_value(pid, f)


def test_fourteen_bit_pairs_and_feedback(surface):
    s, m, ctl, sent = surface
    s.bind({"cc:0:16": {"param": "output.trim_db", "mode": "abs14"}}, "test")
    m.receive(bytes([0xB0, 16, 127, 0xB0, 48, 127]))     # at the top: the box's 0 dB, picked up
    v = (100 << 7) | 33
    m.receive(bytes([0xB0, 16, 100, 48, 33]))
    assert s.value("output.trim_db") == pytest.approx(fraction_value_of("output.trim_db", v / 16383),
                                                      abs=1e-6)
    s.apply({"output.trim_db": -6.0, "glue.ratio": 2.0}, "panel")
    m.flush()
    out = Parser().feed(b"".join(sent))
    f = params.get("output.trim_db").fraction(-6.0)
    assert ("cc", 0, 16, round(f * 16383) >> 7) in out and ("cc", 0, 48, round(f * 16383) & 127) in out
    n = nrpn_number("glue.ratio")
    assert ("cc", 0, 99, n >> 7) in out and ("cc", 0, 98, n & 127) in out


@pytest.mark.skipif(shutil.which("jackd") is None, reason="jackd not installed (make test installs jackd2)")
def test_a_real_jack_midi_port_drives_the_session():
    import jack

    from firmware.remote.midi_ports import JackMidiPort

    with jackd_dummy() as server:
        s = Session(Chain(48000, presets.load("default")))
        m = MidiSurface(s)
        port = JackMidiPort(m, "masterbox-midi", server)
        peer = jack.Client("controller", servername=server, no_start_server=True)
        out = peer.midi_outports.register("out")
        inp = peer.midi_inports.register("in")
        pending, heard = [], []

        @peer.set_process_callback
        def process(frames):
            out.clear_buffer()
            while pending:
                out.write_midi_event(0, pending.pop(0))
            for _o, data in inp.incoming_midi_events():
                heard.append(bytes(data))
        peer.activate()
        peer.connect(out, "masterbox-midi:in")
        peer.connect("masterbox-midi:out", inp)
        pid = "eq.bell1_gain_db"
        targets = np.round(np.linspace(0.0, -3.0, 200), 3)
        for v in targets:                             # a knob sweep as NRPN bursts
            msg = nrpn_set(pid, float(v))
            pending.extend(msg[i:i + 3] for i in range(0, len(msg), 3))
            time.sleep(0.002)
        t_end = time.monotonic() + 10
        while time.monotonic() < t_end and abs(s.value(pid) - targets[-1]) > 0.002:
            time.sleep(0.01)
        assert s.value(pid) == pytest.approx(targets[-1], abs=0.002)   # the last value sent
        s.apply({"glue.ratio": 2.5}, "panel")
        t_end = time.monotonic() + 5
        n = nrpn_number("glue.ratio")
        while time.monotonic() < t_end:
            got = Parser().feed(b"".join(heard))
            if ("cc", 0, 98, n & 127) in got:
                break
            time.sleep(0.01)
        assert ("cc", 0, 98, n & 127) in Parser().feed(b"".join(heard))   # the change came back
        peer.deactivate()
        peer.close()
        port.close()
        m.close()


def test_the_rawmidi_transport_reads_and_writes_the_device_file():
    """RawMidiPort on a pseudo-terminal, which reads and writes like an ALSA
    rawmidi device file (the box's /dev/snd/midiCxDy is not on this machine)."""
    import os
    import tty

    from firmware.remote.midi_ports import RawMidiPort

    master, slave = os.openpty()
    tty.setraw(slave)
    s = Session(Chain(48000, presets.load("default")))
    m = MidiSurface(s)
    port = RawMidiPort(os.ttyname(slave), m)
    try:
        s.store(1, "panel")
        s.apply({"glue.ratio": 6.0}, "panel")
        os.write(master, bytes([0xC0, 1]))                  # program change: snapshot B
        t_end = time.monotonic() + 5
        while time.monotonic() < t_end and s.value("glue.ratio") == 6.0:
            time.sleep(0.01)
        assert s.active_slot == 1 and s.value("glue.ratio") != 6.0
        s.apply({"eq.bell3_gain_db": 1.5}, "panel")          # feedback comes out of the file
        got = b""
        t_end = time.monotonic() + 5
        n = nrpn_number("eq.bell3_gain_db")
        while time.monotonic() < t_end and ("cc", 0, 98, n & 127) not in Parser().feed(got):
            try:
                got += os.read(master, 4096)
            except BlockingIOError:
                time.sleep(0.01)
        assert ("cc", 0, 98, n & 127) in Parser().feed(got)
    finally:
        port.close()
        m.close()
        os.close(master)
        os.close(slave)


def test_the_documented_map_is_the_generated_one():
    import os

    from firmware.cli.info import midi_map
    with open(os.path.join(os.path.dirname(__file__), "..", "docs", "midi-map.md")) as f:
        assert f.read() == midi_map(), "regenerate: masterbox params --midi-map > docs/midi-map.md"


def test_a_map_file_binds_controls_and_bad_ones_say_why(tmp_path):
    from firmware.errors import UserError
    from firmware.remote.midi import load_map

    good = tmp_path / "map.toml"
    good.write_text('[[binding]]\nchannel = 2\ncc = 70\nparam = "limiter.drive_db"\n\n'
                    '[[binding]]\ncc = 16\nmode = "abs14"\nparam = "output.trim_db"\n\n'
                    '[[binding]]\nchannel = 16\nnrpn = 300\nparam = "glue.ratio"\n')
    assert load_map(str(good)) == {
        "cc:1:70": {"param": "limiter.drive_db", "mode": "abs"},
        "cc:0:16": {"param": "output.trim_db", "mode": "abs14"},
        "nrpn:15:300": {"param": "glue.ratio", "mode": "nrpn"}}
    for text, says in (('[[binding]]\ncc = 70\nparam = "nope.x"\n', "unknown parameter"),
                       ('[[binding]]\nchannel = 17\ncc = 1\nparam = "glue.ratio"\n', "1..16"),
                       ('[[binding]]\ncc = 200\nparam = "glue.ratio"\n', "0..127"),
                       ('[[binding]]\ncc = 40\nmode = "abs14"\nparam = "glue.ratio"\n', "0..31"),
                       ('[[binding]]\nparam = "glue.ratio"\n', "one of cc"),
                       ('[[binding]]\ncc = 1\nmode = "log"\nparam = "glue.ratio"\n', "mode"),
                       ('[mapping]\n', "unknown key"), ("not toml [", "MIDI map")):
        bad = tmp_path / "bad.toml"
        bad.write_text(text)
        with pytest.raises(UserError, match=says) as e:
            load_map(str(bad))
        assert "\n" not in str(e.value)


def test_pick_up_when_the_knob_passes_the_value(surface):
    s, m, ctl, sent = surface
    s.bind({"cc:0:30": {"param": "glue.threshold_db", "mode": "abs"}}, "test")   # -40..0
    cur = s.value("glue.threshold_db")
    assert -36 < cur < -12
    m.receive(bytes([0xB0, 30, 10]))                  # far below: nothing
    assert s.value("glue.threshold_db") == cur
    m.receive(bytes([0xB0, 30, 90]))                  # a fast turn jumps over it: taken
    assert s.value("glue.threshold_db") == pytest.approx(-40 + 40 * 90 / 127)
