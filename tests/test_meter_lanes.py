"""The meter's per-frame vector loop (dsp/kernels/meter_lanes.py) against
independent references: scipy's sosfilt for the K-weighting, numpy for the
sums, the history and the peak; and the meter's correlation and balance
against their analytic values."""
import math

import numpy as np
import pytest
from scipy.signal import sosfilt

from dsp.kernels.meter_lanes import STATE_WORDS, meter_pair
from dsp.meters import Meter, k_weighting

FS = 48000


def _coef():
    shelf, hp = k_weighting(FS)
    return np.repeat(np.array([shelf, hp]).ravel(), 2), np.array([np.r_[shelf[:3], 1.0, shelf[3:]],
                                                                     np.r_[hp[:3], 1.0, hp[3:]]])


@pytest.mark.parametrize("kind", ["float32", "float64", "strided", "mono"])
def test_meter_pair_matches_scipy_and_numpy(kind):
    rng = np.random.default_rng(2)
    n = 700
    src = rng.standard_normal((n, 4)) * 0.3
    if kind == "float32":
        x = src[:, :2].astype(np.float32).copy()
    elif kind == "float64":
        x = src[:, :2].copy()
    elif kind == "strided":
        x = src[:, ::2]                                  # not contiguous: channel by channel
    else:
        x = src[:, :1].copy()
    pair = kind != "mono"
    coef, sos = _coef()
    g = np.array([1.0, 1.41]) if pair else np.array([1.0, 0.0])
    state = np.zeros(STATE_WORDS)
    xs = x.astype(np.float64)
    left = xs[:, 0]
    right = xs[:, 1] if pair else np.zeros(n)
    yl, yr = sosfilt(sos, left), sosfilt(sos, right)
    # uneven segments; the running sums are read and cleared after each, as
    # the meter does at the end of a sub-block
    cuts = [0, 1, 5, 48, 211, 212, 600, n]
    for a, b in zip(cuts[:-1], cuts[1:]):
        hx = np.zeros(2 * (11 + b - a))
        sp = meter_pair(x, a, b - a, 0, pair, pair, coef, state, hx, g)
        assert sp == np.abs(xs[a:b]).max()
        assert np.array_equal(hx[22:].reshape(-1, 2)[:, 0], left[a:b])
        assert np.array_equal(hx[22:].reshape(-1, 2)[:, 1], right[a:b])
        e = np.array([g[0] * (yl[a:b] ** 2).sum(), g[1] * (yr[a:b] ** 2).sum()])
        assert np.allclose(state[16:18], e, rtol=1e-12, atol=1e-300)
        if pair:
            lr = (left[a:b] * right[a:b]).sum()
            assert np.allclose(state[18:22], [(left[a:b] ** 2).sum(), (right[a:b] ** 2).sum(), lr, lr],
                               rtol=1e-12)
        state[16:] = 0.0


def test_meter_pair_refuses_what_lies_outside():
    coef, _ = _coef()
    x = np.zeros((10, 2), np.float32)
    with pytest.raises(ValueError, match="outside its layout"):
        meter_pair(x, 5, 6, 0, True, True, coef, np.zeros(STATE_WORDS), np.zeros(40), np.ones(2))
    with pytest.raises(ValueError, match="outside its layout"):
        meter_pair(x, 0, 4, 1, True, False, coef, np.zeros(STATE_WORDS), np.zeros(40), np.ones(2))


@pytest.mark.parametrize("phase_deg", [0, 45, 90, 135, 180])
def test_correlation_of_phase_shifted_tones_is_the_cosine(phase_deg):
    t = np.arange(FS * 3) / FS
    phi = math.radians(phase_deg)
    x = np.stack([np.sin(2 * np.pi * 997 * t), np.sin(2 * np.pi * 997 * t + phi)], 1) * 0.5
    m = Meter(FS)
    m.process(x.astype(np.float32))
    r = m.results()
    assert abs(r["correlation"] - math.cos(phi)) < 2e-3, r["correlation"]
    assert abs(r["balance_db"]) < 0.01


def test_balance_reads_the_level_difference():
    rng = np.random.default_rng(4)
    s = rng.standard_normal(FS * 3) * 0.1
    m = Meter(FS)
    m.process(np.stack([s, 0.5 * s], 1))
    r = m.results()
    assert abs(r["balance_db"] - 20 * math.log10(0.5)) < 0.01
    assert abs(r["correlation"] - 1.0) < 1e-9
