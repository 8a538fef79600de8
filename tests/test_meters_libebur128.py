"""The meter against libebur128 (the Debian package, through ctypes): integrated
loudness within 0.001 LU, because both gate every block exactly. Programmes
are built to put many gating blocks right at the relative gate, where a
histogram's 0.01 LU bins would move the result; the same signals also check
that the 4x true peak covers a file's last samples and is never below its
sample peak, and that the correlation covers the whole programme."""
import ctypes
import ctypes.util
import math

import numpy as np
import pytest

from dsp.kernels import meters as K
from dsp.meters import Meter, measure

_LIB = ctypes.util.find_library("ebur128")
needs_lib = pytest.mark.skipif(_LIB is None, reason="libebur128 is not installed (scripts/setup.sh installs it)")
MODE_I = (1 << 2) | (1 << 0)


def libebur128_integrated(x: np.ndarray, fs: int) -> float:
    lib = ctypes.CDLL(_LIB)
    lib.ebur128_init.restype = ctypes.c_void_p
    lib.ebur128_init.argtypes = [ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
    lib.ebur128_add_frames_double.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
    lib.ebur128_loudness_global.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_double)]
    lib.ebur128_destroy.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
    x = np.ascontiguousarray(x, dtype=np.float64)
    st = ctypes.c_void_p(lib.ebur128_init(x.shape[1], fs, MODE_I))
    if x.shape[1] == 5:      # L R C Ls Rs: libebur128 must be told the surrounds (1.41)
        lib.ebur128_set_channel.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int]
        for ch, kind in enumerate((1, 2, 3, 4, 5)):     # LEFT RIGHT CENTER LEFT_SURROUND RIGHT_SURROUND
            lib.ebur128_set_channel(st, ch, kind)
    lib.ebur128_add_frames_double(st, x.ctypes.data, x.shape[0])
    out = ctypes.c_double()
    lib.ebur128_loudness_global(st, ctypes.byref(out))
    lib.ebur128_destroy(ctypes.byref(st))
    return out.value


def near_the_gate(fs: int, channels: int, seconds: int, seed: int) -> np.ndarray:
    """Noise whose level jumps every 100 ms anywhere in a 24 dB range: the
    gating blocks spread evenly over the relative gate's neighbourhood."""
    rng = np.random.default_rng(seed)
    level_db = rng.uniform(-24, 0, seconds * 10)
    env = np.repeat(10 ** (level_db / 20), fs // 10)
    return rng.standard_normal((env.size, channels)) * env[:, None] * 0.1


@needs_lib
@pytest.mark.parametrize("fs,channels,seed", [(48000, 2, 1), (44100, 2, 2), (96000, 2, 3),
                                               (48000, 1, 4), (48000, 5, 5), (32000, 2, 6)])
def test_integrated_equals_libebur128(fs, channels, seed):
    x = near_the_gate(fs, channels, 40, seed)
    ours = measure(x, fs, channels=channels)["integrated_lufs"]
    theirs = libebur128_integrated(x, fs)
    assert abs(ours - theirs) <= 0.001, (ours, theirs)
    # streaming in odd blocks gates the same blocks
    m = Meter(fs, channels)
    for i in range(0, len(x), 12345):
        m.process(x[i:i + 12345])
    assert m.integrated() == ours


@needs_lib
def test_the_histogram_alone_would_miss():
    """The fallback (a reader that missed rows, like a meter copied in after a
    long run) reads from 0.01 LU bins; on this programme that differs from the
    exact gate by more than the exact path's tolerance. The test would pass
    without the exact path only if this one failed. (Seed 17: the first of
    these programmes with a block inside the 0.01 LU bin that holds the gate.)"""
    fs = 48000
    x = near_the_gate(fs, 2, 40, 17)
    m = Meter(fs, 2)
    m.process(x)
    exact = m.integrated()
    m._exact = False
    binned = m.integrated()
    assert abs(exact - libebur128_integrated(x, fs)) <= 0.001
    assert abs(binned - exact) > 0.001, (binned, exact)


def test_true_peak_covers_the_last_samples_and_the_sample_peak():
    fs = 48000
    one = np.zeros((1, 2))
    one[0, 0] = 10 ** (-6 / 20)
    r = measure(one, fs)
    assert r["true_peak_dbtp"] >= r["sample_peak_dbfs"] - 1e-9
    assert abs(r["true_peak_dbtp"] - -6.0) < 0.05
    # a click in the very last frame of a quiet file
    x = np.zeros((fs * 2, 2))
    x[:, :] = 1e-3 * np.sin(2 * np.pi * 100 * np.arange(fs * 2) / fs)[:, None]
    x[-1, 1] = 0.5
    for whole in (True, False):
        m = Meter(fs, 2)
        if whole:
            m.measure_whole(x)
        else:
            m.process(x)
        assert 20 * math.log10(m.true_peak_linear()) >= 20 * math.log10(0.5) - 1e-9
    # the interpolated tail of a full-scale tone cut at its peak reads over 0 dBFS
    # (an independent sum: the Annex 2 points after the last sample)
    from dsp.bs1770 import annex2_phases
    t = np.arange(fs) / fs
    s = np.sin(2 * np.pi * 11000 * t + 0.3)
    h = annex2_phases()
    tail = np.concatenate([s[-11:], np.zeros(11)])
    want = max(np.max(np.abs(np.convolve(np.concatenate([np.zeros(11), s, np.zeros(11)]), h[q])))
               for q in range(4))
    assert want > np.max(np.abs(np.convolve(tail, h[0])[:11]))   # the signal has a tail to read
    r = measure(np.stack([s, s], 1), fs)
    assert abs(r["true_peak_dbtp"] - 20 * math.log10(want)) < 1e-6


def test_correlation_covers_the_whole_programme():
    """In phase for 8 s, then 2 s out of phase: the whole file's correlation
    is (8 - 2) / 10 = 0.6; the live figure (0.4 s time constant) reads the
    end: -1 + 2 exp(-2 / 0.4) = -0.987."""
    fs = 48000
    rng = np.random.default_rng(5)
    s = rng.standard_normal(fs * 10) * 0.1
    x = np.stack([s, s], 1)
    x[8 * fs:, 1] *= -1
    r = measure(x, fs)
    assert abs(r["correlation"] - 0.6) < 0.01
    assert abs(r["correlation_recent"] - (-1 + 2 * math.exp(-5))) < 0.01
    assert K.S_CSUM > 0
