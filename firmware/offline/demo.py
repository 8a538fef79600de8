"""The built-in demo programme: 24 s of stereo music synthesised in code.

Drums (kick, snare, hats), bass, chords and a lead at 120 BPM, 12 bars in A
minor (Am F C G), with a quieter first half and a lift in the second, so the
dynamics, EQ and limiter all have something to do. Deterministic: the same
samples on every machine, no audio file shipped or downloaded. Peaks sit near
-6 dBFS, like an unmastered mix.
"""
from __future__ import annotations

import numpy as np

BPM = 120.0
BARS = 12
CHORDS = ((57, 60, 64), (53, 57, 60), (48, 52, 55), (55, 59, 62))  # Am F C G (MIDI)
LEAD = (76, 74, 72, 71, 72, 74, 76, 79, 81, 79, 76, 74, 72, 74, 72, 69)


def _hz(note):
    return 440.0 * 2.0 ** ((note - 69) / 12.0)


def _env(n, fs, attack, decay):
    t = np.arange(n) / fs
    return np.minimum(t / max(attack, 1e-4), 1.0) * np.exp(-t / decay)


def _saw(f, t, harmonics=12):
    y = np.zeros_like(t)
    for k in range(1, harmonics + 1):
        y += np.sin(2 * np.pi * f * k * t) / k
    return y * (2 / np.pi)


def _place(out, start, sig, gain_l, gain_r):
    end = min(len(out), start + len(sig))
    if end > start:
        out[start:end, 0] += sig[:end - start] * gain_l
        out[start:end, 1] += sig[:end - start] * gain_r


def programme(fs: int = 48000) -> np.ndarray:
    """The demo programme as float32 (frames, 2)."""
    rng = np.random.default_rng(20261122)
    beat = int(round(fs * 60.0 / BPM))
    n = beat * 4 * BARS
    out = np.zeros((n, 2))
    # drums
    kl = int(0.35 * fs)
    tk = np.arange(kl) / fs
    kick = np.sin(2 * np.pi * (45 * tk + 60 * 0.03 * (1 - np.exp(-tk / 0.03)))) * _env(kl, fs, 0.001, 0.12)
    sl = int(0.25 * fs)
    snare_noise = rng.standard_normal(sl) * _env(sl, fs, 0.001, 0.07)
    snare = 0.5 * snare_noise + 0.5 * np.sin(2 * np.pi * 190 * np.arange(sl) / fs) * _env(sl, fs, 0.001, 0.05)
    hl = int(0.06 * fs)
    hat = np.diff(rng.standard_normal(hl + 1)) * _env(hl, fs, 0.0005, 0.015)
    for b in range(4 * BARS):
        lift = 1.0 if b < 2 * BARS else 1.25
        s = b * beat
        if b % 2 == 0 or b >= 2 * BARS:
            _place(out, s, kick, 0.55 * lift, 0.55 * lift)
        if b % 4 in (1, 3):
            _place(out, s, snare, 0.30 * lift, 0.26 * lift)
        for h in range(2):
            acc = 0.10 if h == 0 else 0.06
            _place(out, s + h * beat // 2, hat, acc * 0.8, acc * 1.2)
    # bass, chords, lead
    bar = 4 * beat
    t_bar = np.arange(bar) / fs
    for i in range(BARS):
        chord = CHORDS[i % 4]
        lift = 1.0 if i < BARS // 2 else 1.3
        s = i * bar
        root = _hz(chord[0] - 24)
        for q in range(8):   # eighth notes
            ql = bar // 8
            tq = np.arange(ql) / fs
            note = _saw(root, tq, 6) * _env(ql, fs, 0.003, 0.18)
            _place(out, s + q * ql, note, 0.28 * lift, 0.28 * lift)
        pad = np.zeros(bar)
        for k, note in enumerate(chord):
            pad += _saw(_hz(note) * (1.0 + 0.002 * (k - 1)), t_bar, 8)
        pad *= np.minimum(t_bar / 0.08, 1.0) * np.minimum((t_bar[::-1]) / 0.05, 1.0)
        _place(out, s, pad * 0.05 * lift, 0.9, 0.6)
        _place(out, s + int(0.011 * fs), pad * 0.05 * lift, 0.6, 0.9)   # a little width
    step = beat // 2
    for j in range(BARS * 8):
        if j < BARS * 4 and j % 2:
            continue
        note = LEAD[j % len(LEAD)] + (12 if j >= BARS * 6 else 0)
        tl = np.arange(step) / fs
        vib = 1.0 + 0.004 * np.sin(2 * np.pi * 5.5 * tl)
        ph = 2 * np.pi * np.cumsum(np.full(step, _hz(note)) * vib) / fs
        tone = (np.sin(ph) + 0.25 * np.sin(2 * ph) + 0.1 * np.sin(3 * ph)) * _env(step, fs, 0.01, 0.25)
        _place(out, j * step, tone, 0.10, 0.13)
    out *= 10 ** (-6 / 20) / np.max(np.abs(out))
    return out.astype(np.float32)
