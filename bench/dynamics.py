"""The dynamic EQ and de-esser: their sound at 6 dB of gain change, against
pedalboard's Compressor at 6 dB of gain reduction in the same run (the
environment has no dynamic EQ to set beside ours: pedalboard's is the
nearest peer, a compressor whose gain moves the same way), and their cost.

    .venv/bin/python bench/dynamics.py [--quick]

Sound: a 1 kHz sine 8 dB over the threshold at 4:1 (6 dB of change set by
the ratio, not held by a range), release 50 and 200 ms, attack 10 ms: THD+N
by tests/helpers.thd_n_db (a least-squares sine removed, scipy/numpy only).
Cost: ns per stereo frame of the chain with the dynamic tools acting, over
the same chain with them off (each kernel alone is not separable from the
chain's own loop), best of 5.
"""
from __future__ import annotations

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, HERE)

from bench_values import ACTING, FULL, QUICK, best_of  # noqa: E402
from helpers import thd_n_db  # noqa: E402

from dsp.chain import Chain  # noqa: E402

FS = 48000
SECONDS = 1.5 if QUICK else 3.0
THR, RATIO, LEVEL = -30.0, 4.0, -22.0        # 8 dB over at 4:1: 6 dB of change


def sine():
    t = np.arange(int(SECONDS * FS)) / FS
    x = 10 ** (LEVEL / 20) * np.sin(2 * np.pi * 1000 * t)
    return np.stack([x, x], 1).astype(np.float32)


def settled(y):
    return np.asarray(y, np.float64)[FS // 2:, 0]


def ours(x, release):
    v = {"dyneq.b1_on": 1, "dyneq.b1_freq_hz": 1000, "dyneq.b1_threshold_db": THR,
         "dyneq.b1_ratio": RATIO, "dyneq.b1_range_db": -24, "dyneq.b1_attack_ms": 10,
         "dyneq.b1_release_ms": release}
    c = Chain(FS, v, monitor=False)
    return settled(c.process(x))


def pedalboard(x, release):
    from pedalboard import Compressor
    comp = Compressor(threshold_db=THR, ratio=RATIO, attack_ms=10, release_ms=release)
    return settled(comp.process(np.ascontiguousarray(x.T), FS, reset=True).T)


def cost(values, x):
    c = Chain(FS, values, monitor=False)
    c.process(x[:4096])
    return best_of(lambda: c.process(x)) / len(x) * 1e9


def main():
    from pedalboard import __version__ as pb_version
    x = sine()
    print(f"1 kHz sine at {LEVEL:g} dBFS, threshold {THR:g} dB, {RATIO:g}:1, attack 10 ms")
    for release in (50, 200):
        y, p = ours(x, release), pedalboard(x, release)
        g_ours = 20 * np.log10(np.max(np.abs(y[-FS // 4:])) / 10 ** (LEVEL / 20))
        g_pb = 20 * np.log10(np.max(np.abs(p[-FS // 4:])) / 10 ** (LEVEL / 20))
        print(f"release {release:3d} ms: masterbox dynamic EQ band {g_ours:+.2f} dB, THD+N "
              f"{thd_n_db(y, FS, 1000.0):7.1f} dB | pedalboard {pb_version} Compressor "
              f"{g_pb:+.2f} dB, THD+N {thd_n_db(p, FS, 1000.0):7.1f} dB")
    rng = np.random.default_rng(1)
    noise = (0.2 * rng.standard_normal((int(FS * (1 if QUICK else 10)), 2))).astype(np.float32)
    base = cost(FULL, noise)
    acting = cost({**FULL, **ACTING}, noise)
    print(f"full chain {base:6.1f} ns/frame; with two dynamic EQ bands, the de-esser and upward "
          f"compression acting {acting:6.1f} ns/frame ({acting - base:+.1f} ns)")
    for name, keys in (("dynamic EQ band 1", "dyneq.b1_"), ("dynamic EQ band 2", "dyneq.b2_"),
                       ("de-esser", "deess."), ("upward compression", "glue.up_")):
        one = cost({**FULL, **{k: v for k, v in ACTING.items() if k.startswith(keys)}}, noise)
        print(f"  {name:20s}: {one - base:+6.1f} ns/frame")


if __name__ == "__main__":
    main()
