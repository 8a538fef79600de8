"""The meter's per-frame vector loop (dsp/kernels/meter_lanes.py) against
independent references: scipy's sosfilt for the K-weighting, numpy for the
sums, the history and the peak; and the meter's correlation and balance
against their analytic values."""
import math

import numpy as np
import pytest
from scipy.signal import sosfilt

from dsp.kernels.meter_lanes import STATE_WORDS, meter_pair
from dsp.bs1770 import k_weighting
from dsp.meters import Meter

FS = 48000


def _coef():
    shelf, hp = k_weighting(FS)
    return np.repeat(np.array([shelf, hp]).ravel(), 2), np.array([np.r_[shelf[:3], 1.0, shelf[3:]],
                                                                     np.r_[hp[:3], 1.0, hp[3:]]])


@pytest.mark.parametrize("kind", ["float32", "float64", "strided", "mono"])
@pytest.mark.parametrize("tp", [True, False])
def test_meter_pair_matches_scipy_and_numpy(kind, tp):
    rng = np.random.default_rng(2)
    n = 700
    sub = 37
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
    want = np.stack([g[0] * yl ** 2, g[1] * yr ** 2, left ** 2, right ** 2, left * right, left * right], 1)
    if not pair:
        want[:, 2:] = 0.0
    got = []
    # uneven calls; each sub-block's six sums come out where it ends
    cuts = [0, 1, 5, 48, 211, 212, 600, n]
    for a, b in zip(cuts[:-1], cuts[1:]):
        hx = np.full(2 * (11 + b - a), -7.0)
        out = np.zeros(6 * (n // sub + 1))
        rem = sub - a % sub
        sp = meter_pair(x, a, b - a, 0, pair, pair, tp, coef, state, hx, g, rem, sub, out)
        assert sp == np.abs(xs[a:b]).max()
        if tp:
            assert np.array_equal(hx[22:].reshape(-1, 2), np.stack([left[a:b], right[a:b]], 1))
        else:
            assert np.all(hx == -7.0)
        k = 0 if b - a < rem else 1 + (b - a - rem) // sub
        got += list(out[:6 * k].reshape(k, 6))
        # the running sums of the sub-block still open
        start = b - b % sub
        assert np.allclose(state[16:22], want[start:b].sum(0), rtol=1e-12, atol=1e-300)
    ref = want[:n - n % sub].reshape(-1, sub, 6).sum(1)
    assert len(got) == len(ref)
    assert np.allclose(np.array(got), ref, rtol=1e-12, atol=1e-300)


def test_meter_pair_refuses_what_lies_outside():
    coef, _ = _coef()
    x = np.zeros((10, 2), np.float32)
    with pytest.raises(ValueError, match="outside its layout"):
        meter_pair(x, 5, 6, 0, True, True, True, coef, np.zeros(STATE_WORDS), np.zeros(40), np.ones(2),
                   4, 4, np.zeros(12))
    with pytest.raises(ValueError, match="outside its layout"):
        meter_pair(x, 0, 4, 1, True, False, True, coef, np.zeros(STATE_WORDS), np.zeros(40), np.ones(2),
                   4, 4, np.zeros(12))
    with pytest.raises(ValueError, match="outside its layout"):       # out too short for 2 sub-blocks
        meter_pair(x, 0, 8, 0, True, True, True, coef, np.zeros(STATE_WORDS), np.zeros(40), np.ones(2),
                   4, 4, np.zeros(11))


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
