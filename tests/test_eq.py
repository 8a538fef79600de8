"""EQ: measured responses against the analog prototypes (and Butterworth/LR math)."""
import numpy as np
import pytest
from scipy import signal

from dsp import filter_design as fd
from helpers import BOX_RATES, db, impulse_response, response_db

F = np.geomspace(20, 20000, 300)


def measured(fs, values):
    h = impulse_response(fs, values)
    return response_db(h, fs, F[F < 0.49 * fs])


def analog(kind, f, f0, g, q):
    return db({"bell": fd.analog_bell, "low_shelf": fd.analog_low_shelf,
               "high_shelf": fd.analog_high_shelf}[kind](f, f0, g, q))


@pytest.mark.parametrize("fs", [44100, 48000])
@pytest.mark.parametrize("kind,band", [("bell", "bell3"), ("high_shelf", "high_shelf")])
@pytest.mark.parametrize("f0", [10000, 12500, 16000])
@pytest.mark.parametrize("g", [-12, 6, 12])
@pytest.mark.parametrize("q", [0.5, 0.707, 2.0])
def test_high_bands_do_not_cramp(fs, kind, band, f0, g, q):
    """10-16 kHz bells and shelves match the analog prototype within 1 dB to 20 kHz."""
    v = {f"eq.{band}_freq_hz": f0, f"eq.{band}_gain_db": g, f"eq.{band}_q": q}
    m = measured(fs, v)
    a = analog(kind, F[F < 0.49 * fs], f0, g, q)
    err = np.max(np.abs(m - a))
    assert err < 1.0, f"{kind} {f0} Hz {g:+} dB Q{q} at {fs}: {err:.2f} dB off the analog curve"


@pytest.mark.parametrize("fs", BOX_RATES)
def test_low_and_mid_bands_match_closely(fs):
    v = {"eq.low_shelf_gain_db": 4, "eq.low_shelf_freq_hz": 120, "eq.low_shelf_q": 0.7,
         "eq.bell1_gain_db": -6, "eq.bell1_freq_hz": 300, "eq.bell1_q": 1.5,
         "eq.bell2_gain_db": 3, "eq.bell2_freq_hz": 2500, "eq.bell2_q": 0.8}
    f = F[F < 0.45 * fs]
    want = (analog("low_shelf", f, 120, 4, 0.7) + analog("bell", f, 300, -6, 1.5)
            + analog("bell", f, 2500, 3, 0.8))
    h = impulse_response(fs, v)
    got = response_db(h, fs, f)
    assert np.max(np.abs(got - want)) < 0.25


@pytest.mark.parametrize("fs", [44100, 96000])
@pytest.mark.parametrize("slope,order", [(0, 2), (1, 4)])
def test_high_pass_is_butterworth(fs, slope, order):
    v = {"eq.hp_on": 1, "eq.hp_freq_hz": 80, "eq.hp_slope": slope}
    f = F[F < 0.45 * fs]
    b, a = signal.butter(order, 80, "hp", fs=fs)
    _, H = signal.freqz(b, a, worN=f, fs=fs)
    got = response_db(impulse_response(fs, v, n=1 << 17), fs, f)
    sel = f > 20
    assert np.max(np.abs(got[sel] - db(H)[sel])) < 0.05
    assert abs(response_db(impulse_response(fs, v, n=1 << 17), fs, np.array([80.0]))[0] + 3.01) < 0.05


def test_mid_and_side_modes_touch_only_their_signal():
    fs = 48000
    n = 1 << 14
    base = {"eq.bell2_gain_db": 9, "eq.bell2_freq_hz": 1000, "eq.bell2_q": 1.0}
    for mode, affects_mid, affects_side in ((1, True, False), (2, False, True), (0, True, True)):
        v = dict(base, **{"eq.bell2_mode": mode})
        # mid impulse: L = R; side impulse: L = -R
        for kind, affected in (("mid", affects_mid), ("side", affects_side)):
            from helpers import run
            x = np.zeros((n, 2), np.float32)
            x[0] = (1e-3, 1e-3) if kind == "mid" else (1e-3, -1e-3)
            y, _ = run(x, fs, v)
            g = response_db(y[:, 0].astype(float) / 1e-3, fs, np.array([1000.0]))[0]
            assert abs(g - (9.0 if affected else 0.0)) < 0.05, (mode, kind, g)


def test_low_pass_near_nyquist_is_not_forced_to_zero():
    fs = 44100
    v = {"eq.lp_on": 1, "eq.lp_freq_hz": 18000}
    got = response_db(impulse_response(fs, v), fs, np.array([1000.0, 18000.0, 21000.0]))
    want = db(fd.analog_lowpass(np.array([1000.0, 18000.0, 21000.0]), 18000, 2 ** -0.5))
    assert np.max(np.abs(got - want)) < 1.0


@pytest.mark.parametrize("taps,cutoff,atten", [(129, 0.25, 60.0), (47, 0.5, 80.0), (513, 1 / 16, 70.0),
                                               (31, 0.3, 40.0), (15, 0.4, 10.0)])
def test_kaiser_lowpass_is_scipys_firwin(taps, cutoff, atten):
    """The numpy windowed sinc the engine uses (so it never loads scipy.signal)
    against scipy's own design."""
    from scipy.signal import firwin, kaiser_beta

    from dsp.filter_design import kaiser_beta as kb
    from dsp.filter_design import kaiser_lowpass

    assert kb(atten) == pytest.approx(kaiser_beta(atten), rel=1e-12)
    want = firwin(taps, cutoff, window=("kaiser", kaiser_beta(atten)))
    assert np.max(np.abs(kaiser_lowpass(taps, cutoff, atten) - want)) < 1e-15
