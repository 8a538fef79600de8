"""Each stage of the chain kernel timed alone, on the chain's own state and
coefficients, ns per stereo frame: where the full chain's time goes, stage
by stage (bench/module_costs.py times each module switched on alone instead).

    .venv/bin/python bench/stage_costs.py [--seconds 5] [--quick]

A compiled driver feeds each stage's process() the audio in the chain's
chunks, as kernels/chain.py does, and the cost of loading the chunks alone is
taken off. The stages that follow others get the input audio, not what the
stages before would make of it: close enough for where the time goes (every
module here is as busy on noise as on its own input), not a substitute for
the whole chain's figure.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np
from numba import njit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)

from bench_values import FULL, QUICK, best_of  # noqa: E402

from dsp.chain import Chain  # noqa: E402
from dsp.kernels import chain as K  # noqa: E402
from dsp.kernels import (eq, glue, input_stage, limiter, monitor, multiband,  # noqa: E402
                         output_stage, oversampled)

FS = 48000
STAGES = (("input", input_stage, K.TB_IN, K.SB_IN), ("eq", eq, K.TB_EQ, K.SB_EQ),
          ("glue", glue, K.TB_GLUE, K.SB_GLUE), ("multiband", multiband, K.TB_MB, K.SB_MB),
          ("oversampled", oversampled, K.TB_OS, K.SB_OS), ("limiter", limiter, K.TB_LIM, K.SB_LIM),
          ("output", output_stage, K.TB_OUT, K.SB_OUT))


@njit
def _load(x, W, c0, m):
    for i in range(m):
        W[i, 0] = x[c0 + i, 0]
        W[i, 1] = x[c0 + i, 1]
        W[i, 2] = 0.0


@njit
def _drive(f, x, W, t, s, k):
    n = x.shape[0]
    c0 = 0
    while c0 < n:
        m = min(K.CHUNK, n - c0)
        _load(x, W, c0, m)
        f(W, m, t, s, 0, k)
        c0 += m


@njit
def _drive_monitor(x, W, t, s, R):
    n = x.shape[0]
    c0 = 0
    while c0 < n:
        m = min(K.CHUNK, n - c0)
        _load(x, W, c0, m)
        monitor.push_dry(W, m, s)
        monitor.process(W, m, t, s, R)
        c0 += m


@njit
def _drive_load(x, W):
    n = x.shape[0]
    c0 = 0
    while c0 < n:
        m = min(K.CHUNK, n - c0)
        _load(x, W, c0, m)
        c0 += m


def _ns(fn, n, reps):
    return best_of(fn, reps) / n * 1e9


def table(seconds: float) -> list[str]:
    rng = np.random.default_rng(1)
    n = int(FS * seconds)
    t = np.arange(n) / FS
    x = (0.2 * rng.standard_normal((n, 2)) + 0.3 * np.sin(2 * np.pi * 80 * t)[:, None]).astype(np.float32)
    reps = 1 if QUICK else 7
    lines = [f"each stage alone on the full chain's state, {seconds:g} s at {FS} Hz, best of {reps}, ns/frame"]
    for label, values in (("idle chain", {}), ("full chain", FULL)):
        c = Chain(FS, values)
        c.process(x[:4096])
        W = np.zeros((K.CHUNK, K.W_COLS))
        _drive_load(x[:256], W)
        base = _ns(lambda: _drive_load(x, W), n, reps)
        cells = []
        total = 0.0
        for name, mod, tb, sb in STAGES:
            T = c.T[tb:tb + mod.T_SIZE]
            S = c.S[sb:sb + mod.S_SIZE]
            _drive(mod.process, x[:256], W, T, S, c.T[K.T_K])
            ns = _ns(lambda: _drive(mod.process, x, W, T, S, c.T[K.T_K]), n, reps) - base
            total += ns
            cells.append(f"{name} {ns:5.1f}")
        Tm = c.T[K.TB_MON:K.TB_MON + monitor.T_SIZE]
        Sm = c.S[K.SB_MON:K.SB_MON + monitor.S_SIZE]
        _drive_monitor(x[:256], W, Tm, Sm, c.R)
        ns = _ns(lambda: _drive_monitor(x, W, Tm, Sm, c.R), n, reps) - base
        total += ns
        cells.append(f"monitor {ns:5.1f}")
        lines.append(f"{label}: " + ", ".join(cells) + f"; sum {total:5.1f}")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--quick", action="store_true", help="0.2 s, one run: that it runs")
    a = ap.parse_args()
    if a.quick:
        a.seconds = 0.2
    if not 0.1 <= a.seconds <= 600:
        ap.error(f"--seconds {a.seconds}: out of range 0.1..600")
    print("\n".join(table(a.seconds)))


if __name__ == "__main__":
    main()
