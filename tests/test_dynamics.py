"""Glue and multiband compressors: static curves, time constants, crossovers."""
import numpy as np
import pytest

from helpers import db, impulse_response, response_db, run

FS = 48000


def giannoulis(x_db, thr, ratio, knee):
    """Textbook soft-knee gain computer (Giannoulis, Massberg, Reiss 2012): output level."""
    over = x_db - thr
    if 2 * over < -knee:
        return x_db
    if knee > 0 and 2 * abs(over) <= knee:
        return x_db + (1 / ratio - 1) * (over + knee / 2) ** 2 / (2 * knee)
    return thr + over / ratio


def nyquist_tone(level_db, n):
    """(-1)^n: its magnitude is the same on every sample, so a peak detector reads
    a steady level and the sidechain high-pass passes it at unity."""
    return (10 ** (level_db / 20) * (-1.0) ** np.arange(n)).astype(np.float32)


def settled_gain_db(values, level_db, seconds=1.0, band_ch=0):
    n = int(FS * seconds)
    x = nyquist_tone(level_db, n)
    y, _ = run(x, FS, values)
    tail = y[n // 2:, band_ch].astype(np.float64) / x[n // 2:]
    return db(np.median(tail))


@pytest.mark.parametrize("thr,ratio,knee", [(-20, 2, 0), (-20, 4, 6), (-30, 10, 12), (-12, 1.5, 3)])
def test_glue_static_curve(thr, ratio, knee):
    v = {"glue.threshold_db": thr, "glue.ratio": ratio, "glue.knee_db": knee,
         "glue.attack_ms": 1, "glue.release_ms": 50}
    for level in np.arange(-45, 0, 3.0):
        want = giannoulis(level, thr, ratio, knee) - level
        got = settled_gain_db(v, level, 0.6)
        assert abs(got - want) < 0.2, (level, got, want)


def gr_curve(values, lo, hi, n_lo, n_hi):
    x = np.concatenate([nyquist_tone(lo, n_lo), nyquist_tone(hi, n_hi)])
    x[n_lo:] *= (-1) ** n_lo
    y, _ = run(x, FS, values)
    return db(y[:, 0].astype(np.float64) / x)


def time_to_fraction(curve, start, final, frac):
    """Samples until curve has moved `frac` of the way to `final` (from its start value)."""
    c0 = curve[start]
    target = c0 + frac * (final - c0)
    moving = curve[start:]
    idx = np.nonzero((moving - target) * np.sign(final - c0) >= 0)[0]
    return idx[0]


@pytest.mark.parametrize("attack_ms", [0.5, 3.0, 10.0, 30.0])
def test_glue_attack_time_constant(attack_ms):
    v = {"glue.threshold_db": -30, "glue.ratio": 4, "glue.knee_db": 0,
         "glue.attack_ms": attack_ms, "glue.release_ms": 1000}
    n0 = FS // 4
    c = gr_curve(v, -40, -10, n0, FS)
    final = -30 + 20 / 4 - (-10)   # -15 dB
    t = time_to_fraction(c, n0, final, 1 - np.exp(-1)) / FS * 1000
    assert abs(t - attack_ms) <= 0.1 * attack_ms + 1000 / FS, (t, attack_ms)


@pytest.mark.parametrize("release_ms", [50.0, 300.0, 1200.0])
def test_glue_release_time_constant(release_ms):
    v = {"glue.threshold_db": -30, "glue.ratio": 4, "glue.knee_db": 0,
         "glue.attack_ms": 0.1, "glue.release_ms": release_ms}
    n0 = FS // 2
    c = gr_curve(v, -10, -40, n0, int(FS * 6 * release_ms / 1000))
    t = time_to_fraction(c, n0, 0.0, 1 - np.exp(-1)) / FS * 1000
    assert abs(t - release_ms) <= 0.1 * release_ms, (t, release_ms)


def test_auto_release_recovers_transients_fast_and_sustained_slowly():
    v = {"glue.threshold_db": -30, "glue.ratio": 4, "glue.knee_db": 0,
         "glue.attack_ms": 0.1, "glue.release_ms": 1200, "glue.auto_release": 1}
    # a short burst: deeper than the (near zero) sustained average -> fast recovery
    x = np.concatenate([nyquist_tone(-40, FS), nyquist_tone(-10, FS // 50), nyquist_tone(-40, FS)])
    y, _ = run(x, FS, v)
    c = db(y[:, 0].astype(np.float64) / x)
    t = time_to_fraction(c, FS + FS // 50, 0.0, 1 - np.exp(-1)) / FS * 1000
    assert t < 150, t          # far quicker than the 1200 ms manual setting


def test_parallel_mix_and_makeup():
    base = {"glue.threshold_db": -30, "glue.ratio": 4, "glue.knee_db": 0, "glue.makeup_db": 6}
    comp = settled_gain_db(base, -10)                       # -15 + 6 = -9 dB
    assert abs(comp - (-9.0)) < 0.05
    half = settled_gain_db(dict(base, **{"glue.mix_pct": 50}), -10)
    want = db(0.5 * 10 ** (-9 / 20) + 0.5)
    assert abs(half - want) < 0.05


def test_stereo_link():
    n = FS
    loud = nyquist_tone(-10, n)
    quiet = nyquist_tone(-40, n)
    x = np.stack([loud, quiet], 1)
    v = {"glue.threshold_db": -30, "glue.ratio": 4, "glue.knee_db": 0}
    for link, want_r in ((0, 0.0), (100, -15.0)):
        y, _ = run(x, FS, dict(v, **{"glue.link_pct": link}))
        g_r = db(np.median(y[n // 2:, 1].astype(np.float64) / quiet[n // 2:]))
        g_l = db(np.median(y[n // 2:, 0].astype(np.float64) / loud[n // 2:]))
        assert abs(g_l - -15.0) < 0.05
        assert abs(g_r - want_r) < 0.05, (link, g_r)


def test_sidechain_high_pass_ignores_bass():
    n = FS
    t = np.arange(n) / FS
    bass = (10 ** (-6 / 20) * np.sin(2 * np.pi * 40 * t)).astype(np.float32)
    v = {"glue.threshold_db": -20, "glue.ratio": 4, "glue.knee_db": 0, "glue.attack_ms": 1}
    def gr(sc):
        y, _ = run(bass, FS, dict(v, **{"glue.sc_hp_hz": sc}))
        return db(np.sqrt(np.mean(y[n // 2:, 0].astype(float) ** 2) / np.mean(bass[n // 2:] ** 2.0)))
    assert gr(20) < -8            # bass drives the compressor with the HP at 20 Hz
    assert gr(300) > -1.5         # and barely at all with the HP at 300 Hz


@pytest.mark.parametrize("fs", [44100, 48000, 96000])
@pytest.mark.parametrize("f1,f2", [(40, 1000), (200, 3000), (500, 10000)])
def test_multiband_idle_bands_sum_flat(fs, f1, f2):
    v = {"multiband.on": 1, "multiband.xover_low_hz": f1, "multiband.xover_high_hz": f2}
    h = impulse_response(fs, v, n=1 << 16)
    f = np.geomspace(20, 20000, 400)
    mag = response_db(h, fs, f)
    assert np.max(np.abs(mag)) < 0.01


def test_multiband_band_gain_solo_and_bypass():
    fs = 48000
    f = np.array([50.0, 1000.0, 12000.0])
    v = {"multiband.on": 1, "multiband.low_gain_db": 6}
    m = response_db(impulse_response(fs, v, n=1 << 16), fs, f)
    assert abs(m[0] - 6) < 0.1 and abs(m[1]) < 0.1 and abs(m[2]) < 0.05
    m = response_db(impulse_response(fs, dict(v, **{"multiband.low_bypass": 1}), n=1 << 16), fs, f)
    assert np.max(np.abs(m)) < 0.05          # bypassed band passes at unity, gain too
    m = response_db(impulse_response(fs, {"multiband.on": 1, "multiband.mid_solo": 1}, n=1 << 16), fs, f)
    assert m[1] > -0.2 and m[0] < -40 and m[2] < -30


@pytest.mark.parametrize("thr,ratio", [(-20, 2), (-30, 4)])
def test_multiband_static_curve_high_band(thr, ratio):
    """The Nyquist tone sits wholly in the high band (LR4 high-pass = 1 at fs/2)."""
    v = {"multiband.on": 1, "multiband.high_threshold_db": thr, "multiband.high_ratio": ratio,
         "multiband.high_attack_ms": 1, "multiband.high_release_ms": 50}
    for level in (-40.0, -25.0, -15.0, -6.0):
        want = giannoulis(level, thr, ratio, 6.0) - level
        assert abs(settled_gain_db(v, level, 0.5) - want) < 0.2


def test_gain_reduction_readouts_match_the_measured_gain():
    """The chain's per-stage gain-reduction meters read what the audio shows."""
    from dsp.chain import Chain
    c = Chain(FS, {"glue.threshold_db": -30, "glue.ratio": 4, "glue.knee_db": 0,
                   "multiband.on": 1, "multiband.high_threshold_db": -20,
                   "multiband.high_ratio": 2, "limiter.on": 1, "limiter.ceiling_dbtp": -3,
                   "limiter.drive_db": 24})
    x = np.stack([nyquist_tone(-10, FS)] * 2, 1)
    c.process(x)
    gr = c.gain_reduction_db()
    assert abs(gr["glue"] - 15.0) < 0.05                          # -10 -> -25 dBFS
    want_mb = -(giannoulis(-25.0, -20, 2, 6.0) - -25.0)           # the glue's output feeds it
    assert abs(gr["multiband.high"] - want_mb) < 0.05
    # -25 dBFS + 24 dB of drive against a -3 dBTP ceiling (aimed 0.02 dB under)
    assert abs(gr["limiter"] - ((-25 + 24) - (-3.02))) < 0.05
