"""The streamed tools `check` and `render --target` measure with, against
independent calculations: the 44.1 kHz conversion equals scipy's
resample_poly whatever the block sizes; the precise true peak reads a tone of
known analytic peak (and band-limited noise as a full-band reference reads it)
within 0.01 dB, includes the file's ends, and
does not depend on how the file is cut into blocks."""
import math

import numpy as np
import pytest
from scipy.signal import resample_poly

from dsp.resample import Resampler
from dsp.truepeak import PreciseTruePeak, true_peak_precise


def _stream(r: Resampler, x: np.ndarray, sizes) -> np.ndarray:
    out, i, k = [], 0, 0
    while i < len(x):
        n = sizes[k % len(sizes)]
        out.append(r.process(x[i:i + n]))
        i += n
        k += 1
    out.append(r.finish())
    return np.concatenate(out)


@pytest.mark.parametrize("fs_in,fs_out", [(48000, 44100), (96000, 44100), (32000, 44100), (44100, 48000)])
@pytest.mark.parametrize("sizes", [(4096,), (1, 7, 333, 5000), (100000,)])
def test_resampler_equals_resample_poly(fs_in, fs_out, sizes):
    rng = np.random.default_rng(fs_in + len(sizes))
    x = (rng.standard_normal((fs_in // 3, 2)) * 0.2).astype(np.float32)
    want = resample_poly(x.astype(np.float64), fs_out // math.gcd(fs_in, fs_out),
                         fs_in // math.gcd(fs_in, fs_out), axis=0)
    got = _stream(Resampler(fs_in, fs_out, 2), x, sizes)
    assert got.shape == want.shape
    assert np.max(np.abs(got - want)) < 1e-6


def test_resampler_keeps_a_tone_level():
    fs = 48000
    t = np.arange(fs) / fs
    x = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)[:, None]
    y = _stream(Resampler(fs, 44100, 1), x, (4096,))[:, 0]
    mid = y[4410:-4410]
    rms_db = 20 * np.log10(np.sqrt(np.mean(mid.astype(np.float64) ** 2)) / (0.5 / np.sqrt(2)))
    assert abs(rms_db) < 0.01


@pytest.mark.parametrize("f_rel", [0.25, 0.1, 1 / 3])
def test_precise_true_peak_reads_an_analytic_peak(f_rel):
    # a sine sampled so that no sample lands on its crest: the sample peak is
    # below 0.5 by a known amount, the true peak is 0.5 exactly (the ends are
    # faded: a sine switched on abruptly reconstructs with an overshoot)
    fs = 48000
    n = np.arange(fs // 2)
    x = np.sin(2 * np.pi * f_rel * n + np.pi / 4 + 0.01).astype(np.float64)
    fade = np.sin(np.linspace(0, np.pi / 2, 2000)) ** 2     # no step at the ends
    env = np.full(len(x), 0.5)
    env[:2000] *= fade
    env[-2000:] *= fade[::-1]
    x *= env
    sample_peak_db = 20 * np.log10(np.max(np.abs(x)))
    tp = true_peak_precise(x[:, None].astype(np.float32))
    assert abs(tp - 20 * np.log10(0.5)) < 0.01
    if f_rel == 0.25:
        assert sample_peak_db < 20 * np.log10(0.5) - 0.5      # the case needs interpolation


def test_precise_true_peak_equals_the_full_band_reference_on_band_limited_noise():
    # the helpers' 32x windowed sinc (flat to 0.49 fs, scipy's design) is the
    # truth here; noise low-passed below 0.45 fs, faded at both ends
    from scipy.signal import firwin, lfilter

    from helpers import true_peak_fullband_db

    rng = np.random.default_rng(5)
    for k in range(8):
        fc = 0.2 + 0.25 * k / 7
        x = lfilter(firwin(401, 2 * fc), 1, rng.standard_normal(12000))[1000:]
        x *= 0.5 / np.max(np.abs(x))
        x[:500] *= np.linspace(0, 1, 500)
        x[-500:] *= np.linspace(1, 0, 500)
        x = x.astype(np.float32)[:, None]
        assert true_peak_precise(x) == pytest.approx(true_peak_fullband_db(x), abs=0.01)


def test_precise_true_peak_is_block_invariant_and_covers_the_ends():
    rng = np.random.default_rng(3)
    x = np.zeros((20000, 2), np.float32)
    x[:-1] = rng.standard_normal((19999, 2)).astype(np.float32) * 0.05
    x[-1] = [0.9, -0.7]              # a click in the very last frame
    whole = true_peak_precise(x)
    parts = PreciseTruePeak(2)
    for a, b in ((0, 1), (1, 700), (700, 19999), (19999, 20000)):
        parts.process(x[a:b])
    assert parts.dbtp() == pytest.approx(whole, abs=1e-6)
    assert whole >= 20 * np.log10(0.9) - 1e-6
    one = true_peak_precise(np.array([[0.5]], np.float32))
    assert one >= 20 * np.log10(0.5) - 1e-6


def test_silence_reads_minus_infinity_not_a_number():
    assert true_peak_precise(np.zeros((1000, 2), np.float32)) == float("-inf")
