"""Where the chain's time goes: each module active alone, the whole chain,
and the monitor stage in each of its modes, ns per stereo frame, beside
pedalboard's nearest plugins timed on the same audio in the same run.
bench/chain.py prints it; also runnable alone:

    .venv/bin/python bench/module_costs.py [--seconds 5] [--quick]

A module "alone" is the chain with that module set as in the full-chain
bench (bench_values.FULL and ACTING) and everything else at its defaults
(asleep or bit-transparent); its cost is that chain minus the idle chain.
Monitor modes are the full chain heard through that mode, minus the full
chain heard plainly; a playback context (an IR of 60 ms, a phone's speaker,
and of 1 s, the longest the box takes) beside pedalboard's Convolution of the
same IR. Each the fastest of 5 runs taken in turns with all the
others (the machine is shared: a slow spell then falls on all alike), on
three fresh chains of each (where a chain's arrays land moves its time).
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)

from bench_values import ACTING, FULL, QUICK, best_of  # noqa: E402

from dsp import modules  # noqa: E402
from dsp.chain import Chain  # noqa: E402

FS = 48000
# pedalboard's nearest plugins for each of our modules (none where it has none)
PEERS = {
    "eq": ("HighpassFilter + LowShelf + 2 PeakFilters + HighShelf",
           lambda pb: [pb.HighpassFilter(30), pb.LowShelfFilter(100, 2), pb.PeakFilter(250, -2, 1),
                       pb.PeakFilter(1000, 1, 1), pb.HighShelfFilter(10000, 2)]),
    "glue": ("Compressor", lambda pb: [pb.Compressor(-18, 2, 10, 300)]),
    "saturation": ("Distortion", lambda pb: [pb.Distortion(6)]),
    "clipper": ("Clipping", lambda pb: [pb.Clipping(-1.0)]),
    "limiter": ("BrickwallLimiter(true_peak=True)",
                lambda pb: [pb.BrickwallLimiter(ceiling_db=-1.0, true_peak=True)]),
}


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("model name", "Model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def header() -> str:
    import llvmlite
    import numba
    from llvmlite import binding

    llvm = ".".join(str(v) for v in binding.llvm_version_info)
    return (f"CPU: {cpu_model()} ({os.cpu_count()} cores), Python {platform.python_version()}, "
            f"numba {numba.__version__}, llvmlite {llvmlite.__version__} (LLVM {llvm})")


def alone(name: str) -> dict:
    """The full-bench settings of one module (its on switch included)."""
    both = {**FULL, **ACTING}
    v = {k: val for k, val in both.items() if k.split(".", 1)[0] == name}
    on = f"{name}.on"
    from dsp import params
    if on in params.BY_ID and not params.BY_ID[on].default:
        v[on] = 1
    return v


CONTEXTS = {"context: 60 ms IR": 0.06, "context: 1 s IR": 1.0}


def impulse_response(seconds: float, fs: int = FS) -> np.ndarray:
    n = int(seconds * fs)
    rng = np.random.default_rng(4)
    return (rng.standard_normal((n, 2)) * np.exp(-np.arange(n) / (n / 6))[:, None] * 0.05)


def prepared(values: dict, mode: str | None = None, solo: str | None = None, *, x: np.ndarray) -> Chain:
    c = Chain(FS, values, reference_bytes=(16 << 20) if mode == "reference" else 0,
              previews=mode in CONTEXTS)
    if mode in CONTEXTS:
        from dsp import contexts
        mem, base = c.context_memory
        ir = contexts.prepare(impulse_response(CONTEXTS[mode]), FS, FS)
        c.set_context(contexts.ContextBank(mem, base, FS).place(0, ir, "ir").selector)
        mode = None
    if mode == "reference":
        from dsp.references import ReferenceBank, prepare
        bank = ReferenceBank(c.R, FS)
        c.set_reference(bank.place(0, prepare(x[::-1].copy(), FS, FS, bank.slot_frames), "ref").selector)
    c.process(x[:4096])
    if mode is not None:
        c.set_monitor(mode, {"matched": -3.0, "delivery": -2.0, "platform": -4.0,
                             "platform limited": 3.0}.get(mode, 0.0))
    if solo is not None:
        c.set_solo(solo)
    c.process(x[:4096])
    return c


def timed(chains: dict, x: np.ndarray, rounds: int) -> dict:
    """ns per frame of each chain: the fastest of ``rounds``, taken in turns,
    so a slow spell of the shared machine falls on all of them alike."""
    best = {k: float("inf") for k in chains}
    out = np.empty_like(x)             # one output array for all (see chain.ours_offline)
    for _ in range(rounds):
        for k, c in chains.items():
            t = time.perf_counter()
            c.process(x, out)
            best[k] = min(best[k], time.perf_counter() - t)
    return {k: v / len(x) * 1e9 for k, v in best.items()}


def pedalboard_ns(make, x: np.ndarray) -> float:
    import pedalboard as pb
    board = pb.Pedalboard(make(pb))
    xt = np.ascontiguousarray(x.T)
    board(xt[:, :4096], FS)
    return best_of(lambda: board(xt, FS)) / x.shape[0] * 1e9


def table(x: np.ndarray) -> list[str]:
    rounds, copies = (1, 1) if QUICK else (5, 3)
    everything = {**FULL, **ACTING}
    setups = {"idle": ({}, None, None), "full": (everything, None, None)}
    setups.update({m.NAME: (alone(m.NAME), None, None) for m in modules.ALL})
    setups.update({"monitor: " + m: (everything, m, None)
                   for m in ("bypass", "matched", "reference", "delivery", "platform", "platform limited")})
    setups.update({"listening: " + s: (everything, None, s) for s in ("mono", "delta", "dyn1", "deess")})
    setups.update({k: (everything, k, None) for k in CONTEXTS})
    # each setting on several fresh chains: where a chain's arrays land in
    # memory moves its time by tens of ns here, so the fastest copy counts
    ns = {k: float("inf") for k in setups}
    for _ in range(copies):
        got = timed({k: prepared(*v, x=x) for k, v in setups.items()}, x, rounds)
        ns = {k: min(ns[k], got[k]) for k in ns}
    idle, full = ns["idle"], ns["full"]
    lines = [header(), f"{'':28s}{'masterbox':>12s}   pedalboard's nearest, same audio",
             f"{'idle chain (all defaults)':28s}{idle:9.1f} ns"]
    for m in modules.ALL:
        peer = PEERS.get(m.NAME)
        their = f"{pedalboard_ns(peer[1], x):7.1f} ns  {peer[0]}" if peer else "(none)"
        lines.append(f"{m.NAME + ' alone':28s}{ns[m.NAME] - idle:+9.1f} ns   {their}")
    lines.append(f"{'full chain, every tool on':28s}{full:9.1f} ns")
    lines += [f"{k:28s}{ns[k] - full:+9.1f} ns" for k in ns if k.startswith(("monitor:", "listening:"))]
    for k, sec in CONTEXTS.items():
        h = np.ascontiguousarray(impulse_response(sec).T, dtype=np.float32)
        their = pedalboard_ns(lambda pb: [pb.Convolution(h, sample_rate=FS)], x)
        lines.append(f"{k:28s}{ns[k] - full:+9.1f} ns   {their:7.1f} ns  Convolution, same IR")
    return lines


def audio(seconds: float) -> np.ndarray:
    rng = np.random.default_rng(1)
    n = int(FS * seconds)
    t = np.arange(n) / FS
    x = 0.2 * rng.standard_normal((n, 2)) + 0.3 * np.sin(2 * np.pi * 80 * t)[:, None]
    return (x * (1 + 0.5 * np.sin(2 * np.pi * 0.5 * t))[:, None]).astype(np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--quick", action="store_true", help="1 s of audio, one run: that it runs")
    a = ap.parse_args()
    print("\n".join(table(audio(1.0 if QUICK else a.seconds))))


if __name__ == "__main__":
    main()
