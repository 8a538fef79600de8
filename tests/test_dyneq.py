"""The dynamic EQ (issue #30), measured from outside: the chain's output
against the analog prototypes' magnitude formulas (typed in here), scipy's
Welch transfer estimate, least-squares sine fits and I/Q envelopes.

A band's level is its detector's: for a steady sine at a bell's centre that
is the sine's peak level (the band-pass has 0 dB there), so the expected
gain change is the static curve computed here from the set threshold, ratio
and range."""
import math

import numpy as np
import pytest
from scipy import signal

from dsp.chain import Chain
from tests.helpers import thd_n_db

FS = 48000


def band(p="b1", **kv):
    v = {"dyneq.on": 1.0, f"dyneq.{p}_on": 1.0}
    v.update({f"dyneq.{p}_{k}": val for k, val in kv.items()})
    return v


def render(values, x):
    c = Chain(FS, values, monitor=False)
    L = c.latency
    x = np.asarray(x, np.float32)
    return c.process(np.concatenate([x, np.zeros((L, 2), np.float32)]))[L:].astype(np.float64)


def sine(level_db, seconds, f=1000.0):
    t = np.arange(int(seconds * FS)) / FS
    x = 10 ** (level_db / 20) * np.sin(2 * np.pi * f * t)
    return np.stack([x, x], 1)


def curve(level, thr, ratio, rng):
    """The gain change a steady level asks for, dB."""
    g = min(max((level - thr) * (1 - 1 / ratio), 0.0), abs(rng))
    return -g if rng < 0 else g


# analog prototypes (RBJ), |H(j f/f0)|
def bell(f, f0, g, q):
    A, s = 10 ** (g / 40), 1j * f / f0
    return np.abs((s * s + s * A / q + 1) / (s * s + s / (A * q) + 1))


def low_shelf(f, f0, g, q):
    A, s = 10 ** (g / 40), 1j * f / f0
    return np.abs(A * (s * s + math.sqrt(A) / q * s + A) / (A * s * s + math.sqrt(A) / q * s + 1))


def high_shelf(f, f0, g, q):
    A, s = 10 ** (g / 40), 1j * f / f0
    return np.abs(A * (A * s * s + math.sqrt(A) / q * s + 1) / (s * s + math.sqrt(A) / q * s + A))


def transfer_db(x, y, f):
    """|H| in dB at f from input x to output y (Welch, 2^15 segments)."""
    ff, pxy = signal.csd(x, y, FS, nperseg=1 << 15)
    _, pxx = signal.welch(x, FS, nperseg=1 << 15)
    return np.interp(f, ff, 20 * np.log10(np.abs(pxy / pxx)))


def test_a_band_on_but_idle_nulls_against_the_chain_without_it():
    rng = np.random.default_rng(1)
    x = 0.03 * rng.standard_normal((FS * 2, 2))        # ~ -30 dBFS, far under a 0 dB threshold
    for p in ("b1", "b2"):
        on = render(band(p, threshold_db=0.0, range_db=-12.0), x)
        off = render({}, x)
        null = 20 * np.log10(np.max(np.abs(on - off)) / np.max(np.abs(off)) + 1e-300)
        assert null < -120.0, (p, null)


@pytest.mark.parametrize("rng_db", [-8.0, 8.0])
def test_static_curve_follows_the_ratio_until_the_range(rng_db):
    """A steady sine at the bell's centre, threshold -20 dB to +20 dB: the
    band's gain (the output's sine over the input's, least squares) is the
    static curve within 0.5 dB at every point."""
    thr, ratio = -30.0, 2.0
    v = band(freq_hz=1000.0, q=1.0, threshold_db=thr, ratio=ratio, range_db=rng_db,
             attack_ms=5.0, release_ms=50.0)
    for level in np.arange(thr - 20.0, thr + 20.5, 4.0):
        y = render(v, sine(level, 0.6))[-int(0.2 * FS):, 0]
        t = np.arange(len(y)) / FS
        M = np.stack([np.sin(2 * np.pi * 1000 * t), np.cos(2 * np.pi * 1000 * t)], 1)
        coef, *_ = np.linalg.lstsq(M, y, rcond=None)
        got = 20 * np.log10(np.hypot(*coef)) - level
        want = curve(level, thr, ratio, rng_db)
        assert abs(got - want) < 0.5, (level, got, want)


SHAPES = [("bell", bell, 1000.0, 1.0), ("bell", bell, 120.0, 4.0), ("bell", bell, 6000.0, 0.7),
          ("lo-shelf", low_shelf, 200.0, 0.707), ("hi-shelf", high_shelf, 5000.0, 0.707)]


@pytest.mark.parametrize("kind, proto, f0, q", SHAPES)
def test_held_at_minus_6_db_the_band_is_the_static_filter(kind, proto, f0, q):
    """Loud noise holds the change at the range (-6 dB): the chain is then
    time-invariant, and its response (Welch) is the analog prototype's at
    -6 dB within 0.5 dB from 20 Hz to 20 kHz."""
    from dsp.modules.dyneq import TYPES

    rng = np.random.default_rng(2)
    x = 0.1 * rng.standard_normal(FS * 6)
    v = band(type=float(TYPES.index(kind)), freq_hz=f0, q=q, threshold_db=-60.0, ratio=20.0,
             range_db=-6.0)
    y = render(v, np.stack([x, x], 1))[FS:, 0]
    f = np.geomspace(20, 20000, 200)
    err = transfer_db(x[FS:], y, f) - 20 * np.log10(proto(f, f0, -6.0, q))
    assert np.max(np.abs(err)) < 0.5, (f[np.argmax(np.abs(err))], np.max(np.abs(err)))


@pytest.mark.parametrize("mode, works, rests", [(1.0, "mid", "side"), (2.0, "side", "mid")])
def test_a_mid_or_side_band_leaves_the_other_flat(mode, works, rests):
    rng = np.random.default_rng(3)
    x = 0.1 * rng.standard_normal((FS * 6, 2))
    v = band(freq_hz=2000.0, q=1.0, threshold_db=-60.0, ratio=20.0, range_db=-6.0, mode=mode)
    y = render(v, x)[FS:]
    x = x[FS:]
    ms = lambda a: {"mid": 0.5 * (a[:, 0] + a[:, 1]), "side": 0.5 * (a[:, 0] - a[:, 1])}  # noqa: E731
    f = np.geomspace(20, 20000, 200)
    shaped = transfer_db(ms(x)[works], ms(y)[works], f) - 20 * np.log10(bell(f, 2000.0, -6.0, 1.0))
    flat = transfer_db(ms(x)[rests], ms(y)[rests], f)
    assert np.max(np.abs(shaped)) < 0.5
    assert np.max(np.abs(flat)) < 0.05, np.max(np.abs(flat))


def envelope_gain_db(x, y, f=1000.0):
    """The output's amplitude over the input's at f, per sample (I/Q
    demodulation averaged over one period)."""
    t = np.arange(len(x)) / FS
    k = np.ones(int(FS / f)) / int(FS / f)

    def amp(s):
        return 2 * np.hypot(np.convolve(s * np.cos(2 * np.pi * f * t), k, "same"),
                            np.convolve(s * np.sin(2 * np.pi * f * t), k, "same"))
    return 20 * np.log10(amp(y) / amp(x))


@pytest.mark.parametrize("attack, release", [(50.0, 200.0), (30.0, 500.0), (20.0, 100.0)])
def test_a_10_db_step_reaches_63_percent_in_the_attack_and_recovers_in_the_release(attack, release):
    thr = -30.0
    v = band(freq_hz=1000.0, q=1.0, threshold_db=thr, ratio=4.0, range_db=-12.0,
             attack_ms=attack, release_ms=release)
    t = np.arange(int(FS * 3.0)) / FS
    up, down = 0.5, 1.5
    a = np.where((t >= up) & (t < down), 10 ** ((thr + 10) / 20), 10 ** (thr / 20))
    x = a * np.sin(2 * np.pi * 1000 * t)
    g = envelope_gain_db(x, render(v, np.stack([x, x], 1))[:, 0])
    i0, i1 = int(up * FS), int(down * FS)
    full = curve(thr + 10, thr, 4.0, -12.0)                     # -7.5 dB
    settled = np.median(g[i1 - FS // 10:i1 - FS // 50])
    assert abs(settled - full) < 0.5
    t_att = np.argmax(g[i0:] <= 0.632 * full) / FS * 1000
    t_rel = np.argmax(g[i1:] >= 0.368 * full) / FS * 1000
    assert abs(t_att - attack) <= 0.1 * attack, t_att
    assert abs(t_rel - release) <= 0.1 * release, t_rel


@pytest.mark.parametrize("release", [50.0, 200.0])
def test_6_db_of_gain_change_on_a_sine_stays_clean(release):
    """THD+N of a 1 kHz sine 8 dB over the threshold at 4:1 (6 dB of change,
    set by the ratio, not held by the range): at most -80 dB."""
    v = band(freq_hz=1000.0, q=1.0, threshold_db=-30.0, ratio=4.0, range_db=-24.0,
             release_ms=release)
    y = render(v, sine(-22.0, 3.0))[FS:, 0]
    assert abs(20 * np.log10(np.max(np.abs(y))) + 28.0) < 0.1      # the 6 dB are there
    assert thd_n_db(y, FS, 1000.0) <= -80.0


def test_sidechain_listen_plays_the_detector_and_only_on_the_monitor():
    """Listening "dyn1" plays band 1's detector (a band-pass at its frequency,
    RBJ constant peak, computed here with scipy) in place of the output; a
    render of the same chain is untouched by it."""
    rng = np.random.default_rng(4)
    x = (0.05 * rng.standard_normal((FS, 2))).astype(np.float32)
    v = band(freq_hz=2000.0, q=2.0, threshold_db=0.0)
    c = Chain(FS, v)
    c.set_solo("dyn1")
    c.process(np.zeros((FS // 10, 2), np.float32))              # the listening fade settles
    heard = c.process(x).astype(np.float64)
    w0 = 2 * np.pi * 2000.0 / FS
    al = np.sin(w0) / (2 * 2.0)
    b, a = [al, 0.0, -al], [1 + al, -2 * np.cos(w0), 1 - al]
    want = signal.lfilter(b, a, x.astype(np.float64), axis=0)
    err = np.max(np.abs(heard[FS // 10:] - want[FS // 10:])) / np.max(np.abs(want))
    assert 20 * np.log10(err) < -60.0
    assert np.array_equal(render(v, x), render(v, x))               # renders have no monitor
    rendered = render(v, x)
    assert np.max(np.abs(rendered - x)) < 1e-6                      # idle band: the input itself


def test_a_cut_and_a_boost_read_as_a_reduction_and_a_boost():
    c = Chain(FS, {**band("b1", freq_hz=1000.0, threshold_db=-40.0, range_db=-6.0, ratio=20.0),
                   **band("b2", freq_hz=1000.0, threshold_db=-40.0, range_db=4.0, ratio=20.0)})
    c.process(sine(-10.0, 1.0).astype(np.float32))
    gr, up = c.gain_reduction_db(), c.boosts()
    assert abs(gr["dyneq.b1"] - 6.0) < 0.05 and up["dyneq.b1"] == 0.0
    assert abs(up["dyneq.b2"] - 4.0) < 0.05 and gr["dyneq.b2"] == 0.0
