"""The live codec preview (issue #31): the processed output encoded and
decoded by ffmpeg on a worker while the chain plays, heard half a second
late. Against independent calculations: ffmpeg's own encode to a file and
decode of it (the decoded ring), the processed output minus that (the
difference view), a cross-correlation (the stated delay), `check`'s lossy
true peak on the rendered file (the live meter), the full-band reference
meter (the ceiling); then every surface, and that it stays off the record.
The chain is played at real-time pace so the worker keeps up as on the box."""
import os
import re
import subprocess
import time

import numpy as np
import pytest
import soundfile as sf

from dsp.chain import Chain
from dsp.codec_ring import BLOCK
from firmware.codec_preview import find
from firmware.offline import demo
from firmware.offline.codecs import decoded_true_peak
from firmware.session import Session
from firmware.store import presets
from helpers import true_peak_fullband_db

FS = 48000
VALUES = dict(presets.load("default"), **{"limiter.drive_db": 18.0})


def paced(chain, x, block=512, each=None):
    """x through the chain at real-time pace (the audio thread's), in blocks."""
    out = np.empty_like(x)
    t0 = time.monotonic()
    for i in range(0, len(x), block):
        out[i:i + block] = chain.process(x[i:i + block])
        if each is not None:
            each(i + block)
        ahead = t0 + (i + block) / FS - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    return out


def lag(a: np.ndarray, b: np.ndarray, most: int) -> int:
    """The k in 0..most for which b[k:] best matches a (cross-correlation)."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    size = 1 << (len(a) + len(b)).bit_length()
    xc = np.fft.irfft(np.fft.rfft(b, size) * np.conj(np.fft.rfft(a, size)), size)
    return int(np.argmax(xc[:most + 1]))


def ffmpeg_file_round_trip(x: np.ndarray, codec, folder) -> np.ndarray:
    """ffmpeg's own offline encode to a file and decode of it (not the
    preview's pipes): AAC in an .m4a, MP3 in an .mp3."""
    src, enc, dec = (os.path.join(folder, n) for n in ("p.wav", "e." + ("m4a" if codec.name == "aac"
                                                                          else codec.name), "d.wav"))
    sf.write(src, x, FS, subtype="FLOAT")
    q = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    subprocess.run(q + ["-i", src, "-c:a", codec.encoder, "-b:a", f"{codec.kbps}k", enc], check=True)
    subprocess.run(q + ["-i", enc, "-c:a", "pcm_f32le", dec], check=True)
    return sf.read(dec, dtype="float32")[0]


def db(err, ref):
    """The error's energy against the reference's, dB (-inf: identical)."""
    e = np.sum(err.astype(np.float64) ** 2)
    return -np.inf if e == 0 else 10 * np.log10(e / np.sum(ref.astype(np.float64) ** 2))


@pytest.mark.parametrize("name", ["aac", "mp3"])
def test_the_preview_is_the_codec_heard_live(name, tmp_path):
    codec = find(name)
    x = np.concatenate([demo.programme(FS)[:4 * FS], np.zeros((FS, 2))]).astype(np.float32)
    processed = Chain(FS, VALUES).process(x)              # what a render writes
    c = Chain(FS, VALUES, previews=True)
    s = Session(c)
    s.hear_codec(name, "decoded", "test")                 # from the first frame: a0 = 0
    preview = s.codec_preview
    heard = paced(c, x)
    deadline = time.monotonic() + 10
    while preview._decoded < len(x) - 2 * FS // 10 and time.monotonic() < deadline:
        c.process(np.zeros((512, 2), np.float32))         # keep the clock going: ffmpeg flushes
        time.sleep(0.01)
    ring, d = preview.ring, preview.ring.delay
    assert preview.late_frames() == 0 and preview.error is None

    # the ring holds ffmpeg's own offline decode of the same output (the last ~1 s of it)
    ref = ffmpeg_file_round_trip(processed, codec, str(tmp_path))
    a, b = len(x) - 60000, len(x) - 12000
    idx = np.arange(a, b) & (ring.n - 1)
    got = np.stack([ring.dl[idx], ring.dr[idx]], 1)
    k = lag(processed[a:b, 0], ref[a:b + 4000, 0], 4000)  # the file's own alignment
    resid = db(got - ref[a + k:b + k], ref[a + k:b + k])
    print(f"{name}: ring vs ffmpeg's file round trip, aligned by {k}: {resid:.1f} dB")
    assert resid < -60.0

    # heard exactly the stated delay late (within a block)
    measured = lag(processed[FS:3 * FS, 0], heard[FS:3 * FS + 2 * d, 0], 2 * d)
    print(f"{name}: stated delay {d} frames, measured {measured}")
    assert abs(measured - d) <= BLOCK

    # the live true peak is check's figure on the rendered file
    path = str(tmp_path / "render.wav")
    sf.write(path, processed, FS, subtype="FLOAT")
    offline = decoded_true_peak(path, FS, 2, codec)
    print(f"{name}: live {preview.true_peak_dbtp():+.2f} dBTP, check {offline:+.2f} dBTP")
    assert abs(preview.true_peak_dbtp() - offline) <= 0.2

    # heard under the ceiling though the codec overshoots it
    ceiling = VALUES["limiter.ceiling_dbtp"]
    full = true_peak_fullband_db(heard[d + 4 * BLOCK:].astype(np.float64))
    print(f"{name}: decoded {offline:+.2f} dBTP, heard {full:+.3f} dBTP full-band")
    assert full <= ceiling + 0.1

    # the difference view: the processed output minus the decoded, time-aligned
    s.hear_codec(name, "difference", "test")
    at = c.codec_position
    diff_heard = paced(c, np.zeros((6 * FS // 10, 2), np.float32))
    q = np.arange(at + FS // 10, at + 6 * FS // 10)          # after the ~20 ms fade
    j = (q - d) & (ring.n - 1)
    want = np.stack([ring.p[j, ch] - (ring.dl, ring.dr)[ch][j] for ch in range(2)], 1)
    resid = db(diff_heard[q - at] - want, want)
    print(f"{name}: difference view vs output minus decoded: {resid:.1f} dB")
    assert resid < -90.0
    s.hear_codec(None, source="test")
    assert not preview.running and c.monitor[0] == "processed"


def test_without_ffmpeg_the_button_says_so_and_nothing_changes(monkeypatch, tmp_path):
    from firmware.control import Controller
    from ui.actions import Action

    c = Chain(FS, {}, previews=True)
    s = Session(c)
    ctl = Controller(s)
    before = (s.state(), c.monitor)
    monkeypatch.setenv("PATH", str(tmp_path))              # an ffmpeg-less machine, really
    ctl.nav.page = "target"
    ctl.handle(Action("enc4", "turn", 1), 0.0)
    assert "ffmpeg is not installed" in ctl.status and "\n" not in ctl.status
    assert (s.state(), c.monitor) == before and s.codec is None


def test_every_surface_reaches_it_and_it_stays_off_the_record():
    """The target page's encoder 4, MIDI CC 14/15, OSC and the page (the verb);
    a move keeps it; the values, a render and the saved state never carry it."""
    from firmware.control import Controller
    from firmware.remote.midi import MidiSurface
    from firmware.store.state import to_text
    from firmware.verbs import Hands, dispatch
    from ui.actions import Action
    from ui.screens import render

    chain = Chain(FS, presets.load("neutral"), previews=True)
    s = Session(chain)
    plain = s.state()
    ctl = Controller(s)
    ctl.nav.page = "target"
    ctl.handle(Action("enc4", "turn", 1), 0.0)
    assert s.codec == ("aac", "decoded") and chain.monitor[0] == "codec"
    for page in ("meters", "target", "menu"):
        ctl.nav.page = page
        assert ctl.screen(0.0).badge.label.startswith("AAC")
        render(ctl.screen(0.0))
    midi = MidiSurface(s)
    midi.receive(bytes([0xB0, 14, 127]))
    assert s.codec == ("aac", "difference") and chain.monitor[0] == "codec difference"
    midi.receive(bytes([0xB0, 15, 127]))
    assert s.codec == ("aac", "decoded")
    dispatch(Hands(s), "codec", ["mp3"], "osc")
    assert s.codec == ("mp3", "decoded")
    dispatch(Hands(s), "codec", {"name": "mp3", "view": "difference"}, "page")
    assert s.codec == ("mp3", "difference")
    s.apply({"glue.ratio": 2.0}, "panel")                  # a move: still heard through MP3
    assert s.codec == ("mp3", "difference") and s.codec_preview.running
    assert s.values == dict(presets.load("neutral"), **{"glue.ratio": 2.0})
    heard = s.state()
    s.listen("bypass", "test")                             # another source ends it
    assert s.codec is None and chain.monitor[0] == "bypass"

    def doc(state):
        return re.sub(rb'(checksum|saved_at) = "[^"]*"', b"", to_text(state, 1))
    assert doc(heard) == doc(s.state())
    assert plain["values"] == presets.load("neutral")
    with pytest.raises(Exception, match="codec"):
        dispatch(Hands(s), "codec", ["wav"], "osc")
