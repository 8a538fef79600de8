"""True-peak limiter: overs on hostile signals, measured by an Annex 2 4x meter
(must never exceed the ceiling) and a full-band 32x reference meter flat to
0.49 fs, what a DAC reconstructs (at most +0.1 dB; worst-case sign patterns at
most +0.5 dB); and its sound: a steady tone gets a static gain (THD+N at the
measurement floor), a low tone does not modulate a high one (SMPTE IMD)."""
import zlib

import numpy as np
import pytest

from helpers import (db, run, smpte_imd_pct, thd_n_db, true_peak_db, true_peak_fullband_db,
                     worst_case_pattern)


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
        # faded out over its last 10 ms: a full-scale 0.49 fs tone cut off dead
        # is a case of its own (test_abrupt_full_scale_edge_near_nyquist)
        fade = np.minimum(1.0, (t[-1] - t) / 0.01)
        return 2 * fade * np.sin(2 * np.pi * (20 * t + (0.49 * fs - 20) * t * t / (2 * seconds)))
    if name == "worst_case_patterns":
        x = np.zeros(n)
        for k, start in enumerate(range(fs // 10, n - 64, fs // 20)):
            x[start:start + 32] = worst_case_pattern(32, 0.5 if k % 2 else 0.25)
        return x
    raise KeyError(name)


SIGNALS = ["fs4_45deg", "fs4_45deg_+12", "square_997", "square_5k", "impulses",
           "noise_full_scale", "noise_+12", "clipped_master", "sweep_to_nyquist",
           "worst_case_patterns"]


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
    full = true_peak_fullband_db(y)
    # a release under 20 ms moves the gain fast enough to widen the spectrum a
    # little past what the detector saw: up to 0.15 dB there (docs/chain-and-measurements.md says so)
    allowed = 0.5 if name == "worst_case_patterns" else (0.1 if release >= 20.0 else 0.15)
    assert annex <= ceiling, f"Annex 2 4x meter reads {annex:.3f} dBTP over {ceiling}"
    assert full <= ceiling + allowed, f"full-band reference reads {full:.3f} dBTP, ceiling {ceiling}"


def test_the_full_band_reference_is_what_it_says():
    """The reference meter itself: flat within 0.01 dB to 0.49 fs, and it reads a
    0.49 fs sine's true amplitude whatever its phase (a 4x grid alone misses
    0.66 dB of it)."""
    from helpers import fullband_flatness_db

    assert fullband_flatness_db(0.49) < 0.01
    fs = 48000
    t = np.arange(4000) / fs
    for ph in (0.0, 0.7, 1.9):
        tone = 0.5 * np.sin(2 * np.pi * 0.49 * fs * t + ph) * np.hanning(4000) ** 0.05
        assert abs(true_peak_fullband_db(tone) - db(0.5)) < 0.02


def steady_tone(fs, f, tp_dbtp, seconds=3.0):
    t = np.arange(int(seconds * fs)) / fs
    s = 10 ** (tp_dbtp / 20) * np.sin(2 * np.pi * f * t + 0.3)
    return np.stack([s, s], 1).astype(np.float32)


@pytest.mark.parametrize("f,gr_db", [(50, 6.0), (50, 12.0), (10000, 6.0), (10000, 0.0)])
def test_a_steady_tone_gets_a_static_gain(f, gr_db):
    """THD+N at constant gain reduction (the issue's goal: no worse than
    pedalboard's BrickwallLimiter or below -90 dB; both sit near -150 here,
    see bench/limiter.py). The settled middle is measured: the first second
    settles, the tone's abrupt end is left out."""
    fs = 48000
    y, _ = run(steady_tone(fs, f, -1.0 + gr_db), fs,
               {"limiter.on": 1, "limiter.ceiling_dbtp": -1.0, "limiter.release_ms": 100.0})
    assert thd_n_db(y[fs:-fs // 4, 0], fs, f) < -90.0


def test_a_low_tone_does_not_modulate_a_high_one():
    """SMPTE RP120 IMD (60 Hz + 7 kHz, 4:1) at 6 dB of gain reduction: at most
    0.01 % (the gain does not follow the 60 Hz waveform)."""
    fs = 48000
    t = np.arange(3 * fs) / fs
    s = 0.8 * np.sin(2 * np.pi * 60 * t) + 0.2 * np.sin(2 * np.pi * 7000 * t)
    s *= 10 ** (5 / 20) / np.max(np.abs(s))
    x = np.stack([s, s], 1).astype(np.float32)
    y, _ = run(x, fs, {"limiter.on": 1, "limiter.ceiling_dbtp": -1.0})
    assert smpte_imd_pct(y[fs:-fs // 4, 0], fs) <= 0.01


def test_abrupt_full_scale_edge_near_nyquist():
    """What the limiter promises at the one edge it does not fully see: a
    full-scale 0.49 fs tone that starts dead at full level (its onset spreads
    energy right up to Nyquist, where the detector rolls off) reads at most
    0.3 dB over on the full-band reference; faded in, it is under the ceiling."""
    fs = 48000
    t = np.arange(fs) / fs
    s = 2 * np.sin(2 * np.pi * 0.49 * fs * t)
    v = {"limiter.on": 1, "limiter.ceiling_dbtp": -1.0}
    y, _ = run(np.stack([s, s], 1).astype(np.float32), fs, v)
    assert true_peak_fullband_db(y) <= -1.0 + 0.3
    assert true_peak_db(y, "annex4x") <= -1.0
    # faded in and out over 20 ms (cutting the output short would itself make
    # an abrupt edge for the reference to read)
    faded = s * np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.02)
    y, _ = run(np.stack([faded, faded], 1).astype(np.float32), fs, v)
    assert true_peak_fullband_db(y) <= -1.0 + 0.01


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
    # the gain is held first (at most 25 ms, at most half the release time),
    # and the released gain is averaged over the attack window: allow that window
    from dsp.modules.limiter import hold_s

    t = np.nonzero(frac >= 1 - np.exp(-1))[0][0] / fs * 1000 - 1000 * hold_s(release_ms)
    assert abs(t - release_ms) <= 0.1 * release_ms + 1.0, t


def test_the_detector_is_flat_to_049_fs_and_its_halfbands_exact():
    """The detector's two halfbands: their zero taps exactly zero and their
    centres exactly 1/2 (the kernel reads one branch of each as a pure delay),
    and the cascade flat within 0.04 dB to 0.49 fs (inside the limiter's
    0.05 dB margin), 47.5 dB down from 0.51 fs and 50 dB from 0.512 fs
    (scipy's freqz on the design, independent of the kernel)."""
    from scipy.signal import freqz, upfirdn

    from dsp.kernels import limiter as L
    from dsp.modules import limiter as limiter_module

    a, b = limiter_module.detector_stages()
    for h, length in ((a, L.A_LEN), (b, L.B_LEN)):
        c = (length - 1) // 2
        assert len(h) == length and h[c] == 0.5
        assert np.all(h[np.arange(c % 2, length, 2)[np.arange(c % 2, length, 2) != c]] == 0.0)
        assert abs(h.sum() - 1.0) < 1e-12
    h4 = np.convolve(upfirdn([1.0], a, 2), b)
    f = np.linspace(0, 2.0, 8001)                      # in units of the base rate, to 4x Nyquist
    _, H = freqz(h4, worN=np.pi * f / 2)
    mag = db(H)
    assert np.max(np.abs(mag[f <= 0.49])) < 0.04
    assert np.max(mag[f >= 0.51]) < -47.5
    assert np.max(mag[f >= 0.512]) < -50.0
    assert L.DETECT_POINTS % L.TP_PHASES == 0 and L.DETECT_POINTS == 2 * L.A_C + L.B_C


def test_the_lookahead_stays_under_5_ms():
    from dsp.modules import limiter as limiter_module

    for fs in (32000, 44100, 48000, 88200, 96000, 192000):
        assert limiter_module.lookahead(fs) / fs <= 0.005
