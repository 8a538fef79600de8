"""Words answered with the tools that act only when a problem happens:
"less harsh" (a dynamic EQ cut where the harshness comes and goes, a static
one where it stays) and "de-ess" / "less sibilant" (the de-esser, tuned to
where the programme hisses). Measured on the capture as the chain makes it
now, with scipy filters written here (not the chain's own detectors), and
the dynamic cut checked on a render before it is shown.

Harshness is looked for in the third octaves from 2 to 5 kHz: the one that
stands furthest over the programme at its loud moments (the 95th percentile
of its level minus the whole programme's, over 100 ms frames). Its crest over
time (95th percentile minus median of its own level) tells intermittent from
constant: at INTERMITTENT_DB or more, a cut that stays would dull every
moment to fix a few.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import signal

from dsp import params

from .plan import _render

HARSH_CENTRES = (2000.0, 2500.0, 3150.0, 4000.0, 5000.0)
SIBILANT_CENTRES = (4000.0, 5000.0, 6300.0, 8000.0, 10000.0)
FRAME_S = 0.1              # the "short-term" level of a band, as the checks read it
SIB_FRAME_S = 0.005        # sibilants are short: their detector's frames
INTERMITTENT_DB = 6.0
GATE_DB = 40.0             # frames this far under the loudest are silence, not programme
HARSH_Q = 1.4
HARSH_RATIO = 3.0
HARSH_RANGE_DB = 6.0       # at Amount 100 %
HISS_SPAN_DB = 3.0
SIB_BURST_DB = 10.0        # sibilants stand this far over the top's usual level, or it is a steady top
DEESS_RATIO = 4.0
DEESS_OVER_DB = 20.0       # the threshold under the loudest 1 % of the hiss
DEESS_RANGE_DB = 6.0       # at Amount 100 %


def third_octave(x: np.ndarray, fs: int, fc: float) -> np.ndarray:
    lo, hi = fc * 2 ** (-1 / 6), min(fc * 2 ** (1 / 6), 0.45 * fs)
    return signal.sosfilt(signal.butter(4, [lo, hi], "bandpass", fs=fs, output="sos"), x)


def frame_db(x: np.ndarray, fs: int, seconds: float = FRAME_S) -> np.ndarray:
    """Level per frame, dB (mean square)."""
    n = max(int(seconds * fs), 1)
    k = len(x) // n
    return 10 * np.log10(np.mean(x[:k * n].reshape(k, n) ** 2, 1) + 1e-20)


def at_stage(fs: int, values: dict, capture: np.ndarray, stage: str) -> np.ndarray:
    """The capture as it reaches module ``stage``: the chain with that module
    and every one after it switched off. Thresholds are set in the level the
    module hears, not the level that leaves the chain."""
    from dsp import modules
    names = [m.NAME for m in modules.ALL]
    off = {f"{n}.on": 0.0 for n in names[names.index(stage):]}
    return _render(fs, {**values, **off}, capture)[0]


def harsh_band(y: np.ndarray, fs: int) -> tuple[float, float, float, float] | None:
    """(centre Hz, how far it stands over the programme at its loud moments
    dB, its crest over time dB, its median level dB) of the harshest third
    octave, or None for silence."""
    mono = 0.5 * (y[:, 0] + y[:, 1]).astype(np.float64)
    total = frame_db(mono, fs)
    keep = total > total.max() - GATE_DB
    if keep.sum() < 5:
        return None
    best = None
    for fc in HARSH_CENTRES:
        lv = frame_db(third_octave(mono, fs, fc), fs)[keep]
        stands = float(np.percentile(lv - total[keep], 95))
        if best is None or stands > best[1]:
            best = (fc, stands, float(np.percentile(lv, 95) - np.median(lv)), float(np.median(lv)))
    return best


def harsh(plan, word: str, wd, m, k: float, fs: int, capture: np.ndarray, notes: list,
          static_cut) -> None:
    """A dynamic cut at the harshest third octave if its level comes and
    goes, else ``static_cut(freq)``: the word's static EQ move there."""
    if k <= 0.0:
        return
    y, _ = _render(fs, plan.now, capture)
    found = harsh_band(y, fs)
    if found is None:
        return
    fc, stands, crest, _ = found
    if crest < INTERMITTENT_DB:
        static_cut(fc, f"{fc / 1000:g} kHz stands out steadily (its level varies "
                       f"{crest:.1f} dB, under {INTERMITTENT_DB:g}): a static cut")
        return
    band = next((b for b in ("b1", "b2") if not plan.now[f"dyneq.{b}_on"]), None)
    if band is None:
        notes.append(f"'{word}': both dynamic EQ bands are in use; no dynamic cut at {fc / 1000:g} kHz")
        return
    thr = _threshold(at_stage(fs, plan.now, capture, "dyneq"), fs, fc)
    ratio = round(1.0 + k * (HARSH_RATIO - 1.0), 2)
    rng = -round(k * HARSH_RANGE_DB, 1)
    why = (f"'{word}': {fc / 1000:g} kHz rings on its loud moments ({crest:.1f} dB over its "
           f"usual level at the 95th percentile): a dynamic cut there, only while it rings")
    p = f"dyneq.{band}_"
    plan.set("dyneq.on", 1.0, why)
    plan.set(p + "on", 1.0, why)
    plan.set(p + "type", 0.0, why)
    plan.set(p + "freq_hz", fc, why)
    plan.set(p + "q", HARSH_Q, why)
    plan.set(p + "mode", 0.0, why)
    plan.set(p + "ratio", ratio, why)
    plan.set(p + "range_db", rng, why)
    plan.set(p + "threshold_db", thr, f"'{word}': threshold {thr:g} dB: between the band's usual "
             "level and its peaks, so its usual moments are left alone")


def _threshold(y: np.ndarray, fs: int, fc: float) -> float:
    """Halfway from the band's median to its 95th percentile, in the level a
    dynamic band's detector reads (a band-pass at fc, Q HARSH_Q, the louder
    channel; a sine's peak level), over the programme's 100 ms frames."""
    w0 = 2 * math.pi * fc / fs
    a = math.sin(w0) / (2 * HARSH_Q)
    d = signal.lfilter([a, 0.0, -a], [1 + a, -2 * math.cos(w0), 1 - a], y.astype(np.float64), axis=0)
    lv = np.maximum(frame_db(d[:, 0], fs), frame_db(d[:, 1], fs)) + 3.01
    mono = frame_db(0.5 * (y[:, 0] + y[:, 1]).astype(np.float64), fs)
    lv = lv[mono > mono.max() - GATE_DB]
    p = params.get("dyneq.b1_threshold_db")
    return round(min(max(np.median(lv) + 0.5 * (np.percentile(lv, 95) - np.median(lv)), p.min), p.max), 1)


def sibilance(y: np.ndarray, fs: int) -> tuple[float, float, float] | None:
    """(the de-esser's frequency, the level of the loudest 1 % of what is
    above it, how far that is over its median: sibilants are bursts). The hiss is read where it is loud: each third octave from 4
    to 10 kHz by the 99th percentile of its 5 ms levels; the frequency is the
    lower edge of the lowest within HISS_SPAN_DB of the loudest (where the
    hiss starts), its level what a 4th-order Butterworth high-pass there
    reads (a sine's peak)."""
    mono = 0.5 * (y[:, 0] + y[:, 1]).astype(np.float64)
    loud = {fc: float(np.percentile(frame_db(third_octave(mono, fs, fc), fs, SIB_FRAME_S), 99))
            for fc in SIBILANT_CENTRES if fc * 2 ** (1 / 6) <= 0.45 * fs}
    if not loud or max(loud.values()) < -100.0:
        return None
    top = max(loud.values())
    fc = min(f for f, lv in loud.items() if lv >= top - HISS_SPAN_DB)
    f0 = min(max(round(fc * 2 ** (-1 / 6), -1), 3000.0), 12000.0)
    hp = frame_db(signal.sosfilt(signal.butter(4, f0, "highpass", fs=fs, output="sos"), mono),
                  fs, SIB_FRAME_S)
    heard = hp[hp > hp.max() - GATE_DB]
    return f0, float(np.percentile(heard, 99) + 3.01), float(np.percentile(heard, 99) - np.median(heard))


def deess(plan, word: str, wd, k: float, fs: int, capture: np.ndarray, notes: list) -> None:
    """The split de-esser at the programme's sibilant frequency, its threshold
    DEESS_OVER_DB under the loudest 1 % of what is above it (as the de-esser
    hears it), its range scaled by Amount."""
    if k <= 0.0:
        return
    found = sibilance(at_stage(fs, plan.now, capture, "deess"), fs)
    if found is None:
        notes.append(f"'{word}': nothing above 4 kHz to judge")
        return
    f0, loud, burst = found
    if burst < SIB_BURST_DB:
        notes.append(f"'{word}': the top from {f0 / 1000:g} kHz is steady (its loudest 1 % only "
                     f"{burst:.1f} dB over its median, under {SIB_BURST_DB:g}): nothing comes and "
                     "goes to de-ess; a static cut is 'darker' or 'less harsh'")
        return
    thr = round(min(max(loud - DEESS_OVER_DB, -60.0), 0.0), 1)
    rng = round(k * DEESS_RANGE_DB, 1)
    why = (f"'{word}': the hiss is loud from {f0 / 1000:g} kHz up; the split "
           f"de-esser there takes at most {rng:g} dB from it and leaves the voice below")
    plan.set("deess.on", 1.0, why)
    plan.set("deess.mode", 0.0, why)
    plan.set("deess.freq_hz", f0, why)
    plan.set("deess.ratio", DEESS_RATIO, why)
    plan.set("deess.range_db", rng, why)
    plan.set("deess.threshold_db", thr, f"'{word}': threshold {thr:g} dB, {DEESS_OVER_DB:g} dB under "
             f"the loudest 1 % of the hiss ({loud:.1f} dB), so every sibilant reaches the range")
