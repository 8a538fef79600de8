"""The Raspberry Pi's CPU budget on paper: what share of one Pi core the chain
would take, from its cost measured here and a per-core speed ratio between
this machine and a Pi, and what block size that leaves safe.

    .venv/bin/python bench/pi_budget.py [--seconds 5] [--host-mips N] [--quick]

The ratio. No Pi is at hand, so both sides of the ratio come from one
benchmark: 7-Zip's built-in single-threaded rating (`7z b -mmt1`, the "Tot:"
line's MIPS), measured here when 7-Zip is installed (`apt install 7zip`), and
published for the Pis by sbc-bench (github.com/ThomasKaiser/sbc-bench,
Results.md; p7zip 16.02 there, Debian's 7-Zip here). 7-Zip is scalar integer
code; the chain's kernels are float SIMD, 256 bits wide here (AVX2, some
loops AVX-512) and 128 on a Pi (NEON), so vector code can lose up to twice
as much on a Pi as the integer ratio says. The estimate is therefore a range:
the 7-Zip ratio (if the kernels scaled like scalar code) to twice it (if all
of their time were vector code at half the width). An estimate until
measured on a Pi.

The work, measured here in the same run, ns per stereo frame:
  full chain          bench_values.FULL (every module engaged)
  everything on       FULL_ACTING (the dynamic EQ bands, de-esser and upward
                      compression acting too), heard through compare (the
                      input raised, through its true-peak safety limiter) and
                      a playback context with a 1 s IR (the longest the box
                      takes) on top: the costliest thing the callback can do
and the per-block p99 of everything on at 32..256 frames. A block size is
called safe when the Pi's p99 (this machine's times the pessimistic ratio)
stays under half of the block's period: the rest is for the converter's
interrupt, the kernel and whatever else the audio core is asked to do.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)

from bench_values import FULL, FULL_ACTING, QUICK, best_of  # noqa: E402
from module_costs import cpu_model, header, impulse_response  # noqa: E402

from dsp.chain import Chain  # noqa: E402

# sbc-bench's published single-threaded 7-Zip ratings (Results.md, the
# "7-zip single" column; the linked result files name the runs)
PUBLISHED = {
    "Raspberry Pi 4 B (Cortex-A72, 1.8 GHz)": (
        (1741, "results/3F9C.txt, Raspberry Pi OS Buster arm64"),
        (1769, "results/3OBF.txt, Raspberry Pi OS Bullseye arm64"),
    ),
    "Raspberry Pi 5 B (Cortex-A76, 2.4 GHz)": (
        (3196, "results/Au3jaA.txt, Bookworm arm64"),
        (3305, "results/8-NK.txt, Bookworm arm64"),
    ),
}
# this machine's, for runs where 7-Zip is not installed (make test's quick
# run on a clean machine): `7zz b -mmt1` (7-Zip 26.02) on 2026-12-07 read
# 4053, 4082 and 3887 here; the best, on the CPU named here
RECORDED_HOST = {"AMD EPYC": 4082}
VECTOR_WIDTH_FACTOR = 2.0        # AVX2's 256 bits against NEON's 128
SAFE_SHARE = 0.5                 # of a block's period, for the Pi's p99
BLOCKS = (32, 64, 128, 256)
RATES = (48000, 96000)


def host_mips(runs: int = 3) -> int | None:
    """This machine's single-threaded 7-Zip rating, best of ``runs``, or None
    when 7-Zip is not installed."""
    exe = shutil.which("7zz") or shutil.which("7z") or shutil.which("7za")
    if exe is None:
        return None
    best = 0
    for _ in range(runs):
        out = subprocess.run([exe, "b", "-mmt1"], capture_output=True, text=True, timeout=600).stdout
        m = re.search(r"^Tot:\s+\d+\s+\d+\s+(\d+)", out, re.M)
        if m is None:
            raise RuntimeError(f"pi_budget: no 'Tot:' line in the output of {exe} b -mmt1")
        best = max(best, int(m.group(1)))
    return best


def audio(fs: int, seconds: float) -> np.ndarray:
    rng = np.random.default_rng(3)
    n = int(fs * seconds)
    t = np.arange(n) / fs
    x = 0.2 * rng.standard_normal((n, 2)) + 0.3 * np.sin(2 * np.pi * 80 * t)[:, None]
    return (x * (1 + 0.5 * np.sin(2 * np.pi * 0.5 * t))[:, None]).astype(np.float32)


def everything_on(fs: int, context: bool = True) -> Chain:
    """FULL_ACTING heard through compare and (unless ``context`` is False)
    a 1 s context."""
    from dsp import contexts
    c = Chain(fs, FULL_ACTING, previews=True)
    if context:
        mem, base = c.context_memory
        ir = contexts.prepare(impulse_response(1.0, fs), fs, fs)
        c.set_context(contexts.ContextBank(mem, base, fs).place(0, ir, "ir").selector)
    c.set_monitor("bypass")
    return c


def per_frame_ns(c: Chain, x: np.ndarray) -> float:
    out = np.empty_like(x)               # made once (see chain.ours_offline)
    c.process(x[:8192])
    c.process(x, out)
    return best_of(lambda: c.process(x, out)) / len(x) * 1e9


def block_p99_us(c: Chain, x: np.ndarray, block: int) -> float:
    out = np.empty((block, 2), np.float32)
    c.process(x[:8192])
    times = []
    for i in range(0, len(x) - block, block):
        t = time.perf_counter_ns()
        c.process(x[i:i + block], out)
        times.append(time.perf_counter_ns() - t)
    return float(np.percentile(np.array(times), 99)) / 1e3


def table(seconds: float, mips: int, mips_note: str) -> list[str]:
    lines = [header(), f"this machine's single-threaded 7-Zip rating: {mips} MIPS ({mips_note})"]
    ratios = {}
    for pi, runs in PUBLISHED.items():
        pm = sum(v for v, _ in runs) / len(runs)
        r = mips / pm
        ratios[pi] = (r, r * VECTOR_WIDTH_FACTOR)
        lines.append(f"{pi}: {pm:.0f} MIPS published (sbc-bench {'; '.join(s for _, s in runs)}) "
                     f"-> a Pi core is {r:.1f}x to {r * VECTOR_WIDTH_FACTOR:.1f}x slower for this code")
    for fs in RATES:
        x = audio(fs, seconds)
        full = per_frame_ns(Chain(fs, FULL), x)
        worst = everything_on(fs)
        every = per_frame_ns(worst, x)
        lines.append("")
        lines.append(f"at {fs} Hz ({1e9 / fs / 1e3:.1f} us a frame): full chain {full:6.1f} ns/frame, "
                     f"everything on {every:6.1f} ns/frame here ({100 * every * fs / 1e9:4.1f} % of a core)")
        for pi, (lo, hi) in ratios.items():
            lines.append(f"  {pi}: full chain {100 * full * fs * lo / 1e9:4.1f}-{100 * full * fs * hi / 1e9:4.1f} %"
                         f" of one core, everything on {100 * every * fs * lo / 1e9:4.1f}-"
                         f"{100 * every * fs * hi / 1e9:4.1f} %")
        p99 = {b: block_p99_us(everything_on(fs), x, b) for b in BLOCKS}
        bare = {b: block_p99_us(everything_on(fs, context=False), x, b) for b in BLOCKS}
        lines.append("  p99 of a block here, everything on: " + ", ".join(
            f"{b}: {p99[b]:5.1f} us" for b in BLOCKS) + "; without the context: " + ", ".join(
            f"{b}: {bare[b]:5.1f} us" for b in BLOCKS) + " (a context's two transforms and its "
            "newest partition fall in the callback that completes each 256 frames)")
        for pi, (lo, hi) in ratios.items():
            safe = [b for b in BLOCKS if p99[b] * hi <= SAFE_SHARE * b / fs * 1e6]
            cells = ", ".join(f"{b}: {p99[b] * hi:6.0f} of {b / fs * 1e6:5.0f} us" for b in BLOCKS)
            lines.append(f"  {pi}, everything on, p99 of a block at the slow end ({cells}); "
                         f"safe (under {100 * SAFE_SHARE:.0f} % of the period): "
                         f"{('from ' + str(safe[0]) + ' frames') if safe else 'none of these'}")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--host-mips", type=int, default=None,
                    help="this machine's `7z b -mmt1` rating, if 7-Zip is not installed here")
    ap.add_argument("--quick", action="store_true", help="0.5 s of audio, no 7-Zip run: that it runs")
    a = ap.parse_args()
    if a.quick:
        a.seconds = 0.5
    if a.host_mips is not None and a.host_mips <= 0:
        ap.error(f"--host-mips {a.host_mips}: a 7-Zip rating is a positive number of MIPS")
    if not 0.1 <= a.seconds <= 600:
        ap.error(f"--seconds {a.seconds}: out of range 0.1..600")
    if a.host_mips is not None:
        mips, note = a.host_mips, "given with --host-mips"
    else:
        measured = None if QUICK else host_mips()
        if measured is not None:
            mips, note = measured, "measured now, best of 3"
        else:
            key = next((k for k in RECORDED_HOST if cpu_model().startswith(k)), None)
            if key is not None:
                mips, note = RECORDED_HOST[key], f"recorded for '{key}': 7-Zip not run"
            elif QUICK:          # (a quick run's figures mean nothing anyway)
                key = next(iter(RECORDED_HOST))
                mips, note = RECORDED_HOST[key], f"another CPU's ('{key}'): a quick run"
            else:
                sys.exit("pi_budget: 7-Zip is not installed and this CPU's rating is not recorded: "
                         "apt install 7zip, or pass --host-mips")
    print("\n".join(table(a.seconds, mips, note)))


if __name__ == "__main__":
    main()
