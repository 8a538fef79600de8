"""Turn parameter values into the coefficient set the kernels read (``T``).

Runs off the audio thread: it may allocate and call scipy. The kernels only ever
see the finished array, published whole.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from . import filter_design as fd
from .kernels import chain as K
from .kernels import eq, glue, input_stage, limiter, monitor, multiband, output_stage, oversampled
from .kernels.common import BIQ

SMOOTH_TAU_S = 0.004       # parameter smoothing: ~99 % of a move within 20 ms
RAMP_TAUS = 14             # after 14 time constants (residual 8e-7) the ramp snaps
LIMITER_MARGIN_DB = 0.02   # the limiter aims this far under its ceiling
LOOKAHEAD_S = 0.001        # limiter lookahead including its detector
TUBE_BIAS = 0.4
REF_LEVEL = 10 ** (-12 / 20)   # saturation auto gain keeps a -12 dBFS sine's level
SILENCE_HOLD_S = 1.0           # dither stops after this much digital silence in


def _db(x):
    return 10.0 ** (x / 20.0)


def _alpha(tau_s, fs):
    """One-pole coefficient exp(-1/(tau fs)): a true time constant tau."""
    return math.exp(-1.0 / (tau_s * fs))


def _put(T, off, coefs):
    T[off:off + BIQ] = coefs


@lru_cache(maxsize=None)
def halfband_even_taps(length: int, atten_db: float = 80.0) -> np.ndarray:
    """The even-index taps of a Kaiser halfband low-pass (cutoff at a quarter of
    its rate), scaled to sum to exactly 1/2 so that, with the centre tap taken
    as exactly 1/2, DC passes at exactly unity."""
    h = fd.kaiser_lowpass(length, 0.5, atten_db)
    even = h[0::2]
    return even * (0.5 / even.sum())


@lru_cache(maxsize=None)
def _tp_fir() -> np.ndarray:
    """The limiter's 4x interpolator. A windowed sinc with its cutoff at the base
    rate's Nyquist is zero every 4th tap from its centre; those taps come out of
    the design as rounding noise (~1e-17) and are set to exactly zero, so phase 0
    is the delayed sample times the centre tap, which the kernel reads instead
    of computing a dot product."""
    h = fd.oversampling_fir(limiter.TP_PHASES, 129, 60.0)
    c = (len(h) - 1) // 2
    zeros = np.arange(c % limiter.TP_PHASES, len(h), limiter.TP_PHASES)
    h[zeros[zeros != c]] = 0.0
    return h


# ITU-R BS.1770-4 Annex 2: the 48-tap, 4-phase true-peak interpolator (phases 2
# and 3 are phases 1 and 0 reversed).
ANNEX2_PHASE0 = (0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000,
                 -0.0594482421875, 0.1373291015625, 0.9721679687500, -0.1022949218750,
                 0.0476074218750, -0.0266113281250, 0.0148925781250, -0.0083007812500)
ANNEX2_PHASE1 = (-0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250,
                 -0.1665039062500, 0.4650878906250, 0.7797851562500, -0.2003173828125,
                 0.1015625000000, -0.0582275390625, 0.0330810546875, -0.0189208984375)


def annex2_phases() -> np.ndarray:
    p0, p1 = np.array(ANNEX2_PHASE0), np.array(ANNEX2_PHASE1)
    return np.stack([p0, p1, p1[::-1], p0[::-1]])


def polyphase_reversed(h: np.ndarray, factor: int, taps: int) -> np.ndarray:
    """Branches of h for factor-x interpolation (scaled by factor), each reversed
    so the kernels can dot them with an oldest-first window."""
    hp = np.zeros(factor * taps)
    hp[:len(h)] = h
    return np.stack([hp[k::factor][::-1] * factor for k in range(factor)])


def limiter_window(fs: float) -> int:
    """W: the limiter's attack window in samples (lookahead = W + 16 + SPREAD)."""
    la = min(round(LOOKAHEAD_S * fs), int(0.0015 * fs))
    return max(la - (limiter.DETECT_DELAY - 1) - limiter.SPREAD, 8)


def limiter_lookahead(fs: float) -> int:
    return limiter_window(fs) + limiter.DETECT_DELAY - 1 + limiter.SPREAD


def latency_frames(fs: float) -> int:
    return oversampled.LATENCY + limiter_lookahead(fs)


def saturation_curve(x, drive_db, tube):
    d = _db(drive_db) * x
    tape = np.tanh(d)
    tb = (np.tanh(d + TUBE_BIAS) - math.tanh(TUBE_BIAS)) / (1 - math.tanh(TUBE_BIAS) ** 2)
    tb = tb - tb.mean()
    return tape + tube * (tb - tape)


@lru_cache(maxsize=512)
def _auto_gain(drive_db: float, tube: float) -> float:
    ph = np.arange(4096) * 2 * np.pi / 4096
    s = REF_LEVEL * np.sin(ph)
    y = saturation_curve(s, drive_db, tube)
    return float(np.sqrt(np.mean(s * s)) / np.sqrt(np.mean(y * y)))


MONITOR_MODES = ("processed", "bypass", "matched")
MATCH_TAU_S = 0.3          # the matching gain follows the short-term offset this slowly
CROSSFADE_TAU_S = 0.004    # compare switches: ~99 % within 20 ms


def build(values: dict[str, float], fs: float, seq: int, T: np.ndarray | None = None,
          monitor_mode: str = "processed", ref_db: float = 0.0) -> np.ndarray:
    """The complete coefficient set for validated ``values`` at rate ``fs``; the
    monitor stage listens in ``monitor_mode`` (see kernels/monitor.py)."""
    v = values
    if T is None:
        T = np.zeros(K.T_TOTAL)
    T[K.T_SEQ] = seq
    T[K.T_K] = 1.0 - _alpha(SMOOTH_TAU_S, fs)
    T[K.T_RAMPN] = math.ceil(RAMP_TAUS * SMOOTH_TAU_S * fs)
    T[K.T_FS] = fs
    _input(v, fs, T[K.TB_IN:K.TB_IN + input_stage.T_SIZE])
    _eq(v, fs, T[K.TB_EQ:K.TB_EQ + eq.T_SIZE])
    _glue(v, fs, T[K.TB_GLUE:K.TB_GLUE + glue.T_SIZE])
    _multiband(v, fs, T[K.TB_MB:K.TB_MB + multiband.T_SIZE])
    _oversampled(v, fs, T[K.TB_OS:K.TB_OS + oversampled.T_SIZE])
    _limiter(v, fs, T[K.TB_LIM:K.TB_LIM + limiter.T_SIZE])
    _output(v, fs, T[K.TB_OUT:K.TB_OUT + output_stage.T_SIZE])
    _monitor(v, fs, T[K.TB_MON:K.TB_MON + monitor.T_SIZE], monitor_mode, ref_db)
    return T


def _monitor(v, fs, T, mode, ref_db):
    from .meters import k_weighting

    m = monitor
    if mode not in MONITOR_MODES:
        raise ValueError(f"monitor mode {mode!r}: use one of {', '.join(MONITOR_MODES)}")
    if not (math.isfinite(ref_db) and abs(ref_db) <= m.HOLD_DB):
        raise ValueError(f"monitor reference {ref_db!r} LU is out of range "
                         f"-{m.HOLD_DB:g}..{m.HOLD_DB:g} LU")
    T[m.MODE] = MONITOR_MODES.index(mode)
    T[m.REF_DB] = ref_db
    T[m.LAT] = latency_frames(fs)
    T[m.HOP] = round(fs / 10)
    T[m.CLAMP] = _db(v["limiter.ceiling_dbtp"]) if v["limiter.on"] else 1.0
    T[m.GAIN_K] = 1.0 - _alpha(MATCH_TAU_S, fs)
    T[m.XF_K] = 1.0 - _alpha(CROSSFADE_TAU_S, fs)
    shelf, hp = k_weighting(fs)
    T[m.KL:m.KL + 40] = np.repeat(np.array([shelf, hp]).ravel(), 4)   # [section][coef][lane]


def _input(v, fs, T):
    m = input_stage
    T[m.MIX] = v["input.on"]
    g = _db(v["input.trim_db"])
    T[m.GAIN_L] = -g if v["input.invert_l"] else g
    T[m.GAIN_R] = -g if v["input.invert_r"] else g
    T[m.SWAP] = v["input.swap"]
    T[m.DC_MIX] = v["input.dc_block"]
    _put(T, m.DC_COEF, fd.highpass1(fs, 5.0))


def eq_sections(v, fs):
    """The nine (mid, side) coefficient pairs of the EQ, in kernel order."""
    I = fd.IDENTITY
    both = lambda c: (c, c)  # noqa: E731
    secs = []
    if v["eq.hp_on"]:
        qs = fd.BUTTER_Q[24 if v["eq.hp_slope"] else 12]
        secs += [both(fd.highpass(fs, v["eq.hp_freq_hz"], q)) for q in qs]
        secs += [both(I)] * (2 - len(qs))
    else:
        secs += [both(I), both(I)]
    for band, design in (("low_shelf", fd.low_shelf), ("bell1", fd.bell), ("bell2", fd.bell),
                         ("bell3", fd.bell), ("high_shelf", fd.high_shelf)):
        f = min(v[f"eq.{band}_freq_hz"], 0.49 * fs)
        c = design(fs, f, v[f"eq.{band}_gain_db"], v[f"eq.{band}_q"])
        mode = int(v[f"eq.{band}_mode"])
        secs.append((c if mode in (0, 1) else I, c if mode in (0, 2) else I))
    if v["eq.lp_on"]:
        qs = fd.BUTTER_Q[24 if v["eq.lp_slope"] else 12]
        f = min(v["eq.lp_freq_hz"], 0.49 * fs)
        secs += [both(fd.lowpass_matched(fs, f, q)) for q in qs]
        secs += [both(I)] * (2 - len(qs))
    else:
        secs += [both(I), both(I)]
    return secs


def _eq(v, fs, T):
    T[eq.MIX] = v["eq.on"]
    for s, (cm, cs) in enumerate(eq_sections(v, fs)):
        _put(T, eq.COEF + (2 * s) * BIQ, cm)
        _put(T, eq.COEF + (2 * s + 1) * BIQ, cs)


def _glue(v, fs, T):
    m = glue
    T[m.MIX] = v["glue.on"]
    T[m.THR] = v["glue.threshold_db"]
    T[m.SLOPE] = 1.0 / v["glue.ratio"] - 1.0
    T[m.KNEE] = v["glue.knee_db"]
    T[m.MAKEUP] = _db(v["glue.makeup_db"])
    T[m.PMIX] = v["glue.mix_pct"] / 100.0
    T[m.LINK] = v["glue.link_pct"] / 100.0
    T[m.ATT] = _alpha(v["glue.attack_ms"] * 1e-3, fs)
    T[m.REL] = _alpha(v["glue.release_ms"] * 1e-3, fs)
    T[m.AUTO] = v["glue.auto_release"]
    T[m.REL_FAST] = _alpha(0.05, fs)
    T[m.REL_SLOW] = _alpha(0.6, fs)
    T[m.AVG] = 1.0 - _alpha(1.0, fs)
    _put(T, m.SC, fd.highpass(fs, v["glue.sc_hp_hz"], fd.LR_Q))


def _multiband(v, fs, T):
    m = multiband
    T[m.MIX] = v["multiband.on"]
    f1, f2 = v["multiband.xover_low_hz"], v["multiband.xover_high_hz"]
    _put(T, m.LP1, fd.lowpass(fs, f1, fd.LR_Q))
    _put(T, m.HP1, fd.highpass(fs, f1, fd.LR_Q))
    _put(T, m.LP2, fd.lowpass(fs, f2, fd.LR_Q))
    _put(T, m.HP2, fd.highpass(fs, f2, fd.LR_Q))
    _put(T, m.AP2, fd.allpass(fs, f2, fd.LR_Q))
    bands = ("low", "mid", "high")
    any_solo = any(v[f"multiband.{b}_solo"] for b in bands)
    for i, b in enumerate(bands):
        o = m.BAND + i * m.B_SIZE
        p = f"multiband.{b}_"
        T[o + m.B_THR] = v[p + "threshold_db"]
        T[o + m.B_SLOPE] = 1.0 / v[p + "ratio"] - 1.0
        T[o + m.B_ATT] = _alpha(v[p + "attack_ms"] * 1e-3, fs)
        T[o + m.B_REL] = _alpha(v[p + "release_ms"] * 1e-3, fs)
        T[o + m.B_GAIN] = _db(v[p + "gain_db"])
        T[o + m.B_ACTIVE] = 1.0 - v[p + "bypass"]
        T[o + m.B_AUDIBLE] = 1.0 if (not any_solo or v[p + "solo"]) else 0.0


def stereo_is_neutral(v) -> bool:
    return (not v["stereo.on"] or (v["stereo.width_pct"] == 100.0 and not v["stereo.mono_bass_on"]
                                   and v["stereo.balance_db"] == 0.0))


def _oversampled(v, fs, T):
    m = oversampled
    engaged = v["saturation.on"] or v["clipper.on"] or not stereo_is_neutral(v)
    T[m.SEC_MIX] = 1.0 if engaged else 0.0
    T[m.SAT_MIX] = v["saturation.on"]
    T[m.SAT_PRE] = _db(v["saturation.drive_db"])
    tube = float(v["saturation.character"])
    T[m.SAT_TUBE] = tube
    T[m.SAT_WET] = v["saturation.mix_pct"] / 100.0
    T[m.SAT_POST] = _auto_gain(v["saturation.drive_db"], tube) if v["saturation.auto_gain"] else 1.0
    T[m.ST_MIX] = v["stereo.on"]
    T[m.ST_SIDE] = v["stereo.width_pct"] / 100.0
    b = v["stereo.balance_db"]
    T[m.ST_GL] = _db(-b / 2)
    T[m.ST_GR] = _db(b / 2)
    T[m.ST_MONO] = v["stereo.mono_bass_on"]
    _put(T, m.ST_HP, fd.highpass(m.FACTOR * fs, v["stereo.mono_bass_hz"], fd.LR_Q))
    T[m.CL_MIX] = v["clipper.on"]
    T[m.CL_CEIL] = _db(v["clipper.ceiling_db"])
    T[m.CL_THR] = _db(v["clipper.ceiling_db"] - v["clipper.softness_db"])
    T[m.TUBE_BIAS] = TUBE_BIAS
    T[m.TUBE_OFF] = math.tanh(TUBE_BIAS)
    T[m.TUBE_NORM] = 1.0 / (1.0 - math.tanh(TUBE_BIAS) ** 2)
    _put(T, m.DC, fd.highpass1(m.FACTOR * fs, 5.0))
    a = halfband_even_taps(m.A_LEN)[::-1]
    b = halfband_even_taps(m.B_LEN)[::-1]
    T[m.A_UP:m.A_UP + m.A_TAPS] = 2.0 * a
    T[m.A_DN:m.A_DN + m.A_TAPS] = a
    T[m.B_UP:m.B_UP + m.B_TAPS] = 2.0 * b
    T[m.B_DN:m.B_DN + m.B_TAPS] = b


def _limiter(v, fs, T):
    m = limiter
    T[m.MIX] = v["limiter.on"]
    T[m.DRIVE] = _db(v["limiter.drive_db"])
    T[m.CEIL] = _db(v["limiter.ceiling_dbtp"] - LIMITER_MARGIN_DB)
    # two release poles in cascade reach 63 % at 2.146 of each one's time constant
    T[m.REL] = 1.0 - _alpha(v["limiter.release_ms"] * 1e-3 / 2.146, fs)
    T[m.AUTO] = v["limiter.auto_release"]
    T[m.REL_FAST] = 1.0 - _alpha(0.015 / 2.146, fs)
    T[m.REL_SLOW] = 1.0 - _alpha(0.4 / 2.146, fs)
    T[m.AVG] = 1.0 - _alpha(0.8, fs)
    T[m.WIN] = limiter_window(fs)
    T[m.TP:m.ANNEX] = polyphase_reversed(_tp_fir(), m.TP_PHASES, m.TP_TAPS).ravel()
    T[m.ANNEX:m.ANNEX + m.TP_PHASES * m.ANNEX_TAPS] = annex2_phases()[:, ::-1].ravel()


def _output(v, fs, T):
    m = output_stage
    T[m.MIX] = v["output.on"]
    T[m.TRIM] = _db(v["output.trim_db"])
    T[m.DITHER] = v["output.dither"]
    bits = 24 if v["output.bits"] else 16
    T[m.LSB] = 2.0 ** -(bits - 1)
    T[m.HOLD] = SILENCE_HOLD_S * fs


def initial_state(T: np.ndarray) -> np.ndarray:
    """A fresh state for coefficient set T (the kernel that the callback also
    uses after a fault): working coefficients at their targets, filters empty,
    limiter gain at unity."""
    S = np.zeros(K.S_TOTAL)
    K.reset_state(T, S)
    return S
