"""The live codec preview's CPU share: the chain played at real-time pace
(as the audio thread would) with each codec previewed, and the CPU time the
preview takes beside it: its two ffmpeg processes (encoder and decoder) and
its two Python threads (feeding ffmpeg, putting the decoded audio back), as a
share of one core over the run's wall time. bench/chain.py prints it; also:

    .venv/bin/python bench/codec_worker.py [--seconds 20] [--quick]
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

from dsp.chain import Chain  # noqa: E402
from firmware.codec_preview import available  # noqa: E402
from firmware.offline import demo  # noqa: E402
from firmware.session import Session  # noqa: E402

FS = 48000
TICK = os.sysconf("SC_CLK_TCK")


def _cpu_s(stat_path: str) -> float:
    with open(stat_path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK       # utime + stime


def _threads(names: tuple[str, ...]) -> list[str]:
    out = []
    for tid in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{tid}/comm") as f:
            if f.read().strip() in names:
                out.append(f"/proc/self/task/{tid}/stat")
    return out


def share(name: str, seconds: float) -> float:
    """% of one core the preview of ``name`` takes while the chain plays."""
    x = demo.programme(FS)[:int(seconds * FS)].astype(np.float32)
    c = Chain(FS, {}, previews=True)
    s = Session(c)
    s.hear_codec(name, "decoded", "bench")
    w = s.codec_preview
    stats = [f"/proc/{p.pid}/stat" for p in w._procs] + _threads(("codec-feed", "codec-read"))
    before = [_cpu_s(p) for p in stats]
    t0 = time.monotonic()
    for i in range(0, len(x), 512):
        c.process(x[i:i + 512])
        ahead = t0 + (i + 512) / FS - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    wall = time.monotonic() - t0
    used = sum(_cpu_s(p) - b for p, b in zip(stats, before))
    s.hear_codec(None, source="bench")
    return 100.0 * used / wall


def table(seconds: float) -> list[str]:
    lines = [f"codec preview, {seconds:g} s of the demo at real-time pace: CPU share of one core "
             "(both ffmpeg processes and the feeding and reading threads)"]
    for codec in available():
        lines.append(f"  {codec.name.upper():5s} {codec.kbps} kb/s: {share(codec.name, seconds):5.1f} %")
    return lines


def main():
    quick = "--quick" in sys.argv
    seconds = 1.0 if quick else float(sys.argv[sys.argv.index("--seconds") + 1]) \
        if "--seconds" in sys.argv else 20.0
    print("\n".join(table(seconds)))


if __name__ == "__main__":
    main()
