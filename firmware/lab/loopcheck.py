"""Loop-cable checks: the box measuring itself through a cable from its outputs
to its inputs (the bench HIL suite, ``masterbox loopcheck``).

The engine plays a stimulus through the chain in place of the input and records
the input in the same callbacks (``Engine.measure``), so one run measures the
chain, the converters and the analog path together. On the JACK dummy server the
"cable" is a JACK connection from the engine's outputs to its inputs: the same
checks then cover every digital part.

Stimuli are periodic with a period of exactly one second (``fs`` frames), so
every tone sits on an FFT bin: no window, no leakage, and a loop delay of up to
a period only turns into phase.

- ``frequency response``: a Schroeder-phased multitone, 1/12-octave tones from
  20 Hz to 20 kHz at -20 dBFS RMS; the last two periods are analysed.
- ``THD+N``: 997 Hz (AES17's "1 kHz", clear of the rate's sub-multiples) at
  -3 dBFS; everything but the tone between 20 Hz and 20 kHz, against the tone.
- ``latency``: a white-noise burst after silence, found by cross-correlation.
- ``limiter``: hostile material (an fs/4 tone at 45 degrees, squares,
  full-scale and +12 dBFS noise, impulses) with the limiter driven hard; the
  recording's true peak by the BS.1770 Annex 2 meter, corrected by the loop's
  gain at 997 Hz.
"""
from __future__ import annotations

import math
import time

import numpy as np

from dsp import params
from dsp.modules import eq as eq_module
from dsp import filter_design as fd
from dsp.meters import measure as loudness

from ..errors import UserError

PERIODS = 4                 # the first two settle (filters, the analog path); two are analysed
TONE_HZ = 997.0
TONE_DBFS = -3.0
MULTITONE_RMS_DBFS = -20.0
RAMP_WAIT_S = 0.1           # settings ramp over about 20 ms
NO_CABLE_DBFS = -60.0       # less than this back from a -20 dBFS tone: nothing is connected

# the EQ check's setting: every band type moved, all well inside 20 Hz - 20 kHz
EQ_CHECK = {"eq.hp_on": 1, "eq.hp_freq_hz": 30.0, "eq.hp_slope": 1,
            "eq.low_shelf_gain_db": 3.0, "eq.low_shelf_freq_hz": 120.0,
            "eq.bell1_gain_db": -4.0, "eq.bell1_freq_hz": 400.0, "eq.bell1_q": 1.5,
            "eq.bell2_gain_db": 6.0, "eq.bell2_freq_hz": 2500.0, "eq.bell2_q": 0.8,
            "eq.bell3_gain_db": -3.0, "eq.bell3_freq_hz": 6000.0, "eq.bell3_q": 2.0,
            "eq.high_shelf_gain_db": 4.0, "eq.high_shelf_freq_hz": 12000.0}
LIMITER_CHECK = {"limiter.on": 1, "limiter.ceiling_dbtp": -1.0, "limiter.drive_db": 12.0}


def multitone_freqs(fs: int) -> np.ndarray:
    top = min(20000.0, 0.45 * fs)
    return np.unique(np.round(np.geomspace(20.0, top, 121))).astype(int)


def multitone(fs: int, periods: int = PERIODS) -> tuple[np.ndarray, np.ndarray]:
    """(stimulus frames x 2, tone frequencies in Hz). Schroeder phases keep the
    crest factor low (about 5 dB above the RMS)."""
    f = multitone_freqs(fs)
    k = np.arange(1, len(f) + 1)
    phase = -np.pi * k * (k - 1) / len(f)
    amp = 10 ** (MULTITONE_RMS_DBFS / 20) / math.sqrt(len(f) / 2)
    spec = np.zeros(fs // 2 + 1, complex)
    spec[f] = amp * fs / 2 * np.exp(1j * phase)
    one = np.fft.irfft(spec, fs)
    x = np.tile(one, periods)
    return np.stack([x, x], 1).astype(np.float32), f


def tone(fs: int, periods: int = PERIODS, f0: float = TONE_HZ, dbfs: float = TONE_DBFS) -> np.ndarray:
    t = np.arange(periods * fs) / fs
    x = 10 ** (dbfs / 20) * np.sin(2 * np.pi * f0 * t)
    return np.stack([x, x], 1).astype(np.float32)


def burst(fs: int, seed: int = 7) -> np.ndarray:
    """0.25 s of silence, 0.1 s of white noise at -12 dBFS RMS, 0.65 s of
    silence."""
    rng = np.random.default_rng(seed)
    x = np.zeros((fs, 2), np.float32)
    start = fs // 4
    n = fs // 10
    x[start:start + n] = (0.25 * rng.standard_normal((n, 1))).astype(np.float32)
    return x


def hostile(fs: int) -> np.ndarray:
    """About 3 s of what breaks limiters, one after another."""
    seg = fs // 2
    t = np.arange(seg) / fs
    rng = np.random.default_rng(11)
    parts = [np.sin(2 * np.pi * fs / 4 * t + np.pi / 4),               # fs/4 at 45 degrees
             np.sign(np.sin(2 * np.pi * 997 * t) + 1e-12),                # 0 dBFS square
             rng.uniform(-1, 1, seg),                                    # full-scale noise
             rng.uniform(-4, 4, seg),                                    # +12 dBFS noise
             4 * np.sin(2 * np.pi * 5000.3 * t)]                         # +12 dBFS tone
    imp = np.zeros(seg)
    imp[::fs // 20] = 4.0
    parts.append(imp)
    x = np.concatenate(parts)
    return np.stack([x, x * 0.9], 1).astype(np.float32)


# ------------------------------------------------------------------ analyses
def _steady_spectrum(rec: np.ndarray, fs: int) -> np.ndarray:
    """Complex spectrum (bins of 1 Hz) of the last two periods, averaged; one
    column per channel."""
    a = rec[-2 * fs:-fs].astype(np.float64)
    b = rec[-fs:].astype(np.float64)
    return 0.5 * (np.fft.rfft(a, axis=0) + np.fft.rfft(b, axis=0))


def response_db(rec: np.ndarray, stim: np.ndarray, fs: int, freqs: np.ndarray) -> np.ndarray:
    """Loop gain in dB at the multitone's frequencies, (tones x channels)."""
    Y = _steady_spectrum(rec, fs)[freqs]
    X = np.fft.rfft(stim[-fs:].astype(np.float64), axis=0)[freqs]
    return 20 * np.log10(np.maximum(np.abs(Y), 1e-30) / np.abs(X))


def eq_design_db(values: dict, fs: int, freqs: np.ndarray) -> np.ndarray:
    """The EQ's designed response (its biquads' product) for a signal on both
    channels alike (the mid path), dB."""
    v = params.check_values(values)
    h = np.ones(len(freqs), complex)
    for mid, _side in eq_module.sections(v, fs):
        h *= fd.biquad_response(mid, freqs, fs)
    return 20 * np.log10(np.abs(h))


def thd_n_db(rec: np.ndarray, fs: int, f0: float = TONE_HZ) -> np.ndarray:
    """THD+N per channel, dB relative to the tone: the power of every 1 Hz bin
    from 20 Hz to 20 kHz except the tone's, over the tone's power."""
    k0 = int(round(f0))
    out = []
    for c in range(rec.shape[1]):
        P = np.zeros(fs // 2 + 1)
        for seg in (rec[-2 * fs:-fs, c], rec[-fs:, c]):
            P += np.abs(np.fft.rfft(seg.astype(np.float64))) ** 2
        band = P[20:min(20000, int(0.45 * fs)) + 1].copy()
        tone_p = P[k0]
        band[k0 - 20] = 0.0
        out.append(10 * math.log10(max(band.sum(), 1e-300) / max(tone_p, 1e-300)))
    return np.array(out)


def delay_frames(rec: np.ndarray, stim: np.ndarray) -> int:
    """Where the stimulus's left channel shows up in the recording's (cross-
    correlation peak, whole frames)."""
    a = stim[:, 0].astype(np.float64)
    b = rec[:, 0].astype(np.float64)
    n = 1 << int(math.ceil(math.log2(2 * len(a))))
    xc = np.fft.irfft(np.fft.rfft(b, n) * np.conj(np.fft.rfft(a, n)), n)
    return int(np.argmax(xc[:len(a)]))


# ------------------------------------------------------------------ the run
def needed_seconds() -> float:
    """The longest stimulus, for Engine(measure_seconds=...)."""
    return float(max(PERIODS, 3.5))


def run(engine, progress=None) -> dict:
    """All checks on a running engine with a cable from its outputs to its
    inputs. Returns figures (JSON-ready) and, under "curves", arrays for a plot.
    Restores the engine's settings afterwards."""
    fs = engine.fs
    say = progress or (lambda msg: None)
    before = dict(engine.values)
    neutral = params.defaults()
    out: dict = {"fs": fs, "block": engine.block}

    def take(values, stim, what):
        say(what)
        engine.set(values)
        time.sleep(RAMP_WAIT_S)      # a module switched on cross-fades from its bypass
        rec, xr = engine.measure(stim)
        out.setdefault("xruns", 0)
        out["xruns"] += xr
        return rec

    try:
        # is anything connected? a 997 Hz tone at -20 dBFS must come back
        probe = tone(fs, 1, dbfs=-20.0)
        rec = take(neutral, probe, "probe: is the loop cable connected")
        back = 20 * math.log10(max(float(np.sqrt(np.mean(rec[fs // 2:].astype(np.float64) ** 2))), 1e-30))
        out["probe_dbfs"] = back
        if back < NO_CABLE_DBFS:
            raise UserError(f"loop cable: a -20 dBFS tone came back at {back:.1f} dBFS "
                            f"(less than {NO_CABLE_DBFS:.0f} dBFS): connect OUT L to IN L and "
                            "OUT R to IN R")

        x, freqs = multitone(fs)
        rec = take(neutral, x, "frequency response, everything bypassed")
        bypass = response_db(rec, x, fs, freqs)
        i1k = int(np.argmin(np.abs(freqs - 1000)))
        out["loop_gain_db"] = [float(g) for g in bypass[i1k]]
        flat = bypass - bypass[i1k]
        out["bypass_deviation_db"] = float(np.max(np.abs(flat)))

        rec = take({**neutral, **EQ_CHECK}, x, "frequency response, EQ against its design")
        eq_meas = response_db(rec, x, fs, freqs) - bypass        # the loop divided out
        design = eq_design_db({**neutral, **EQ_CHECK}, fs, freqs)
        out["eq_error_db"] = float(np.max(np.abs(eq_meas - design[:, None])))

        rec = take(neutral, tone(fs), f"THD+N at {TONE_HZ:g} Hz, {TONE_DBFS:g} dBFS")
        thdn = thd_n_db(rec, fs)
        out["thd_n_db"] = [float(v) for v in thdn]
        thd_spec = 20 * np.log10(np.maximum(np.abs(_steady_spectrum(rec, fs)[:, 0]), 1e-30) /
                                 (fs / 2))

        b = burst(fs)
        rec = take(neutral, b, "round-trip latency")
        out["latency_measured_frames"] = delay_frames(rec, b)
        out["latency_reported_frames"] = engine.reported_round_trip()
        out["latency_chain_frames"] = engine.latency

        h = hostile(fs)
        rec = take({**neutral, **LIMITER_CHECK}, h, "limiter ceiling at the converter")
        gain = np.array(out["loop_gain_db"])
        tp = loudness(rec[engine.reported_round_trip():] * (10 ** (-gain / 20)).astype(np.float32),
                      fs)["true_peak_dbtp"]
        out["limiter_ceiling_dbtp"] = LIMITER_CHECK["limiter.ceiling_dbtp"]
        out["limiter_true_peak_dbtp"] = float(tp)
        out["curves"] = {"freqs_hz": freqs.tolist(), "bypass_db": flat.tolist(),
                         "eq_db": eq_meas.tolist(), "eq_design_db": design.tolist(),
                         "thd_spectrum_db": thd_spec[:min(fs // 2, 24000) + 1].tolist()}
    finally:
        engine.set({**neutral, **before})
    return out


def plot(result: dict, path: str) -> None:
    """The loop's curves as a PNG: bypass flatness, EQ against design, the
    THD+N spectrum."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..store.atomic import atomic_path

    c = result["curves"]
    f = np.array(c["freqs_hz"])
    fig, ax = plt.subplots(3, 1, figsize=(8, 9))
    for ch, name in enumerate(("L", "R")):
        ax[0].semilogx(f, np.array(c["bypass_db"])[:, ch], label=name)
    ax[0].legend()
    ax[0].set(title=f"Bypass through the loop (max deviation {result['bypass_deviation_db']:.3f} dB)",
              ylabel="dB re 1 kHz", ylim=(-1, 1))
    for ch, name in enumerate(("L", "R")):
        ax[1].semilogx(f, np.array(c["eq_db"])[:, ch], label=f"measured {name}")
    ax[1].semilogx(f, np.array(c["eq_design_db"]), "k--", label="design")
    ax[1].set(title=f"EQ against its design (max error {result['eq_error_db']:.3f} dB)", ylabel="dB")
    ax[1].legend()
    s = np.array(c["thd_spectrum_db"])
    ax[2].semilogx(np.arange(1, len(s)), s[1:])
    ax[2].set(title=f"{TONE_HZ:g} Hz at {TONE_DBFS:g} dBFS, L: THD+N {result['thd_n_db'][0]:.1f} dB",
              xlabel="Hz", ylabel="dBFS", xlim=(20, len(s) - 1), ylim=(min(-160.0, s[20:].min() - 10), 5))
    for a in ax[:2]:
        a.set_xlim(20, 20000)
        a.grid(True, which="both", alpha=0.3)
    ax[2].grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=90)
    plt.close(fig)


# ------------------------------------------------------------------ verdicts
# What a check must meet. "digital": the loop is a JACK connection, so the box
# must reproduce its own render exactly. "analog": a cable on the HAT, whose
# converters add their filters' delay (not in PortAudio's figure) and ripple.
LIMITS = {
    "digital": {"bypass_deviation_db": 0.1, "eq_error_db": 0.5, "thd_n_db": -80.0,
                "latency_slack_frames": (0, 0), "limiter_over_db": 0.0},
    "analog": {"bypass_deviation_db": 0.1, "eq_error_db": 0.5, "thd_n_db": -80.0,
               "latency_slack_frames": (0, 96), "limiter_over_db": 0.2},
}


def verdicts(result: dict, loop: str) -> dict[str, tuple[bool, str]]:
    """Each check: (passed, one line saying what was measured against what)."""
    lim = LIMITS[loop]
    v = {}
    d = result["bypass_deviation_db"]
    v["bypass flat"] = (d <= lim["bypass_deviation_db"],
                        f"20 Hz-20 kHz within {d:.3f} dB of 1 kHz (limit {lim['bypass_deviation_db']} dB)")
    e = result["eq_error_db"]
    v["EQ vs design"] = (e <= lim["eq_error_db"], f"largest error {e:.3f} dB (limit {lim['eq_error_db']} dB)")
    t = max(result["thd_n_db"])
    v["THD+N"] = (t <= lim["thd_n_db"], f"{t:.1f} dB at {TONE_HZ:g} Hz, {TONE_DBFS:g} dBFS "
                  f"(limit {lim['thd_n_db']} dB)")
    extra = result["latency_measured_frames"] - result["latency_reported_frames"]
    lo, hi = lim["latency_slack_frames"]
    v["latency"] = (lo <= extra <= hi,
                    f"measured {result['latency_measured_frames']} frames, reported "
                    f"{result['latency_reported_frames']} (chain {result['latency_chain_frames']}); "
                    f"difference {extra} (allowed {lo}..{hi})")
    over = result["limiter_true_peak_dbtp"] - result["limiter_ceiling_dbtp"]
    v["limiter ceiling"] = (over <= lim["limiter_over_db"] + 1e-6,
                            f"true peak {result['limiter_true_peak_dbtp']:.3f} dBTP at a "
                            f"{result['limiter_ceiling_dbtp']} dBTP ceiling (allowed over: "
                            f"{lim['limiter_over_db']} dB)")
    return v
