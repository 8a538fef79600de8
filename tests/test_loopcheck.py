"""The loop check's analyses against independent calculations (scipy, analytic
values), on signals whose answers are known; the loop itself runs in
tests/test_hil.py."""
import math

import numpy as np
import pytest
from scipy import signal

from dsp import params
from dsp.modules import eq as eq_module
from firmware import UserError
from firmware.lab import loopcheck
from firmware.engine import Engine

FS = 48000


def test_multitone_is_bin_exact_and_at_its_level():
    x, f = loopcheck.multitone(FS)
    assert len(x) == loopcheck.PERIODS * FS and f[0] == 20 and f[-1] == 20000
    rms = 20 * math.log10(np.sqrt(np.mean(x[:, 0].astype(np.float64) ** 2)))
    assert abs(rms - loopcheck.MULTITONE_RMS_DBFS) < 0.01
    # periodic: every second is the same
    assert np.array_equal(x[:FS], x[FS:2 * FS])
    # nothing between the tones
    X = np.abs(np.fft.rfft(x[:FS, 0].astype(np.float64)))
    off = np.ones(len(X), bool)
    off[f] = False
    assert 20 * np.log10(X[off].max() / X[f].min()) < -100


@pytest.mark.parametrize("fs", [44100, 48000, 96000])
def test_response_of_a_known_filter(fs):
    x, f = loopcheck.multitone(fs)
    b, a = signal.butter(2, 1000, fs=fs)                   # -3.01 dB at 1 kHz, 12 dB/oct
    y = signal.lfilter(b, a, x, axis=0)
    r = loopcheck.response_db(y, x, fs, f)
    _, h = signal.freqz(b, a, worN=f.astype(float), fs=fs)
    want = 20 * np.log10(np.abs(h))
    keep = want > -100                                      # below that, float32 noise
    assert np.max(np.abs(r[keep, 0] - want[keep])) < 0.01


def test_eq_design_is_the_product_of_its_sections():
    v = params.check_values({**params.defaults(), **loopcheck.EQ_CHECK})
    f = loopcheck.multitone_freqs(FS)
    sos = np.array([[m[0], m[1], m[2], 1.0, m[3], m[4]] for m, _ in eq_module.sections(v, FS)])
    _, h = signal.sosfreqz(sos, worN=f.astype(float), fs=FS)
    assert np.allclose(loopcheck.eq_design_db(v, FS, f), 20 * np.log10(np.abs(h)), atol=1e-9)
    # and it is an EQ worth checking: several dB of movement
    assert np.ptp(20 * np.log10(np.abs(h))) > 9


def test_thd_n_of_known_harmonics():
    t = np.arange(loopcheck.PERIODS * FS) / FS
    f0 = loopcheck.TONE_HZ
    x = np.sin(2 * np.pi * f0 * t) + 1e-3 * np.sin(2 * np.pi * 2 * f0 * t) \
        + 10 ** (-70 / 20) * np.sin(2 * np.pi * 3 * f0 * t + 1.0)
    want = 10 * math.log10(1e-6 + 1e-7)                     # -59.59 dB
    got = loopcheck.thd_n_db(np.stack([x, x], 1), FS)
    assert np.allclose(got, want, atol=0.01)


def test_thd_n_counts_noise_in_the_audio_band_only():
    rng = np.random.default_rng(3)
    t = np.arange(loopcheck.PERIODS * FS) / FS
    s = np.sin(2 * np.pi * loopcheck.TONE_HZ * t)
    n = rng.standard_normal(len(t)) * 1e-4
    got = loopcheck.thd_n_db(np.stack([s + n, s + n], 1), FS)[0]
    # white noise of variance s2 spreads evenly over 0..fs/2; 20 Hz-20 kHz holds 19980/24000 of it
    want = 10 * math.log10(1e-8 * 19980 / 24000 / 0.5)
    assert abs(got - want) < 0.2


def test_delay_is_found_through_a_filter():
    b = loopcheck.burst(FS)
    lp = signal.firwin(63, 15000, fs=FS)                     # linear phase: 31 frames of delay
    y = signal.lfilter(lp, 1.0, np.roll(b, 1234, axis=0), axis=0)
    assert loopcheck.delay_frames(y, b) == 1234 + 31


def test_hostile_material_breaks_a_bare_ceiling():
    h = loopcheck.hostile(FS)
    assert np.abs(h).max() >= 4.0 - 1e-6                    # +12 dBFS in it


def test_measure_needs_a_running_engine_and_room():
    eng = Engine(48000, 128, "x", {}, measure_seconds=1.0)
    with pytest.raises(UserError, match="running chain"):
        eng.measure(np.zeros((1000, 2), np.float32))
    with pytest.raises(UserError, match=r"48001 frames: this engine holds 1..48000"):
        eng.measure(np.zeros((48001, 2), np.float32))
    with pytest.raises(UserError, match=r"shape \(10,\)"):
        eng.measure(np.zeros(10, np.float32))
    with pytest.raises(UserError, match="measurement length 61"):
        Engine(48000, 128, "x", {}, measure_seconds=61)
