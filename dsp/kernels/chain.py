"""The chain kernel: every module in order over caller-owned arrays.

``process(x, y, n, T, S, W, R)`` reads n stereo float32 frames from x, writes n
to y. T is the published coefficient set (targets), S the chain's whole state, W
a (CHUNK, W_COLS) float64 work buffer (left, right, the output stage's silence
count, and the two tap columns a stage fills for the monitor when a listening
mode plays its inner signal), R the monitor's reference tracks (float32,
kernels/monitor.py; may be empty). Nothing here allocates, locks, logs or touches
Python objects, so the engine's @cfunc callback can call it as it is.

The block is processed in chunks of at most CHUNK frames, module by module;
every module carries its state from sample to sample, so the output does not
depend on block or chunk size. A new coefficient set (its sequence number in
T[SEQ] differs from the last one seen) starts a ramp: for RAMP_N samples every
module moves its working coefficients toward the new targets, then snaps.
Last comes the monitor stage (kernels/monitor.py): loudness-matched compare.
"""
import math

from numba import njit

from . import deess, dyneq, eq, glue, input_stage, limiter, monitor, multiband, output_stage, oversampled
from .common import JIT, smooth
from .layout import Layout

CHUNK = 128
W_COLS = 5
# The stages in processing order, by the name the coefficient design uses
# (dsp/modules: a module's STAGE), each with its slice of T and of S.
STAGES = (("input", input_stage), ("eq", eq), ("dyneq", dyneq), ("deess", deess),
          ("glue", glue), ("multiband", multiband),
          ("oversampled", oversampled), ("limiter", limiter), ("output", output_stage),
          ("monitor", monitor))

_T = Layout()
# T header: sequence number, smoothing coefficient, ramp length, sample rate,
# and whether the monitor stage runs (0 for renders: its trackers and modes
# serve only what is heard, and in processed mode it leaves the audio as it is)
T_SEQ, T_K, T_RAMPN, T_FS, T_MONITOR = _T.each(5)
T_HEADER = _T.size
T_BASE = {name: _T.take(kern.T_SIZE) for name, kern in STAGES}
T_TOTAL = _T.size
_S = Layout()
S_SEQ, S_RAMP, S_SILENT, S_NONFINITE, S_FAULTS = _S.each(5)
S_HEADER = _S.size
S_BASE = {name: _S.take(kern.S_SIZE) for name, kern in STAGES}
S_TOTAL = _S.size
TB_IN, TB_EQ, TB_DYN, TB_DS, TB_GLUE, TB_MB, TB_OS, TB_LIM, TB_OUT, TB_MON = T_BASE.values()
SB_IN, SB_EQ, SB_DYN, SB_DS, SB_GLUE, SB_MB, SB_OS, SB_LIM, SB_OUT, SB_MON = S_BASE.values()

T_LIM_WIN = TB_LIM + limiter.WIN
# (coefficient base, state base, count) of every module's smoothed values
SMOOTHED = ((TB_IN, SB_IN, input_stage.N_SMOOTH), (TB_EQ, SB_EQ, eq.N_SMOOTH),
            (TB_DYN, SB_DYN, dyneq.N_SMOOTH), (TB_DS, SB_DS, deess.N_SMOOTH),
            (TB_GLUE, SB_GLUE, glue.N_SMOOTH), (TB_MB, SB_MB, multiband.N_SMOOTH),
            (TB_OS, SB_OS, oversampled.N_SMOOTH), (TB_LIM, SB_LIM, limiter.N_SMOOTH),
            (TB_OUT, SB_OUT, output_stage.N_SMOOTH))


@njit(**JIT)
def reset_state(T, S):
    """Fresh state for coefficient set T, in place: filters, delays and envelopes
    empty, working coefficients at their targets (no ramp from zero), limiter at
    unity gain. The header's counters (non-finite samples, faults) are kept.
    Called at start-up and, inside the callback, after a fault."""
    for i in range(S_HEADER, S_TOTAL):
        S[i] = 0.0
    S[S_SEQ] = T[T_SEQ]
    S[S_RAMP] = 0.0
    for tb, sb, count in SMOOTHED:
        smooth(T, tb, S, sb, count, 0.0, True)       # snap: copy the targets
    for idx in (limiter.S_R, limiter.S_R1, limiter.S_AVG, limiter.S_GAIN):
        S[SB_LIM + idx] = 1.0
    for j in range(limiter.RING):
        S[SB_LIM + limiter.S_BOX + j] = 1.0
    S[SB_LIM + limiter.S_BSUM] = T[T_LIM_WIN]
    S[SB_OUT + output_stage.S_RNG] = 12345.0
    S[S_SILENT] = T[TB_OUT + output_stage.HOLD]     # silence until the first sample
    monitor.reset(T[TB_MON:TB_MON + monitor.T_SIZE], S[SB_MON:SB_MON + monitor.S_SIZE])


@njit(**JIT)
def load_chunk(x, c0, m, W, S):
    """Frames c0 .. c0+m-1 of x into the work buffer W: left, right, and how
    many frames of digital silence end at each (the output stage's hold).
    Non-finite input samples become silence, counted for the caller."""
    silent = S[S_SILENT]
    for i in range(m):
        l = float(x[c0 + i, 0])
        r = float(x[c0 + i, 1])
        if not math.isfinite(l):
            l = 0.0
            S[S_NONFINITE] += 1.0
        if not math.isfinite(r):
            r = 0.0
            S[S_NONFINITE] += 1.0
        if l == 0.0 and r == 0.0:
            silent += 1.0
        else:
            silent = 0.0
        W[i, 0] = l
        W[i, 1] = r
        W[i, 2] = silent
    S[S_SILENT] = silent


@njit(**JIT)
def process(x, y, n, T, S, W, R):
    t_in = T[TB_IN:TB_IN + input_stage.T_SIZE]
    s_in = S[SB_IN:SB_IN + input_stage.S_SIZE]
    t_eq = T[TB_EQ:TB_EQ + eq.T_SIZE]
    s_eq = S[SB_EQ:SB_EQ + eq.S_SIZE]
    t_dy = T[TB_DYN:TB_DYN + dyneq.T_SIZE]
    s_dy = S[SB_DYN:SB_DYN + dyneq.S_SIZE]
    t_ds = T[TB_DS:TB_DS + deess.T_SIZE]
    s_ds = S[SB_DS:SB_DS + deess.S_SIZE]
    t_gl = T[TB_GLUE:TB_GLUE + glue.T_SIZE]
    s_gl = S[SB_GLUE:SB_GLUE + glue.S_SIZE]
    t_mb = T[TB_MB:TB_MB + multiband.T_SIZE]
    s_mb = S[SB_MB:SB_MB + multiband.S_SIZE]
    t_os = T[TB_OS:TB_OS + oversampled.T_SIZE]
    s_os = S[SB_OS:SB_OS + oversampled.S_SIZE]
    t_lim = T[TB_LIM:TB_LIM + limiter.T_SIZE]
    s_lim = S[SB_LIM:SB_LIM + limiter.S_SIZE]
    t_out = T[TB_OUT:TB_OUT + output_stage.T_SIZE]
    s_out = S[SB_OUT:SB_OUT + output_stage.S_SIZE]
    t_mon = T[TB_MON:TB_MON + monitor.T_SIZE]
    s_mon = S[SB_MON:SB_MON + monitor.S_SIZE]
    k = T[T_K]
    c0 = 0
    while c0 < n:
        m = min(CHUNK, n - c0)
        ramp = int(S[S_RAMP])
        if T[T_SEQ] != S[S_SEQ]:
            S[S_SEQ] = T[T_SEQ]
            ramp = int(T[T_RAMPN])
        load_chunk(x, c0, m, W, S)
        live = T[T_MONITOR] != 0.0
        tap = -1
        if live:
            monitor.push_dry(W, m, s_mon)
            tap = monitor.tap_of(t_mon, s_mon)
            if tap >= 0:
                for i in range(m):
                    W[i, 3] = 0.0
                    W[i, 4] = 0.0
        input_stage.process(W, m, t_in, s_in, ramp, k)
        eq.process(W, m, t_eq, s_eq, ramp, k)
        dyneq.process(W, m, t_dy, s_dy, ramp, k, tap)
        deess.process(W, m, t_ds, s_ds, ramp, k, tap == dyneq.BANDS)
        glue.process(W, m, t_gl, s_gl, ramp, k)
        multiband.process(W, m, t_mb, s_mb, ramp, k)
        oversampled.process(W, m, t_os, s_os, ramp, k)
        limiter.process(W, m, t_lim, s_lim, ramp, k)
        output_stage.process(W, m, t_out, s_out, ramp, k)
        if live:
            monitor.process(W, m, t_mon, s_mon, R)
        fault = False
        for i in range(m):
            l = W[i, 0]
            r = W[i, 1]
            if not (math.isfinite(l) and math.isfinite(r)):
                # a module's state went bad: output silence for it
                l = 0.0
                r = 0.0
                fault = True
            y[c0 + i, 0] = l
            y[c0 + i, 1] = r
        S[S_RAMP] = max(ramp - m, 0)
        if fault:
            # count it and start every module afresh (in place: nothing allocated)
            S[S_FAULTS] += 1.0
            reset_state(T, S)
        c0 += m
