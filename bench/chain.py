"""Chain speed against Spotify's pedalboard, in the same run on the same audio.

Prints, for our full chain (every module active), ns per stereo frame, offline
real-time factor and per-block p50/p99 at 64/128/256 frames; then pedalboard's
HighpassFilter, LowShelf, 2 PeakFilters, HighShelf, Compressor, Distortion and
BrickwallLimiter(true_peak=True) on the same audio; then our chain restricted
to those modules. Ratios > 1 mean masterbox is faster. Our chain writes into
an output array made once (see ours_offline); pedalboard makes its own.
Then the full chain with issue #30's tools all acting (two dynamic EQ
bands, the de-esser, upward compression). Then the full chain while compare or a reference track is heard
(the monitor's true-peak safety limiter runs only then), and while a
snapshot's 500 ms morph runs all the time (every module on its per-sample
ramp path, the costliest moment).
Then where the time goes: bench/module_costs.py's table (each module alone,
each monitor and listening mode, a playback context beside pedalboard's
Convolution, pedalboard's nearest plugins, the CPU and the numba/LLVM
versions). Last, the codec preview's CPU share (bench/codec_worker.py).

    .venv/bin/python bench/chain.py [--seconds 20] [--quick]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

from dsp.chain import Chain  # noqa: E402

FS = 48000

from bench_values import FULL, FULL_ACTING, best_of  # noqa: E402
import codec_worker  # noqa: E402
import module_costs  # noqa: E402

# the same job as the pedalboard chain below
PEDALBOARD_SUBSET = {
    "eq.hp_on": 1, "eq.hp_freq_hz": 30, "eq.low_shelf_gain_db": 2, "eq.bell1_gain_db": -2,
    "eq.bell2_gain_db": 1, "eq.high_shelf_gain_db": 2,
    "glue.ratio": 2, "glue.threshold_db": -18,
    "saturation.on": 1, "saturation.drive_db": 6,
    "limiter.on": 1, "limiter.drive_db": 3,
}


def audio(seconds):
    rng = np.random.default_rng(1)
    n = int(FS * seconds)
    t = np.arange(n) / FS
    x = 0.2 * rng.standard_normal((n, 2)) + 0.3 * np.sin(2 * np.pi * 80 * t)[:, None]
    return (x * (1 + 0.5 * np.sin(2 * np.pi * 0.5 * t))[:, None]).astype(np.float32)




def ours_offline(values, x):
    """ns per frame, into an output array made once (as the engine and the
    renderer call it): a fresh 20 s array per call would time the kernel's
    page faults too, which on this machine made the first chain measured in
    a process read 10-25 % slow in some runs."""
    c = Chain(FS, values)
    out = np.empty_like(x)
    c.process(x[:4096])                       # compile / warm
    c.process(x, out)                         # (the output's pages touched)
    return best_of(lambda: c.process(x, out)) / len(x) * 1e9


def ours_listening(values, x, mode):
    """The full chain with the monitor playing the raised input (compare) or
    a reference track: the true-peak safety limiter's cost on top."""
    from dsp.references import ReferenceBank, prepare
    c = Chain(FS, values, reference_bytes=64 << 20)
    if mode == "reference":
        bank = ReferenceBank(c.R, FS)
        c.set_reference(bank.place(0, prepare(x[::-1].copy(), FS, FS, bank.slot_frames), "ref").selector)
    c.process(x[:4096])
    c.set_monitor(mode)
    c.process(x[:4096])
    out = np.empty_like(x)
    c.process(x, out)
    return best_of(lambda: c.process(x, out)) / len(x) * 1e9


def ours_morphing(values, x, block=128):
    """The full chain with a 500 ms morph started every 500 ms (toward two
    snapshots in turn), so every block is inside a ramp: ns per frame and the
    p99 of a block."""
    a = dict(values)
    b = dict(values, **{"eq.bell2_gain_db": values["eq.bell2_gain_db"] - 3.0,
                        "glue.threshold_db": values["glue.threshold_db"] - 4.0,
                        "limiter.drive_db": values["limiter.drive_db"] + 2.0})
    c = Chain(FS, values)
    out = np.empty((block, 2), np.float32)
    c.process(x[:block], out)
    times, every, k = [], FS // 2 // block, 0
    for i in range(0, len(x) - block, block):
        if k % every == 0:
            c.set(b if (k // every) % 2 == 0 else a, morph_s=0.5)
        k += 1
        t = time.perf_counter_ns()
        c.process(x[i:i + block], out)
        times.append(time.perf_counter_ns() - t)
    t = np.array(times)
    return t.sum() / (len(times) * block), np.percentile(t, 99) / 1e3, block / FS * 1e6


def ours_blocks(values, x, block):
    c = Chain(FS, values)
    out = np.empty((block, 2), np.float32)
    c.process(x[:block], out)
    times = []
    for i in range(0, len(x) - block, block):
        b = x[i:i + block]
        t = time.perf_counter_ns()
        c.process(b, out)
        times.append(time.perf_counter_ns() - t)
    t = np.array(times) / 1e3
    return np.percentile(t, 50), np.percentile(t, 99), block / FS * 1e6


def pedalboard_ns(x):
    import pedalboard as pb
    board = pb.Pedalboard([
        pb.HighpassFilter(30), pb.LowShelfFilter(100, 2), pb.PeakFilter(250, -2, 1),
        pb.PeakFilter(1000, 1, 1), pb.HighShelfFilter(10000, 2), pb.Compressor(-18, 2, 10, 300),
        pb.Distortion(6), pb.BrickwallLimiter(ceiling_db=-1.0, true_peak=True),
    ])
    xt = np.ascontiguousarray(x.T)
    board(xt[:, :4096], FS)
    return best_of(lambda: board(xt, FS)) / x.shape[0] * 1e9, pb.__version__


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--quick", action="store_true", help="1 s of audio, one run: that it runs")
    a = ap.parse_args()
    if a.quick:
        a.seconds = 1.0
    x = audio(a.seconds)
    full = ours_offline(FULL, x)
    subset = ours_offline(PEDALBOARD_SUBSET, x)
    pb_ns, pb_ver = pedalboard_ns(x)
    print(f"audio: {a.seconds:g} s stereo at {FS} Hz, best of 5")
    print(f"masterbox full chain      : {full:7.1f} ns/frame  ({1e9 / full / FS:6.1f}x real time)")
    print(f"masterbox pedalboard jobs : {subset:7.1f} ns/frame  ({1e9 / subset / FS:6.1f}x real time)")
    print(f"pedalboard {pb_ver:8s} chain : {pb_ns:7.1f} ns/frame  ({1e9 / pb_ns / FS:6.1f}x real time)")
    acting = ours_offline(FULL_ACTING, x)
    print(f"masterbox full chain + both dynamic EQ bands, de-esser and upward compression acting: "
          f"{acting:7.1f} ns/frame  ({1e9 / acting / FS:6.1f}x real time, "
          f"{100 * (acting / full - 1):+5.1f} % over the full chain)")
    # (issue #33's targets: other x86 hosts read these ratios about 25 % lower,
    # and there they should stay at or above 1.0 and 1.5)
    print(f"ratio full chain vs pedalboard   : {pb_ns / full:5.2f}  (target >= 1.25)")
    print(f"ratio full chain with the dynamic tools vs pedalboard: {pb_ns / acting:5.2f}")
    print(f"ratio same modules vs pedalboard : {pb_ns / subset:5.2f}  (target >= 1.8)")
    for mode, what in (("bypass", "compare (input raised)"), ("reference", "a reference track ")):
        ns = ours_listening(FULL, x, mode)
        print(f"full chain hearing {what}: {ns:7.1f} ns/frame  ({100 * (ns / full - 1):+5.1f} % "
              "against the processed output: the safety limiter)")
    ns, p99, period = ours_morphing(FULL, x)
    print(f"full chain inside a 500 ms morph: {ns:7.1f} ns/frame  ({100 * (ns / full - 1):+5.1f} %); "
          f"128-frame blocks p99 {p99:6.1f} us = {100 * p99 / period:4.1f} % of the period")
    for block in (64, 128, 256):
        p50, p99, period = ours_blocks(FULL, x[: FS * 5], block)
        print(f"full chain, {block:3d}-frame blocks: p50 {p50:6.1f} us, p99 {p99:6.1f} us, "
              f"period {period:6.1f} us, p99 = {100 * p99 / period:4.1f} % of the period")
    print()
    print("\n".join(module_costs.table(x[: FS * 5])))
    print()
    if a.quick:       # (its own quick run covers it: make test runs every bench's)
        print("codec preview's CPU share: bench/codec_worker.py")
    else:
        print("\n".join(codec_worker.table(10.0)))


if __name__ == "__main__":
    main()
