"""Reference tracks and the ceiling of everything the monitor plays instead of
the processed output. Measured on the chain's output with pyloudnorm (the
loudness match) and a 16x true-peak meter (tests/helpers.py, scipy's upfirdn
on an independent filter): a reference read from a real file is heard within
0.5 LU of the processed programme, switching to it is click-free, and compare,
snapshots and references stay under the limiter's ceiling in true peak.
Bad files are one message each and change nothing."""
import numpy as np
import pyloudnorm as pyln
import pytest
import soundfile as sf
from scipy.signal import butter, sosfilt

from dsp.chain import Chain
from firmware.control import Controller
from firmware.errors import UserError
from firmware.offline import demo
from firmware.references import Shelf, folder_files, load_all
from firmware.session import Session
from firmware.store import presets
from helpers import hf_energy, play, true_peak_db
from ui.actions import KEYMAP, Action
from ui.screens import render

FS = 48000
MB = 64 << 20            # 4 slots of 29 s at 48 kHz


def noise(fs, seconds, band, seed, peak=None, rms=0.1):
    """Stationary band-limited stereo noise."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((int(fs * seconds), 2))
    x = sosfilt(butter(2, band, "bandpass", fs=fs, output="sos"), x, axis=0)
    x *= rms / np.sqrt(np.mean(x ** 2))
    if peak is not None:
        x *= peak / np.max(np.abs(x))
    return x.astype(np.float32)


@pytest.fixture
def hot_reference(tmp_path):
    """A loud, bright commercial-style reference at 44.1 kHz (converted on load)."""
    p = tmp_path / "bright hot master.wav"
    sf.write(p, noise(44100, 12, [300, 12000], 2, peak=0.999), 44100, subtype="PCM_24")
    return str(p)


def with_references(values, paths):
    c = Chain(FS, values, reference_bytes=MB)
    s = Session(c)
    problems = load_all(s, paths, FS)
    return c, s, problems


def test_reference_is_heard_at_the_programme_loudness_and_under_the_ceiling(hot_reference):
    values = dict(presets.load("default"), **{"limiter.drive_db": 6.0})
    c, s, problems = with_references(values, [hot_reference])
    assert problems == []
    ref = s.references[0]
    # the file's own loudness, measured independently of the box
    data, rate = sf.read(hot_reference, dtype="float32")
    assert ref.lufs == pytest.approx(pyln.Meter(rate).integrated_loudness(data), abs=0.1)
    x = noise(FS, 14, [60, 6000], 1, rms=0.05)             # a quiet, dark programme
    y = play(c, x, [(6.0, lambda: s.toggle_reference("test"))])
    m = pyln.Meter(FS)
    l_prog = m.integrated_loudness(y[2 * FS:6 * FS])
    l_ref = m.integrated_loudness(y[7 * FS:14 * FS])
    assert abs(l_ref - l_prog) < 0.5, (l_prog, l_ref)
    ceiling = values["limiter.ceiling_dbtp"]
    assert true_peak_db(y[6 * FS:]) <= ceiling, true_peak_db(y[6 * FS:])
    # the reference was played lowered: its own loudness is above the programme's
    assert c.reference_offset_db == pytest.approx(l_prog - ref.lufs, abs=0.5)


def test_a_quiet_reference_is_raised_and_limited_in_true_peak(tmp_path):
    # a quiet, very dynamic reference (soft noise, hard 3 kHz hits twice a
    # second: ~25 dB peak to loudness) under a loud programme: matching it
    # raises its hits far over the ceiling; the safety limiter holds them in
    # true peak
    t = np.arange(10 * FS) / FS
    hits = 0.5 * np.sin(2 * np.pi * 3000 * t) * np.exp(-(t % 0.5) / 0.004)
    ref = noise(FS, 10, [100, 8000], 3, rms=0.004) + hits[:, None].astype(np.float32)
    p = tmp_path / "quiet.flac"
    sf.write(p, ref, FS)
    values = dict(presets.load("default"), **{"limiter.drive_db": 18.0})
    c, s, _ = with_references(values, [str(p)])
    r = s.references[0]
    x = demo.programme(FS)[:12 * FS]
    y = play(c, x, [(4.0, lambda: s.toggle_reference("test"))])
    raised_tp = r.true_peak_dbtp + c.reference_offset_db
    assert raised_tp > values["limiter.ceiling_dbtp"] + 6.0      # what a plain gain would give
    assert true_peak_db(y[4 * FS:]) <= values["limiter.ceiling_dbtp"]


@pytest.mark.parametrize("drive", [0.0, 24.0])
def test_compare_stays_under_the_ceiling_in_true_peak(drive):
    """The loudness-matched bypass raises the raw mix to master loudness; with
    24 dB of limiter drive that asks for ~+3 dBTP. Held in true peak, not clamped."""
    values = dict(presets.load("default"), **{"limiter.drive_db": drive})
    c = Chain(FS, values)
    x = demo.programme(FS)[:10 * FS]
    y = play(c, x, [(4.0, lambda: c.set_monitor("bypass"))])
    ceiling = values["limiter.ceiling_dbtp"]
    assert true_peak_db(y[FS:4 * FS]) <= ceiling            # processed
    assert true_peak_db(y[4 * FS:]) <= ceiling              # the switch and the compare


def test_snapshots_stay_under_the_ceiling_in_true_peak():
    values = dict(presets.load("default"), **{"limiter.drive_db": 12.0})
    c = Chain(FS, values)
    s = Session(c)
    x = demo.programme(FS)[:12 * FS]

    def store_a():
        s.store(0, "test")
        s.apply({"limiter.drive_db": 3.0, "eq.high_shelf_gain_db": 3.0}, "test")
        s.store(1, "test")
    y = play(c, x, [(4.0, store_a), (6.0, lambda: s.recall(0, "test")),
                    (8.0, lambda: s.recall(1, "test"))])
    assert true_peak_db(y[4 * FS:]) <= values["limiter.ceiling_dbtp"]


def test_switching_to_a_reference_is_click_free(tmp_path):
    # a 1 kHz programme and a 1 kHz reference (another level and phase): the
    # cross-fade between them may only add sidebands near 1 kHz
    t = np.arange(10 * FS) / FS
    p = tmp_path / "tone.wav"
    sf.write(p, np.stack([0.3 * np.sin(2 * np.pi * 1000 * t + 1.0)] * 2, 1), FS, subtype="FLOAT")
    tone = (0.1 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    x = np.stack([tone, tone], 1)
    values = presets.load("neutral")
    c, s, _ = with_references(values, [str(p)])
    y = play(c, x, [(3.0 + 0.6 * i, lambda: s.toggle_reference("test")) for i in range(6)])
    still = play(Chain(FS, values), x)
    e = np.mean(still[FS:, 0].astype(np.float64) ** 2)
    for ch in (0, 1):
        extra = hf_energy(y[:, ch], FS, 5000, FS) - hf_energy(still[:, ch], FS, 5000, FS)
        assert 10 * np.log10(max(extra, 1e-30) / e) < -80


def test_bad_files_are_one_message_each_and_change_nothing(tmp_path, hot_reference):
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 10)
    three = tmp_path / "three.wav"
    sf.write(three, np.zeros((FS * 2, 3), np.float32), FS)
    long = tmp_path / "long.wav"
    sf.write(long, np.zeros((FS * 200, 1), np.float32) + 0.01, FS, subtype="PCM_16")
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros((FS * 2, 2), np.float32), FS)
    c, s, problems = with_references(presets.load("default"), [hot_reference])
    before = (s.references, c.reference, s.revision)
    got = load_all(s, [str(garbage), str(three), str(long), str(silent)], FS)
    assert len(got) == 4 and all("\n" not in g for g in got)
    assert "garbage.wav" in got[0]
    assert "3 channels" in got[1]
    assert "long.wav: 200 s long" in got[2] and "holds" in got[2]
    assert "silent.wav" in got[3] and "LUFS" in got[3]
    assert (s.references, c.reference, s.revision) == before
    with pytest.raises(UserError, match="no reference tracks"):
        Session(Chain(FS)).toggle_reference("test")


def test_more_than_four_files_and_the_folder(tmp_path):
    for i in range(5):
        sf.write(tmp_path / f"r{i}.wav", noise(FS, 2, [100, 5000], i), FS)
    (tmp_path / "notes.txt").write_text("not audio")
    files = folder_files(str(tmp_path))
    assert [f.rsplit("/", 1)[1] for f in files] == [f"r{i}.wav" for i in range(5)]
    assert folder_files(str(tmp_path / "absent")) == []
    c, s, problems = with_references({}, files)
    assert [r.name for r in s.references] == [f"r{i}.wav" for i in range(4)]
    assert problems == ["r4.wav: only 4 reference tracks are held"]
    # the slots do not overlap
    sel = [r.selector for r in s.references]
    assert all(a[0] + a[1] <= b[0] for a, b in zip(sel, sel[1:]))


def test_ref_button_page_and_screen(tmp_path, hot_reference):
    p2 = tmp_path / "second.wav"
    sf.write(p2, noise(FS, 3, [100, 3000], 5), FS)
    c, s, _ = with_references(presets.load("default"), [hot_reference, str(p2)])
    ctl = Controller(s)
    ctl.handle(KEYMAP["t"], 0.0)                        # the REF key: back double
    assert s.listening[0] == "reference" and c.monitor[0] == "reference"
    screen = ctl.screen(0.0)
    assert screen.badge.reference[:2] == (1, "bright hot master")
    img = np.array(render(screen), dtype=bool)
    assert img[-2, :].mean() > 0.5                      # which reference: the bottom line
    ctl.nav.page = "menu"
    ctl.nav.open_item(ctl.nav.items.index("References"))
    ctl.handle(Action("enc1", "turn", 1), 1.0)          # the second action: the next reference
    assert s.reference_index == 1 and c.reference == s.references[1].selector
    assert c.monitor[0] == "reference"                  # heard at once
    ctl.handle(Action("enc2", "press"), 2.0)            # REF again: the programme
    assert s.listening[0] == "processed"
    ctl.handle(Action("back", "double"), 3.0)
    s.apply({"eq.bell2_gain_db": 1.0}, "test")          # a move is heard on the programme
    assert s.listening[0] == "processed"
    # never saved, never restored
    restored = Session(Chain(FS, s.values))
    restored.restore(s.state())
    assert restored.listening[0] == "processed" and restored.references == []


def test_shelf_refuses_without_memory(hot_reference):
    with pytest.raises(UserError, match="no memory"):
        Shelf(Chain(FS), FS).read(hot_reference, 0)
