import numpy as np
import pytest

from dsp.spectrum import CENTRES, FFT_SIZE, fft_size, third_octave


@pytest.mark.parametrize("fs", [44100, 48000, 96000])
@pytest.mark.parametrize("band", [2, 10, 17, 25, 29])
def test_sine_reads_its_level_in_its_band(fs, band):
    f = 1000.0 * 2.0 ** ((band - 17) / 3.0)
    t = np.arange(fft_size(fs)) / fs
    x = 10 ** (-12 / 20) * np.sin(2 * np.pi * f * t + 0.3)
    levels = third_octave(x, fs)
    assert abs(levels[band] - -12.0) < 0.2, levels[band]
    others = np.delete(levels, [band - 1, band, band + 1])
    assert np.all(others[np.isfinite(others)] < -12.0 - 30)


def test_pink_noise_is_flat_and_white_rises_3db_per_band():
    fs = 48000
    rng = np.random.default_rng(0)
    n = FFT_SIZE
    white = rng.standard_normal(n)
    W = np.fft.rfft(white)
    f = np.fft.rfftfreq(n, 1 / fs)
    W[1:] /= np.sqrt(f[1:])
    W[0] = 0
    pink = np.fft.irfft(W, n)
    lp = third_octave(pink, fs)[6:29]          # 80 Hz-12.5 kHz: enough FFT bins per band
    assert np.ptp(lp) < 3.0
    lw = third_octave(white, fs)[6:29]
    slope = np.polyfit(np.arange(len(lw)), lw, 1)[0]
    assert abs(slope - 1.0) < 0.15               # +1 dB per third octave = +3 dB/octave


def test_shape():
    assert len(CENTRES) == 31 and len(third_octave(np.zeros(1000), 48000)) == 31
