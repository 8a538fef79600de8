"""Coefficient design, run off the audio thread (numpy/scipy allowed here).

Biquads are returned as ``(b0, b1, b2, a1, a2)`` with a0 = 1 and the convention
``y = b.x - a.y``.

EQ bells and shelves use the matched-response method of M. Vicanek, "Matched
Second Order Digital Filters" (2016): poles by impulse invariance of the analog
prototype (so the resonance sits where the analog one does, however close to
Nyquist), numerator chosen so the magnitude matches the analog prototype exactly
at DC, at the corner frequency and at Nyquist. That is what keeps a 16 kHz bell at
44.1 kHz from cramping. High- and low-pass sections are plain bilinear Butterworth
(prewarped), which is exact enough below 300 Hz and is what a crossover needs
(LR sums rely on the bilinear sections' phase relations).
"""
from __future__ import annotations

import functools
import math

import numpy as np

IDENTITY = (1.0, 0.0, 0.0, 0.0, 0.0)


# ---------------------------------------------------------------- analog prototypes
def analog_bell(f, f0, gain_db, q):
    """|H| of the analog peaking EQ (RBJ prototype) at frequencies f (Hz)."""
    A = 10 ** (gain_db / 40)
    s = 1j * np.asarray(f, dtype=float) / f0
    return np.abs((s * s + s * A / q + 1) / (s * s + s / (A * q) + 1))


def analog_low_shelf(f, f0, gain_db, q):
    A = 10 ** (gain_db / 40)
    s = 1j * np.asarray(f, dtype=float) / f0
    sa = math.sqrt(A)
    return np.abs(A * (s * s + sa / q * s + A) / (A * s * s + sa / q * s + 1))


def analog_high_shelf(f, f0, gain_db, q):
    A = 10 ** (gain_db / 40)
    s = 1j * np.asarray(f, dtype=float) / f0
    sa = math.sqrt(A)
    return np.abs(A * (A * s * s + sa / q * s + 1) / (s * s + sa / q * s + A))


def analog_lowpass(f, f0, q):
    s = 1j * np.asarray(f, dtype=float) / f0
    return np.abs(1 / (s * s + s / q + 1))


# ---------------------------------------------------------------- matched design
def _poles_impulse_invariant(w0: float, q: float) -> tuple[float, float]:
    """Denominator (a1, a2) whose poles are exp(p T) for the analog poles of
    s^2 + (w0/q) s + w0^2, w0 in radians per sample."""
    zeta = 1.0 / (2.0 * q)
    a2 = math.exp(-2.0 * zeta * w0)
    if zeta <= 1.0:
        a1 = -2.0 * math.exp(-zeta * w0) * math.cos(math.sqrt(1.0 - zeta * zeta) * w0)
    else:
        a1 = -2.0 * math.exp(-zeta * w0) * math.cosh(math.sqrt(zeta * zeta - 1.0) * w0)
    return a1, a2


def _matched_numerator(a1, a2, mag2_dc, mag2_nyq, w_match, mag2_match):
    """Numerator whose |B/A|^2 equals the given targets at 0, w_match and pi."""
    def phis(w):
        s2 = math.sin(w / 2) ** 2
        return 1.0 - s2, s2, 4.0 * (1.0 - s2) * s2

    A0 = (1.0 + a1 + a2) ** 2
    A1 = (1.0 - a1 + a2) ** 2
    A2 = -4.0 * a2
    p0, p1, p2 = phis(w_match)
    B0 = mag2_dc * A0
    B1 = mag2_nyq * A1
    denom = A0 * p0 + A1 * p1 + A2 * p2
    B2 = (mag2_match * denom - B0 * p0 - B1 * p1) / p2
    sB0, sB1 = math.sqrt(B0), math.sqrt(B1)
    W = 0.5 * (sB0 + sB1)
    b0 = 0.5 * (W + math.sqrt(max(W * W + B2, 0.0)))
    b1 = 0.5 * (sB0 - sB1)
    b2 = -B2 / (4.0 * b0)
    return b0, b1, b2


def _numerator_from_B(B0, B1, B2):
    sB0, sB1 = math.sqrt(max(B0, 0.0)), math.sqrt(max(B1, 0.0))
    W = 0.5 * (sB0 + sB1)
    b0 = 0.5 * (W + math.sqrt(max(W * W + B2, 0.0)))
    b1 = 0.5 * (sB0 - sB1)
    b2 = -B2 / (4.0 * b0)
    return b0, b1, b2


@functools.lru_cache(maxsize=16)
def _fit_grid(fs):
    """_fitted's frequencies (a point near DC, then a log grid to Nyquist) and
    their basis functions: the same for every design at a rate."""
    f = np.concatenate(([1e-6 * fs], np.geomspace(10.0, 0.5 * fs, 256)))
    w = 2 * np.pi * f / fs
    s2 = np.sin(w / 2) ** 2
    P = np.stack([1 - s2, s2, 4 * (1 - s2) * s2], axis=1)
    f.flags.writeable = False
    P.flags.writeable = False
    return f, P


@functools.lru_cache(maxsize=16)
def _judge_grid(fs):
    """_best's frequencies: 10 Hz to min(20 kHz, 0.499 fs), log spaced."""
    f = np.geomspace(10.0, min(20000.0, 0.499 * fs), 200)
    f.flags.writeable = False
    return f


def _fitted(fs, a1, a2, mag_fn):
    """Numerator by least squares: |B|^2 = B0 phi0 + B1 phi1 + B2 phi2 is linear in the
    B's, so the relative error of |B/A|^2 against the analog |H|^2 is minimised over a
    log grid from 10 Hz to Nyquist (DC weighted heavily so the DC gain is exact).
    Returns None when the fit is not realisable; the caller falls back."""
    f, P = _fit_grid(fs)
    A0 = (1.0 + a1 + a2) ** 2
    A1 = (1.0 - a1 + a2) ** 2
    A2 = -4.0 * a2
    Amag2 = P @ np.array([A0, A1, A2])
    T = mag_fn(f) ** 2 * Amag2
    M = P / T[:, None]
    rhs = np.ones_like(f)
    M[0] *= 1e4
    rhs[0] *= 1e4
    B, *_ = np.linalg.lstsq(M, rhs, rcond=None)
    B0, B1, B2 = (float(v) for v in B)
    W = 0.5 * (math.sqrt(max(B0, 0)) + math.sqrt(max(B1, 0)))
    if B0 <= 0 or B1 < 0 or W * W + B2 < 0 or np.any(P @ B <= 0):
        return None
    b0, b1, b2 = _numerator_from_B(B0, B1, B2)
    return (b0, b1, b2, a1, a2)


def _matched(fs, f_pole, q_pole, mag_fn, f_match):
    w0 = 2 * math.pi * f_pole / fs
    a1, a2 = _poles_impulse_invariant(w0, q_pole)
    nyq = fs / 2
    m_dc = float(mag_fn(np.array([1e-9 * fs]))[0]) ** 2
    m_ny = float(mag_fn(np.array([nyq]))[0]) ** 2
    f_match = min(f_match, 0.499 * fs)
    m_mid = float(mag_fn(np.array([f_match]))[0]) ** 2
    fit = _fitted(fs, a1, a2, mag_fn)
    if fit is not None:
        return fit
    b0, b1, b2 = _matched_numerator(a1, a2, m_dc, m_ny, 2 * math.pi * f_match / fs, m_mid)
    return (b0, b1, b2, a1, a2)


def _invert(c):
    """The inverse filter 1/H of a minimum-phase biquad (Vicanek's numerators are)."""
    b0, b1, b2, a1, a2 = c
    return (1.0 / b0, a1 / b0, a2 / b0, b1 / b0, b2 / b0)


def _vicanek_bell_boost(fs, f0, g, q):
    """Vicanek's matched peaking boost: |H| = 1 at DC, = g at f0 with zero slope there."""
    w0 = 2 * math.pi * min(f0, 0.4999 * fs) / fs
    a1, a2 = _poles_impulse_invariant(w0, math.sqrt(g) * q)  # pole Q of the boost is A*q
    s2 = math.sin(w0 / 2) ** 2
    p0, p1 = 1.0 - s2, s2
    p2 = 4.0 * p0 * p1
    A0 = (1.0 + a1 + a2) ** 2
    A1 = (1.0 - a1 + a2) ** 2
    A2 = -4.0 * a2
    G2 = g * g
    R1 = (A0 * p0 + A1 * p1 + A2 * p2) * G2
    R2 = (-A0 + A1 + 4.0 * (p0 - p1) * A2) * G2
    B0 = A0
    B2 = (R1 - R2 * p1 - B0) / (4.0 * p1 * p1)
    B1 = R2 + B0 + 4.0 * (p1 - p0) * B2
    return (*_numerator_from_B(B0, B1, B2), a1, a2)


def _rbj(kind, fs, f0, gain_db, q):
    """Bilinear (prewarped) RBJ cookbook designs: exact enough well below Nyquist."""
    A = 10 ** (gain_db / 40)
    w0 = 2 * math.pi * f0 / fs
    c, sn = math.cos(w0), math.sin(w0)
    al = sn / (2 * q)
    if kind == "bell":
        b = (1 + al * A, -2 * c, 1 - al * A)
        a = (1 + al / A, -2 * c, 1 - al / A)
    else:
        sa = 2 * math.sqrt(A) * al
        if kind == "low_shelf":
            b = (A * ((A + 1) - (A - 1) * c + sa), 2 * A * ((A - 1) - (A + 1) * c),
                 A * ((A + 1) - (A - 1) * c - sa))
            a = ((A + 1) + (A - 1) * c + sa, -2 * ((A - 1) + (A + 1) * c),
                 (A + 1) + (A - 1) * c - sa)
        else:
            b = (A * ((A + 1) + (A - 1) * c + sa), -2 * A * ((A - 1) + (A + 1) * c),
                 A * ((A + 1) + (A - 1) * c - sa))
            a = ((A + 1) - (A - 1) * c + sa, 2 * ((A - 1) - (A + 1) * c),
                 (A + 1) - (A - 1) * c - sa)
    return (b[0] / a[0], b[1] / a[0], b[2] / a[0], a[1] / a[0], a[2] / a[0])


def _cached(design):
    """Matched designs are pure functions of their floats and cost ~0.1 ms each
    (a least-squares fit, several candidates); an EQ band that did not change
    is not designed again. Results are tuples, so nothing cached can be
    changed by a caller."""
    @functools.lru_cache(maxsize=1024)
    def cached(*args):
        return tuple(float(x) for x in design(*args))
    cached.__doc__ = design.__doc__
    return cached


def _best(fs, candidates, mag_fn):
    """The candidate whose dB response is closest (max error) to the analog one,
    over 10 Hz .. min(20 kHz, 0.499 fs)."""
    f = _judge_grid(fs)
    ref = 20 * np.log10(mag_fn(f))
    best, err = None, np.inf
    for c in candidates:
        if c is None or not all(math.isfinite(v) for v in c) or abs(c[4]) >= 1.0 \
                or abs(c[3]) >= 1.0 + c[4]:
            continue
        e = float(np.max(np.abs(20 * np.log10(np.abs(biquad_response(c, f, fs))) - ref)))
        if e < err:
            best, err = c, e
    return best


@_cached
def bell(fs, f0, gain_db, q):
    """Peaking EQ matched to its analog prototype (no cramping near Nyquist)."""
    if gain_db == 0.0:
        return IDENTITY
    g = 10 ** (abs(gain_db) / 20)
    boost = _vicanek_bell_boost(fs, f0, g, q)
    vic = boost if gain_db > 0 else _invert(boost)
    fit = _fitted(fs, vic[3], vic[4], lambda f: analog_bell(f, f0, gain_db, q))
    return _best(fs, [vic, fit, _rbj("bell", fs, f0, gain_db, q)],
                 lambda f: analog_bell(f, f0, gain_db, q))


@_cached
def low_shelf(fs, f0, gain_db, q):
    """Low shelf: the boost (poles at f0/sqrt(A), below f0) matched and inverted for a cut."""
    if gain_db == 0.0:
        return IDENTITY
    gb = abs(gain_db)
    A = 10 ** (gb / 40)
    c = _matched(fs, f0 / math.sqrt(A), q, lambda f: analog_low_shelf(f, f0, gb, q), f0)
    m = c if gain_db > 0 else _invert(c)
    return _best(fs, [m, _rbj("low_shelf", fs, f0, gain_db, q)],
                 lambda f: analog_low_shelf(f, f0, gain_db, q))


@_cached
def high_shelf(fs, f0, gain_db, q):
    """High shelf: the cut (poles at f0*sqrt(A), below f0) matched and inverted for a boost."""
    if gain_db == 0.0:
        return IDENTITY
    gc = -abs(gain_db)
    A = 10 ** (gc / 40)
    c = _matched(fs, f0 * math.sqrt(A), q, lambda f: analog_high_shelf(f, f0, gc, q), f0)
    m = c if gain_db < 0 else _invert(c)
    return _best(fs, [m, _rbj("high_shelf", fs, f0, gain_db, q)],
                 lambda f: analog_high_shelf(f, f0, gain_db, q))


@_cached
def lowpass_matched(fs, f0, q):
    """Low-pass near Nyquist without the bilinear transform's forced zero at fs/2."""
    return _matched(fs, f0, q, lambda f: analog_lowpass(f, f0, q), f0)


# ---------------------------------------------------------------- bilinear sections
def highpass(fs, f0, q):
    w0 = 2 * math.pi * f0 / fs
    c, s = math.cos(w0), math.sin(w0)
    alpha = s / (2 * q)
    a0 = 1 + alpha
    return ((1 + c) / 2 / a0, -(1 + c) / a0, (1 + c) / 2 / a0, -2 * c / a0, (1 - alpha) / a0)


def lowpass(fs, f0, q):
    w0 = 2 * math.pi * f0 / fs
    c, s = math.cos(w0), math.sin(w0)
    alpha = s / (2 * q)
    a0 = 1 + alpha
    return ((1 - c) / 2 / a0, (1 - c) / a0, (1 - c) / 2 / a0, -2 * c / a0, (1 - alpha) / a0)


def allpass(fs, f0, q):
    w0 = 2 * math.pi * f0 / fs
    c, s = math.cos(w0), math.sin(w0)
    alpha = s / (2 * q)
    a0 = 1 + alpha
    return ((1 - alpha) / a0, -2 * c / a0, 1.0, -2 * c / a0, (1 - alpha) / a0)


def highpass1(fs, f0):
    """First-order high-pass as a biquad (b2 = a2 = 0)."""
    k = math.tan(math.pi * f0 / fs)
    a0 = 1 + k
    return (1 / a0, -1 / a0, 0.0, (k - 1) / a0, 0.0)


BUTTER_Q = {12: (math.sqrt(0.5),), 24: (0.5411961001461969, 1.3065629648763764)}
LR_Q = math.sqrt(0.5)  # a Linkwitz-Riley 4th order is two Butterworth 2nd-order sections


def biquad_response(coefs, f, fs):
    """Complex response of a biquad at frequencies f."""
    b0, b1, b2, a1, a2 = coefs
    z = np.exp(-1j * 2 * np.pi * np.asarray(f, dtype=float) / fs)
    return (b0 + b1 * z + b2 * z * z) / (1 + a1 * z + a2 * z * z)


# ---------------------------------------------------------------- FIR filters
def kaiser_beta(atten_db: float) -> float:
    """Kaiser's window parameter for a stop-band attenuation (Kaiser 1974; the
    formula scipy.signal.kaiser_beta uses)."""
    a = float(atten_db)
    if a > 50.0:
        return 0.1102 * (a - 8.7)
    if a > 21.0:
        return 0.5842 * (a - 21.0) ** 0.4 + 0.07886 * (a - 21.0)
    return 0.0


def kaiser_lowpass(taps: int, cutoff: float, atten_db: float) -> np.ndarray:
    """Windowed-sinc linear-phase low-pass, ``cutoff`` relative to Nyquist,
    unity DC gain: what scipy.signal.firwin(taps, cutoff, window=("kaiser",
    kaiser_beta(atten_db))) returns. In numpy so that the engine never loads
    scipy.signal (about 70 MB of resident memory on the box)."""
    return kaiser_sinc(taps, cutoff, kaiser_beta(atten_db))


def kaiser_sinc(taps: int, cutoff: float, beta: float) -> np.ndarray:
    """kaiser_lowpass with the window's beta given: firwin(taps, cutoff,
    window=("kaiser", beta))."""
    m = np.arange(taps) - (taps - 1) / 2.0
    h = cutoff * np.sinc(cutoff * m) * np.kaiser(taps, beta)
    return h / h.sum()


def oversampling_fir(factor: int, taps: int, atten_db: float = 80.0) -> np.ndarray:
    """Linear-phase low-pass for factor-x up/down sampling, cutoff at the base rate's
    Nyquist, Kaiser window. Unity DC gain (the interpolator multiplies by factor)."""
    h = kaiser_lowpass(taps, 1.0 / factor, atten_db)
    return h / h.sum()


def polyphase_reversed(h: np.ndarray, factor: int, taps: int) -> np.ndarray:
    """Branches of h for factor-x interpolation (scaled by factor), each reversed
    so the kernels can dot them with an oldest-first window."""
    hp = np.zeros(factor * taps)
    hp[:len(h)] = h
    return np.stack([hp[k::factor][::-1] * factor for k in range(factor)])
