"""Delivery to a loudness target against ffmpeg's two-pass loudnorm, in the same
run on the same 4-minute song: wall time, peak memory (RSS) of each command,
and how close each output lands (both read by `masterbox check`).

    .venv/bin/python bench/delivery.py            # the 4-minute song
    .venv/bin/python bench/delivery.py --profile  # and where masterbox's time goes
    .venv/bin/python bench/delivery.py --long     # and peak memory on a 60-minute file
    .venv/bin/python bench/delivery.py --quick    # a 24-second song: that it runs (make test)

Two masters of the song: through the default preset (limiter drive 6 dB:
quieter than the target, so the render adds drive and searches for it) and
with the drive at 18 dB (louder than the target: a plain gain, no search).

The song is the demo programme (firmware/offline/demo.py) tiled ten times at
different levels, 24-bit 48 kHz. ffmpeg runs loudnorm as its documentation
describes for files: a first pass that measures, a second with the measured
values (linear mode where it can), output 24-bit at 48 kHz. Each command is
a child process; its peak RSS comes from wait4's rusage.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import soundfile as sf

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

from firmware.offline.demo import programme  # noqa: E402

MASTERBOX = os.path.join(os.path.dirname(sys.executable), "masterbox")
LEVELS_DB = (-4.0, -1.0, 0.0, -6.0, -2.0, -3.0, 0.0, -8.0, -1.5, -0.5)
TARGET = ("streaming", -14.0, -1.0)


def run_rss(cmd: list[str]) -> tuple[float, float, str, str]:
    """Wall seconds, peak RSS in MB, stdout and stderr of one child."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as fo, tempfile.TemporaryFile("w+") as fe:
        p = subprocess.Popen(cmd, stdout=fo, stderr=fe, text=True)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        dt = time.perf_counter() - t0
        fo.seek(0)
        fe.seek(0)
        out, err = fo.read(), fe.read()
    if p.returncode not in (0, 1):
        _fail(cmd, p, err)
    return dt, ru.ru_maxrss / 1024.0, out, err


def _fail(cmd, p, err):
    sys.exit(f"{' '.join(cmd)} failed (exit {p.returncode}): {err.strip().splitlines()[-1:]}")


def song(path: str, repeats: int = 10) -> float:
    x = programme(48000)
    with sf.SoundFile(path, "w", 48000, 2, "PCM_24") as f:
        for i in range(repeats):
            f.write(x * 10 ** (LEVELS_DB[i % len(LEVELS_DB)] / 20))
    return repeats * len(x) / 48000


def check(path: str) -> dict:
    _, _, out, _ = run_rss([MASTERBOX, "check", path, "--target", TARGET[0], "--no-codecs", "--json"])
    return json.loads(out)


def ffmpeg_two_pass(src: str, dst: str) -> tuple[float, float]:
    name, lufs, tp = TARGET
    base = f"loudnorm=I={lufs}:TP={tp}:LRA=11"
    ff = [shutil.which("ffmpeg"), "-hide_banner", "-nostdin", "-nostats", "-y"]
    t1, r1, _, err = run_rss(ff + ["-i", src, "-af", base + ":print_format=json", "-f", "null", "-"])
    m = json.loads(err[err.rindex("{"):err.rindex("}") + 1])
    second = (f"{base}:measured_I={m['input_i']}:measured_TP={m['input_tp']}"
              f":measured_LRA={m['input_lra']}:measured_thresh={m['input_thresh']}"
              f":offset={m['target_offset']}:linear=true:print_format=summary")
    t2, r2, _, _ = run_rss(ff + ["-i", src, "-af", second, "-ar", "48000", "-c:a", "pcm_s24le", dst])
    return t1 + t2, max(r1, r2)


def row(label: str, seconds: float, rss: float, r: dict | None = None) -> None:
    tail = ""
    if r is not None:
        tail = (f"  {r['integrated_lufs']:7.2f} LUFS  {r['true_peak_dbtp']:6.2f} dBTP  "
                f"{r['true_peak_after_44k1_dbtp']:6.2f} dBTP at 44.1k  "
                f"{'passes' if r['passes'] else 'FAILS'}")
    print(f"  {label:34s} {seconds:6.2f} s  {rss:6.0f} MB{tail}")


def main() -> None:
    if shutil.which("ffmpeg") is None:
        sys.exit("ffmpeg is not installed (scripts/setup.sh installs it)")
    quick = "--quick" in sys.argv
    tmp = tempfile.mkdtemp(prefix="bench-delivery-")
    try:
        ff_version = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.split()[2]
        src = os.path.join(tmp, "song.wav")
        secs = song(src, 1 if quick else 10)
        for label, sets in (("the default preset (limiter drive 6 dB)", []),
                            ("limiter drive 18 dB", ["--set", "limiter.drive_db=18"])):
            print(f"delivery to {TARGET[0]} ({TARGET[1]:g} LUFS, {TARGET[2]:g} dBTP), a "
                  f"{secs:.0f}-second song, 24-bit 48 kHz, {os.cpu_count()} cores; {label}")
            print(f"  {'command':34s} {'wall':>8s}  {'peak RSS':>9s}  (the output, read by masterbox check)")
            # one untimed render first: numba's cache is then warm, as on a box in use
            run_rss([MASTERBOX, "render", src, os.path.join(tmp, "warm.wav"), "--target", TARGET[0], *sets])
            ours = os.path.join(tmp, "ours.wav")
            t_ours, rss_ours, out, _ = run_rss([MASTERBOX, "render", src, ours, "--target", TARGET[0],
                                                *sets, "--json"])
            rep = json.loads(out)
            theirs = os.path.join(tmp, "ffmpeg.wav")
            t_ff, rss_ff = ffmpeg_two_pass(src, theirs)
            row("masterbox render --target", t_ours, rss_ours, check(ours))
            row(f"ffmpeg {ff_version} loudnorm, two passes", t_ff, rss_ff, check(theirs))
            r = rep["tracks"][0]
            print(f"  masterbox is {t_ff / t_ours:.2f}x as fast ({r['delivery']}: "
                  f"added drive {r['added_drive_db']:.2f} dB, gain {r['gain_db']:+.2f} dB)")
            if "--profile" in sys.argv:
                profile(rep, t_ours)
            print()
        if "--long" in sys.argv:
            long_memory(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def profile(rep: dict, wall: float) -> None:
    """Where the render's time went: its own stages (passes side by side
    overlap), and what the process spends outside them."""
    print("  where masterbox's time goes (start, length; side-by-side passes overlap):")
    for r in rep["timings"]:
        print(f"    {r['start_s']:6.2f} s  {r['seconds']:6.2f} s  {r['stage']}")
    print(f"    {'':8s}  {wall - rep['seconds']:6.2f} s  the process outside the render: Python and "
          "numpy/numba imports, the command line, exit")


def long_memory(tmp: str) -> None:
    src = os.path.join(tmp, "long.wav")
    secs = song(src, repeats=150)
    print(f"\npeak memory on a {secs / 60:.0f}-minute stereo 48 kHz file (goal: at most 400 MB each)")
    for label, cmd in (
            ("render (plain)", ["render", src, os.path.join(tmp, "l1.wav")]),
            ("render --target streaming", ["render", src, os.path.join(tmp, "l2.wav"), "--target", "streaming"]),
            ("check --target streaming --no-codecs", ["check", src, "--target", "streaming", "--no-codecs"]),
            ("measure --precise", ["measure", src, "--precise"])):
        t, rss, _, _ = run_rss([MASTERBOX, *cmd])
        row(label, t, rss)


if __name__ == "__main__":
    main()
