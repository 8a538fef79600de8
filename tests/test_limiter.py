"""True-peak limiter: overs on hostile signals, measured by an Annex 2 4x meter
(must never exceed the ceiling) and a 16x reference meter (at most +0.1 dB)."""
import zlib

import numpy as np
import pytest

from helpers import db, run, true_peak_db


def hostile(name, fs, seconds=1.5):
    n = int(fs * seconds)
    t = np.arange(n) / fs
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    if name == "fs4_45deg":
        return np.sin(2 * np.pi * fs / 4 * t + np.pi / 4)
    if name == "fs4_45deg_+12":
        return 4 * np.sin(2 * np.pi * fs / 4 * t + np.pi / 4)
    if name == "square_997":
        return np.sign(np.sin(2 * np.pi * 997 * t) + 1e-12)
    if name == "square_5k":
        return np.sign(np.sin(2 * np.pi * 5000.3 * t) + 1e-12)
    if name == "impulses":
        x = np.zeros(n)
        x[::fs // 10] = 4.0
        x[fs // 20::fs // 10] = -4.0
        return x
    if name == "noise_full_scale":
        return rng.uniform(-1, 1, n)
    if name == "noise_+12":
        return rng.uniform(-4, 4, n)
    if name == "clipped_master":
        # loud "music" (filtered noise bursts + tone) clipped flat at 0 dBFS
        x = np.cumsum(rng.standard_normal(n)) * 0.02 + 3 * np.sin(2 * np.pi * 110 * t)
        x += rng.standard_normal(n) * (np.sin(2 * np.pi * 2 * t) > 0)
        return np.clip(x, -1, 1)
    if name == "sweep_to_nyquist":
        return 2 * np.sin(2 * np.pi * (20 * t + (0.49 * fs - 20) * t * t / (2 * seconds)))
    raise KeyError(name)


SIGNALS = ["fs4_45deg", "fs4_45deg_+12", "square_997", "square_5k", "impulses",
           "noise_full_scale", "noise_+12", "clipped_master", "sweep_to_nyquist"]


@pytest.mark.parametrize("fs", [44100, 48000, 96000])
@pytest.mark.parametrize("name", SIGNALS)
@pytest.mark.parametrize("ceiling,drive,release", [(-1.0, 0.0, 100.0), (-0.1, 12.0, 5.0)])
def test_no_overs(fs, name, ceiling, drive, release):
    s = hostile(name, fs)
    x = np.stack([s, 0.8 * s[::-1]], 1).astype(np.float32)
    v = {"limiter.on": 1, "limiter.ceiling_dbtp": ceiling, "limiter.drive_db": drive,
         "limiter.release_ms": release}
    y, _ = run(x, fs, v)
    assert np.all(np.isfinite(y))
    annex = true_peak_db(y, "annex4x")
    ref16 = true_peak_db(y, "16x")
    assert annex <= ceiling, f"Annex 2 4x meter reads {annex:.3f} dBTP over {ceiling}"
    assert ref16 <= ceiling + 0.1, f"16x reference reads {ref16:.3f} dBTP, ceiling {ceiling}"


def test_quiet_material_passes_untouched():
    fs = 48000
    t = np.arange(fs) / fs
    x = (0.25 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    y, _ = run(x, fs, {"limiter.on": 1, "limiter.ceiling_dbtp": -1.0})
    assert np.max(np.abs(y[:, 0] - x)) < 1e-6


def test_drive_raises_level_until_the_ceiling():
    fs = 48000
    t = np.arange(fs) / fs
    x = (10 ** (-20 / 20) * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    y, _ = run(x, fs, {"limiter.on": 1, "limiter.drive_db": 12, "limiter.ceiling_dbtp": -1})
    assert abs(db(np.max(np.abs(y[fs // 2:, 0]))) - (-8.0)) < 0.05    # below the ceiling: +12 dB
    y, _ = run(x, fs, {"limiter.on": 1, "limiter.drive_db": 24, "limiter.ceiling_dbtp": -1})
    assert abs(true_peak_db(y[fs // 2:]) - (-1.02)) < 0.1             # limited to the ceiling


@pytest.mark.parametrize("release_ms", [20.0, 200.0])
def test_release_time_constant(release_ms):
    fs = 48000
    n0 = fs // 2
    loud = 2.0 * (-1.0) ** np.arange(n0)
    quiet = 0.1 * (-1.0) ** np.arange(n0, n0 + fs * 2)
    x = np.concatenate([loud, quiet]).astype(np.float32)
    y, _ = run(x, fs, {"limiter.on": 1, "limiter.ceiling_dbtp": -1, "limiter.release_ms": release_ms})
    g = y[n0:, 0] / x[n0:]
    g0 = g[0]
    frac = (g - g0) / (1 - g0)
    # the released gain is averaged over the attack window, so allow that window
    t = np.nonzero(frac >= 1 - np.exp(-1))[0][0] / fs * 1000
    assert abs(t - release_ms) <= 0.1 * release_ms + 1.0, t


def test_detector_phase_zero_is_the_pure_delay_the_kernel_reads():
    """The kernel reads phase 0 of its 4x interpolator as one tap times the
    delayed sample; that holds only if the design's other phase-0 taps are
    exactly zero and the centre sits where the kernel looks."""
    from dsp import filter_design
    from dsp.modules import limiter as limiter_module
    from dsp.kernels import limiter as L

    ph = filter_design.polyphase_reversed(limiter_module.detector_fir(), L.TP_PHASES, L.TP_TAPS)
    others = np.delete(ph[0], L.TP_CENTRE)
    assert np.all(others == 0.0)
    assert abs(ph[0, L.TP_CENTRE] - 1.0) < 1e-3
    # and the other phases are real interpolators (their taps sum to ~1)
    assert np.allclose(ph[1:].sum(axis=1), 1.0, atol=1e-3)
