"""Saturation and clipper: aliasing, harmonics, level compensation, ceiling."""
import numpy as np
import pytest

from helpers import db, run


def spectrum_db(y, fs):
    w = np.blackman(len(y))
    S = np.abs(np.fft.rfft(y * w))
    return np.fft.rfftfreq(len(y), 1 / fs), db(S / S.max())


@pytest.mark.parametrize("fs", [44100, 48000])
@pytest.mark.parametrize("character", [0, 1])
def test_aliases_70db_down_at_full_drive(fs, character):
    """A 10 kHz sine at 0 VU (-18 dBFS) with the drive at its 24 dB maximum."""
    n = fs * 2
    t = np.arange(n) / fs
    x = (10 ** (-18 / 20) * np.sin(2 * np.pi * 10000 * t)).astype(np.float32)
    y, _ = run(x, fs, {"saturation.on": 1, "saturation.drive_db": 24,
                       "saturation.character": character})
    f, S = spectrum_db(y[fs // 2:fs // 2 + fs, 0].astype(np.float64), fs)
    keep = np.ones_like(S, bool)
    for h in [0.0] + [10000.0 * k for k in range(1, 3) if 10000 * k < fs / 2]:
        keep &= np.abs(f - h) > 40
    assert S[keep].max() < -70, f"worst alias {S[keep].max():.1f} dB"
    harm3 = S[np.argmin(np.abs(f - 30000))] if fs > 60000 else None
    assert harm3 is None


def harmonics(y, fs, f0, k):
    f, S = spectrum_db(y, fs)
    return np.array([S[np.argmin(np.abs(f - f0 * i))] for i in range(1, k + 1)])


def test_characters_differ_in_even_harmonics():
    fs = 48000
    t = np.arange(fs) / fs
    x = (10 ** (-12 / 20) * np.sin(2 * np.pi * 500 * t)).astype(np.float32)
    v = {"saturation.on": 1, "saturation.drive_db": 12}
    tape, _ = run(x, fs, dict(v, **{"saturation.character": 0}))
    tube, _ = run(x, fs, dict(v, **{"saturation.character": 1}))
    ht = harmonics(tape[fs // 4:, 0].astype(float), fs, 500, 3)
    hu = harmonics(tube[fs // 4:, 0].astype(float), fs, 500, 3)
    assert ht[2] > -40 and ht[1] < -80        # tape: odd (3rd) harmonic, no 2nd
    assert hu[1] > -40                        # tube: a strong 2nd harmonic


@pytest.mark.parametrize("drive", [0.0, 6.0, 12.0, 24.0])
def test_auto_gain_keeps_reference_level(drive):
    fs = 48000
    t = np.arange(fs) / fs
    x = (10 ** (-12 / 20) * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    y, _ = run(x, fs, {"saturation.on": 1, "saturation.drive_db": drive})
    rms = lambda a: np.sqrt(np.mean(a.astype(float) ** 2))  # noqa: E731
    assert abs(db(rms(y[fs // 4:, 0]) / rms(x[fs // 4:]))) < 0.1


def test_mix_zero_is_dry_through_the_oversampler():
    fs = 48000
    t = np.arange(fs) / fs
    x = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    y, _ = run(x, fs, {"saturation.on": 1, "saturation.drive_db": 24, "saturation.mix_pct": 0})
    # only the 4x filters' passband ripple remains
    assert np.max(np.abs(y[1000:-1000, 0] - x[1000:-1000])) < 1e-3


@pytest.mark.parametrize("ceiling", [-6.0, -1.0, 0.0])
def test_clipper_ceiling_and_transparency_below(ceiling):
    fs = 48000
    t = np.arange(fs) / fs
    loud = (2.0 * np.sin(2 * np.pi * 100 * t)).astype(np.float32)
    y, _ = run(loud, fs, {"clipper.on": 1, "clipper.ceiling_db": ceiling, "clipper.softness_db": 2})
    assert db(np.max(np.abs(y[:, 0]))) < ceiling + 0.3     # 4x filtering may ring a little
    quiet = (10 ** ((ceiling - 6) / 20) * np.sin(2 * np.pi * 100 * t)).astype(np.float32)
    y, _ = run(quiet, fs, {"clipper.on": 1, "clipper.ceiling_db": ceiling, "clipper.softness_db": 2})
    assert np.max(np.abs(y[1000:-1000, 0] - quiet[1000:-1000])) < 1e-3


def test_fast_tanh_against_numpy():
    """The branch-free rational tanh the 4x modules use, against libm's."""
    from numba import njit

    from dsp.kernels.common import fast_tanh

    @njit
    def apply(x, out):
        for i in range(x.shape[0]):
            out[i] = fast_tanh(x[i])

    x = np.concatenate([np.linspace(-20, 20, 400001), [0.0, 1e-300, -1e-300, 1e6, -1e6]])
    out = np.empty_like(x)
    apply(x, out)
    err = np.abs(out - np.tanh(x))
    assert err.max() < 3e-7, f"worst error {err.max():.2e} at x = {x[err.argmax()]}"
    assert np.all(np.abs(out) <= 1.0 + 1e-12)
    assert np.array_equal(np.sign(out), np.sign(x))

