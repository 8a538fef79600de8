"""Playback contexts (issue #31): the monitor plays what is heard through a
measured impulse response. The callback's transform against numpy's FFT; the
convolution on the monitor path against scipy's, sample-aligned at the
stated delay; the loudness match with pyloudnorm; the ceiling on the
full-band reference meter (tests/helpers.py); the files it refuses; every
surface; and that it never reaches the saved state or a render."""
import os
import re
import sys

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf
from scipy import signal

from dsp import contexts
from dsp.chain import Chain
from dsp.kernels import context as C
from dsp.kernels import fft
from firmware.contexts import load_all
from firmware.offline import demo
from firmware.session import Session
from firmware.store import presets
from helpers import play, true_peak_db, true_peak_fullband_db

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts"))
from example_context import bandpass_sketch  # noqa: E402

FS = 48000
pytestmark = pytest.mark.filterwarnings("ignore:Possible clipped samples")


def phone(fs=FS, seconds=0.06) -> np.ndarray:
    """The docs' band-pass sketch of a small speaker (scripts/example_context.py),
    its second channel slightly different."""
    h = bandpass_sketch(fs, seconds)
    return np.stack([h, 0.8 * np.roll(h, 3)], 1)


def loaded(chain: Chain, h: np.ndarray, fs=FS, slot=0):
    mem, base = chain.context_memory
    return contexts.ContextBank(mem, base, FS).place(slot, contexts.prepare(h, fs, FS, "t"), "t")


def test_the_transform_is_numpys():
    rng = np.random.default_rng(0)
    cs, sn, rev = fft.tables(C.M)
    x = rng.standard_normal(C.M) + 1j * rng.standard_normal(C.M)
    re, im = x.real.copy(), x.imag.copy()
    fft.transform(re, im, C.M, cs, sn, rev, False)
    want = np.fft.fft(x)
    assert np.max(np.abs(re + 1j * im - want)) < 1e-11 * np.max(np.abs(want))
    fft.transform(re, im, C.M, cs, sn, rev, True)
    assert np.max(np.abs((re + 1j * im) / C.M - x)) < 1e-12


@pytest.mark.parametrize("shape", ["stereo 0.3 s", "mono 1 s at 44.1 kHz"])
def test_the_monitor_plays_scipys_convolution(shape):
    """A periodic programme (period 100 ms: the matching gain settles to a
    constant) through the chain with a context, against scipy's convolution
    of the processed output with the IR (converted to the box's rate by
    scipy here), delayed by the stated delay, at one fitted gain."""
    rng = np.random.default_rng(1)
    if shape.startswith("stereo"):
        n = int(0.3 * FS)
        h = rng.standard_normal((n, 2)) * np.exp(-np.arange(n) / 2000)[:, None] * 0.05
        h[0] += 0.5
        h_in, fs_in, h_box = h, FS, h
    else:
        fs_in = 44100
        h_in = phone(fs_in, 1.0)[:, :1]
        h_box = signal.resample_poly(h_in, 160, 147)[:, :1].repeat(2, 1)
    x = np.tile(rng.standard_normal((FS // 10, 2)) * 0.05, (110, 1)).astype(np.float32)
    c = Chain(FS, {}, previews=True)
    ctx = loaded(c, h_in, fs_in)
    c.set_context(ctx.selector)
    y = c.process(x).astype(np.float64)
    plain = Chain(FS, {}).process(x).astype(np.float64)
    d = round(ctx.delay_s * FS)
    want = np.stack([signal.fftconvolve(plain[:, ch], h_box[:, ch])[:len(x)] for ch in range(2)], 1)
    a, b = 8 * FS, 10 * FS
    got, ref = y[a:b], want[a - d:b - d]
    g = np.sum(got * ref) / np.sum(ref * ref)
    resid = 10 * np.log10(np.sum((got - g * ref) ** 2) / np.sum(got ** 2))
    print(f"{shape}: delay {d} frames, gain {20 * np.log10(g):+.2f} dB, residual {resid:.1f} dB")
    if fs_in == FS:
        assert resid < -90.0
    else:
        # two resamplers of the IR (the box's and scipy's) differ near
        # Nyquist; the convolution itself is what the -90 dB case proves
        assert resid < -40.0


def test_it_is_heard_at_the_programmes_loudness():
    """pyloudnorm on the heard output against the processed output of the same
    programme, over the last 10 s (after the 3 s window has filled)."""
    x = demo.programme(FS)[:16 * FS].astype(np.float32)
    values = presets.load("default")
    c = Chain(FS, values, previews=True)
    c.set_context(loaded(c, phone()).selector)
    y = c.process(x).astype(np.float64)
    plain = Chain(FS, values).process(x).astype(np.float64)
    m = pyloudnorm.Meter(FS)
    got, want = m.integrated_loudness(y[6 * FS:]), m.integrated_loudness(plain[6 * FS:])
    print(f"processed {want:.2f} LUFS, through the context {got:.2f} LUFS")
    assert got == pytest.approx(want, abs=0.5)
    # and it is the IR's sound, not the master's: a band-pass takes the lows away
    f, p = signal.welch(y[6 * FS:, 0], FS, nperseg=8192)
    f, q = signal.welch(plain[6 * FS:, 0], FS, nperseg=8192)
    low = (f > 40) & (f < 120)
    assert 10 * np.log10(np.sum(p[low]) / np.sum(q[low])) < -20.0


def test_it_stays_under_the_ceiling_full_band():
    """18 dB of limiter drive on the default preset, through a resonant
    speaker matched back up: the safety limiter holds the ceiling on the
    full-band reference meter and the 16x one."""
    values = dict(presets.load("default"), **{"limiter.drive_db": 18.0})
    x = demo.programme(FS)[:12 * FS].astype(np.float32)
    c = Chain(FS, values, previews=True)
    ctx = loaded(c, phone())
    y = play(c, x, [(4.0, lambda: c.set_context(ctx.selector))]).astype(np.float64)[4 * FS:]
    ceiling = values["limiter.ceiling_dbtp"]
    full, x16 = true_peak_fullband_db(y), true_peak_db(y)
    print(f"context: full-band {full:+.3f} dBTP, 16x {x16:+.3f} dBTP")
    assert full <= ceiling + 0.1
    assert x16 <= ceiling + 0.1


def test_switching_fades_and_off_is_the_processed_output_bit_for_bit():
    x = (np.random.default_rng(2).standard_normal((4 * FS, 2)) * 0.1).astype(np.float32)
    c = Chain(FS, {}, previews=True)
    ctx = loaded(c, phone())
    y = play(c, x, [(1.0, lambda: c.set_context(ctx.selector)),
                    (2.0, lambda: c.set_context(contexts.NO_CONTEXT))])
    plain = Chain(FS, {}).process(x)
    assert np.array_equal(y[:FS - 512], plain[:FS - 512])    # (the event comes a block early)
    assert np.array_equal(y[int(2.1 * FS):], plain[int(2.1 * FS):])
    # no step anywhere: the largest sample-to-sample jump is the programme's own
    assert np.max(np.abs(np.diff(y, axis=0))) < 1.5 * np.max(np.abs(np.diff(plain, axis=0)))


def write(path, x, fs=FS, subtype="FLOAT"):
    sf.write(path, np.asarray(x, np.float32), fs, subtype=subtype)
    return str(path)


def test_files_it_refuses_say_why_and_keep_the_rest(tmp_path):
    good = write(tmp_path / "phone.wav", phone())
    too_long = write(tmp_path / "hall.wav", np.ones((int(1.5 * FS), 1)) * 1e-3)
    silent = write(tmp_path / "silent.wav", np.zeros((1000, 2)))
    four = write(tmp_path / "quad.wav", np.ones((100, 4)) * 0.1)
    corrupt = tmp_path / "broken.wav"
    corrupt.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    s = Session(Chain(FS, {}, previews=True))
    problems = load_all(s, [too_long, good, silent, four, str(corrupt)], FS)
    assert [c.name for c in s.contexts] == ["phone"]
    assert len(problems) == 4
    assert "1.50 s long; an impulse response is at most 1 s" in problems[0]
    assert "silent" in problems[1]
    assert "4 channels" in problems[2]
    assert "broken.wav" in problems[3]
    assert all("\n" not in p for p in problems)
    # a fifth file is refused by count, the four loaded stay
    more = [write(tmp_path / f"ir{i}.wav", phone()) for i in range(4)]
    s2 = Session(Chain(FS, {}, previews=True))
    assert load_all(s2, more + [good], FS) == ["phone.wav: only 4 playback contexts are held"]
    assert len(s2.contexts) == 4


def test_every_surface_reaches_it_and_it_stays_off_the_record(tmp_path):
    """The target page's encoder 3, MIDI CC 30/31, OSC and the page (the verb)
    step and choose; the screen says so on every page; a move keeps it; the
    values, a render and the saved state never carry it."""
    from firmware.control import Controller
    from firmware.remote.midi import MidiSurface
    from firmware.store.state import to_text
    from firmware.verbs import Hands, dispatch
    from ui.actions import Action
    from ui.screens import render

    chain = Chain(FS, presets.load("neutral"), previews=True)
    s = Session(chain)
    before = s.state()
    assert load_all(s, [write(tmp_path / "phone.wav", phone()),
                        write(tmp_path / "car.wav", phone()[:, :1] * 0.5)], FS) == []
    ctl = Controller(s)
    ctl.nav.page = "target"
    ctl.handle(Action("enc3", "turn", 1), 0.0)
    assert s.context_index == 0 and chain.context == s.contexts[0].selector
    for page in ("meters", "target", "menu"):
        ctl.nav.page = page
        assert ctl.screen(0.0).badge.context == "phone"
        render(ctl.screen(0.0))
    MidiSurface(s).receive(bytes([0xB0, 30, 127]))
    assert s.context_index == 1
    MidiSurface(s).receive(bytes([0xB0, 31, 127]))
    assert s.context_index == 0
    dispatch(Hands(s), "context", [1], "osc")
    assert s.context_index == 1
    dispatch(Hands(s), "context", {"index": 0}, "page")
    assert s.context_index == 0
    s.apply({"glue.ratio": 2.0}, "panel")                 # a move: still through the phone
    assert s.context_index == 0 and chain.context == s.contexts[0].selector
    assert s.values == dict(presets.load("neutral"), **{"glue.ratio": 2.0})
    # the saved state is the same document with or without a context heard
    heard = s.state()
    dispatch(Hands(s), "context", [-1], "osc")
    assert s.context_index is None and chain.context == contexts.NO_CONTEXT
    def doc(state):
        return re.sub(rb'(checksum|saved_at) = "[^"]*"', b"", to_text(state, 1))
    assert doc(heard) == doc(s.state())
    assert before["values"] == presets.load("neutral")
    with pytest.raises(Exception, match="index"):
        dispatch(Hands(s), "context", [7], "osc")



def test_the_heard_context_does_not_depend_on_the_block_size():
    """The partitions' products are spread over the callbacks that fill a
    block (and the safety limiter measures as many frames as each callback
    has): blocks of 32, 64 and 160 frames play the same samples. (Sizes that
    divide the loudness tracker's 100 ms: it closes its blocks at the end of
    a callback, so other sizes move the matching gain's steps by a few
    frames, a difference of its own.)"""
    rng = np.random.default_rng(3)
    n = int(0.4 * FS)
    h = rng.standard_normal((n, 2)) * np.exp(-np.arange(n) / 4000)[:, None] * 0.05
    x = (rng.standard_normal((3 * FS, 2)) * 0.1).astype(np.float32)
    outs = []
    for block in (32, 64, 160):
        c = Chain(FS, {}, previews=True)
        c.set_context(loaded(c, h).selector)
        outs.append(np.concatenate([c.process(x[i:i + block]) for i in range(0, len(x), block)]))
    assert np.max(np.abs(outs[0][FS:])) > 0.01                   # heard, not silence
    for y in outs[1:]:
        assert np.max(np.abs(y - outs[0])) < 1e-9
