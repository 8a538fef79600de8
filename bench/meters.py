"""Meter speed against pyloudnorm, in the same run on the same audio.

Prints the streaming meter's cost per stereo frame (M, S, I, LRA and true peak
together; 128-frame blocks driven from compiled code, as the engine's callback
calls it) next to the full chain's, and the offline time to measure 60 s of
stereo 48 kHz audio (every figure: M, S, I, LRA, true peak) against pyloudnorm's
integrated loudness alone: measure() as it runs (the true peak on a second
thread, both cores of this machine) and on one thread.

    .venv/bin/python bench/meters.py [--quick]
"""
from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from dsp.chain import Chain  # noqa: E402
from dsp.meters import Meter, measure  # noqa: E402

FS = 48000




def main():
    import pyloudnorm as pyln
    from bench_values import FULL, QUICK, best_of

    rng = np.random.default_rng(0)
    n = FS * (3 if QUICK else 60)
    x = (rng.standard_normal((n, 2)) * 0.1).astype(np.float32)
    x64 = x.astype(np.float64)

    from numba import njit

    from dsp.kernels import meters as MK

    @njit
    def drive(x, MT, MS, block):
        # 128-frame blocks from compiled code: how the engine's callback calls it
        for i in range(0, x.shape[0] - block + 1, block):
            MK.process(x[i:i + block], block, MT, MS)

    m = Meter(FS)
    block = 128
    xs = np.ascontiguousarray(x[:FS * (2 if QUICK else 10)])
    drive(xs[:4800], m.MT, m.MS, block)
    def stream():
        m.reset()
        drive(xs, m.MT, m.MS, block)
    meter_ns = best_of(stream) / (FS * 10) * 1e9

    c = Chain(FS, FULL)
    c.process(x[:4096])
    chain_ns = best_of(lambda: c.process(x[:FS * 10])) / (FS * 10) * 1e9

    measure(x[:FS], FS)
    measure(x[:FS], FS, threads=1)
    ours = best_of(lambda: measure(x, FS))
    ours1 = best_of(lambda: measure(x, FS, threads=1))
    plm = pyln.Meter(FS)
    theirs = best_of(lambda: plm.integrated_loudness(x64))
    print(f"streaming meter (M, S, I, LRA, true peak), {block}-frame blocks: {meter_ns:6.1f} ns/frame")
    print(f"full chain, same machine and run                  : {chain_ns:6.1f} ns/frame")
    print(f"meter cost / chain cost                            : {100 * meter_ns / chain_ns:5.1f} %  (target < 5 %)")
    print(f"offline, 60 s stereo 48 kHz, every figure         : {ours * 1000:7.1f} ms  (two threads)")
    print(f"  the same on one thread                           : {ours1 * 1000:7.1f} ms")
    print(f"pyloudnorm {pyln.__version__ if hasattr(pyln, '__version__') else ''} integrated loudness alone      : {theirs * 1000:7.1f} ms")
    print(f"speed-up                                           : {theirs / ours:5.1f}x  (target >= 10x; "
          f"one thread {theirs / ours1:.1f}x)")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(__file__))
    main()
