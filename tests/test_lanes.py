"""The SIMD kernels (dsp/kernels/lanes.py) against independent references:
scipy's sosfilt for the biquad cascades, numpy's dot products for the Annex 2
interpolator, exact rational arithmetic for the fused multiply-add."""
from fractions import Fraction

import numpy as np
import pytest
from numba import njit
from scipy.signal import butter, sosfilt

from dsp.bs1770 import annex2_phases
from dsp.kernels import lanes
from dsp.kernels.common import fma


def _sections(lanes_n, nsec, seed):
    """Different stable biquads per lane and section: (sos per lane, lanes layout)."""
    rng = np.random.default_rng(seed)
    sos = np.zeros((lanes_n, nsec, 6))
    table = np.zeros(nsec * 5 * lanes_n)
    for lane in range(lanes_n):
        for q in range(nsec):
            f = rng.uniform(0.01, 0.45)
            b, a = butter(2, f, btype="low" if rng.random() < 0.5 else "high")
            sos[lane, q] = np.r_[b, a]
            for k, v in enumerate((b[0], b[1], b[2], a[1], a[2])):
                table[(q * 5 + k) * lanes_n + lane] = v
    return sos, table


@pytest.mark.parametrize("kernel, lanes_n, nsec, words", [
    (lanes.k_weight4, 4, 2, 4),
    (lambda x, y, n, c, s: lanes.cascade2(5, x, y, n, c, s), 2, 5, 2),
    (lambda x, y, n, c, s: lanes.cascade2(9, x, y, n, c, s), 2, 9, 2),
])
def test_cascades_match_scipy_across_calls(kernel, lanes_n, nsec, words):
    sos, table = _sections(lanes_n, nsec, seed=nsec * 10 + lanes_n)
    rng = np.random.default_rng(1)
    n = 1000
    x = rng.standard_normal((n, lanes_n))
    state = np.zeros(nsec * words * lanes_n)
    flat = x.ravel().copy()
    y = np.zeros_like(flat)
    # in three calls of uneven length, the middle one in place
    cuts = [0, 137, 600, n]
    for a, b in zip(cuts[:-1], cuts[1:]):
        seg = flat[a * lanes_n:b * lanes_n]
        if a == 137:
            kernel(seg, seg, b - a, table, state)
            y[a * lanes_n:b * lanes_n] = seg
        else:
            kernel(seg, y[a * lanes_n:b * lanes_n], b - a, table, state)
    y = y.reshape(n, lanes_n)
    ref = np.stack([sosfilt(sos[lane], x[:, lane]) for lane in range(lanes_n)], 1)
    assert np.abs(y - ref).max() < 1e-12 * np.abs(ref).max()


def test_cascade_refuses_short_arrays():
    with pytest.raises(ValueError, match="shorter than its layout"):
        lanes.k_weight4(np.zeros(20), np.zeros(20), 6, np.zeros(40), np.zeros(32))


def _annex_reference(x):
    """Per frame, the largest |y| over the four phases of both channels (numpy)."""
    h_rev = annex2_phases()[:, ::-1]                 # oldest tap first
    n = x.shape[0] - 11
    out = np.zeros(n)
    for i in range(n):
        w = x[i:i + 12]
        out[i] = max(np.abs(h_rev @ w[:, 0]).max(), np.abs(h_rev @ w[:, 1]).max())
    return out


H_REV = lanes.annex_folded(annex2_phases()[:, ::-1])


@pytest.mark.parametrize("count", [0, 3, 128, 203])
def test_annex_peak_matches_numpy(count):
    rng = np.random.default_rng(count)
    x = rng.standard_normal((count + 11, 2))
    want = _annex_reference(x).max() if count else 0.0
    got = lanes.annex_peak(x.ravel().copy(), count, H_REV)
    assert abs(got - want) < 1e-14


def test_annex_peak_is_the_same_whatever_the_split():
    """Four frames a vector, the rest one at a time: a frame's figure must not
    depend on which of the two computed it, so the peak of a signal split
    anywhere equals the peak of the whole, bit for bit."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((64 + 11, 2)).ravel()
    per_frame = [lanes.annex_peak(x[2 * i:].copy(), 1, H_REV) for i in range(64)]
    for a in range(1, 9):
        whole = lanes.annex_peak(x, 64, H_REV)
        parts = max(lanes.annex_peak(x, a, H_REV), lanes.annex_peak(x[2 * a:].copy(), 64 - a, H_REV))
        assert parts == whole == max(per_frame)
    # and every frame's figure is the vector loop's
    for i in range(0, 56, 8):
        assert lanes.annex_peak(x[2 * i:].copy(), 8, H_REV) == max(per_frame[i:i + 8])


def test_annex_peak_refuses_short_arrays_and_an_asymmetric_filter():
    with pytest.raises(ValueError, match="shorter than its layout"):
        lanes.annex_peak(np.zeros(30), 5, H_REV)
    h = annex2_phases()[:, ::-1].copy()
    h[3, 0] += 1e-9
    with pytest.raises(ValueError, match="not symmetric"):
        lanes.annex_folded(h)


@njit
def _fma(a, b, c):
    return fma(a, b, c)


def test_fma_rounds_once():
    # a*b + c where the product's low bits decide the result: a separate
    # multiply and add loses them, a fused one keeps them
    a = 1.0 + 2.0 ** -30
    b = 1.0 - 2.0 ** -30
    c = -1.0
    exact = Fraction(a) * Fraction(b) + Fraction(c)
    assert _fma(a, b, c) == float(exact) == -(2.0 ** -60)
    assert a * b + c == 0.0
