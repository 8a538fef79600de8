"""Real-time engine under load, on a private JACK dummy server (a real-time clock
without a sound card). Not a test: it prints figures.

For 64 and 128 frames: (a) the @cfunc engine alone, (b) the same with a Python
thread in the process running the real UI's render loop flat out (the
controller's pages, ui/screens.py, luma's dummy device, the meters read from the
engine), (c) a Python-callback engine (sounddevice's Stream calling the same
numba chain kernel) under the same load. Prints xruns, callbacks, PortAudio's
CPU load, callback durations (the @cfunc clocks itself on entry and exit:
Engine.callback_durations; the Python callback is timed around the kernel) and
peak RSS. Then start-up: time to passthrough and to the full chain with a cold
and a warm numba cache.

    .venv/bin/python bench/stream.py [--seconds 60] [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def child(mode: str, block: int, seconds: float, load: bool) -> None:
    import resource
    import threading

    import numpy as np

    sys.path.insert(0, ROOT)
    stop = threading.Event()

    def redraw(sink, meter):
        # the real UI's screen loop, flat out: every page in turn
        from firmware.control import Controller
        from firmware.session import Session
        from ui import screens
        from ui.display import open_display, show

        ctl = Controller(Session(sink), meter)
        dev = open_display({"kind": "dummy"})
        pages = ["meters", "menu", "target", "snapshots", "eq", "glue", "limiter"]
        k = 0
        while not stop.is_set():
            page = pages[(k // 30) % len(pages)]
            if page in ("meters", "menu", "target", "snapshots"):
                ctl.nav.page = page
            elif k % 30 == 0:
                ctl.nav.open_module(page)
            show(dev, screens.render(ctl.screen(time.monotonic())))
            k += 1
        out["frames_drawn"] = k

    out = {"mode": mode, "block": block, "load": load}
    from firmware.engine.realtime import lock_memory
    out["memory"] = lock_memory()        # as `masterbox run` does: the box's RSS, not a lighter one
    if mode == "cfunc":
        from firmware.engine import Engine
        from bench_values import FULL
        from firmware.service.box import EngineMeter
        eng = Engine(48000, block, "system", FULL)
        eng.open()
        eng.start()
        ui = threading.Thread(target=redraw, args=(eng, EngineMeter(eng)), daemon=True)
        if load:
            ui.start()
        time.sleep(0.5)
        c0 = eng.counters()
        eng.callback_durations(reset=True)
        time.sleep(seconds)
        c1 = eng.counters()
        d = eng.callback_durations()
        cpu = eng.cpu_load()
        stop.set()
        ui.join(5) if load else None
        eng.stop()
        out.update(xruns=c1["xruns"] - c0["xruns"], callbacks=c1["callbacks"] - c0["callbacks"],
                   cpu_load=cpu, durations_us=[d["p50_us"], d["p99_us"], d["max_us"]])
    else:
        import sounddevice as sd
        from dsp.chain import Chain
        from dsp.kernels import chain as K
        from bench_values import FULL
        c = Chain(48000, FULL)
        c.process(np.zeros((block, 2), np.float32))
        durs = []
        flags = [0, 0]

        def cb(indata, outdata, frames, t, status):
            t0 = time.perf_counter_ns()
            K.process(indata, outdata, frames, c.T, c.S, c.W, c.R)
            if status:
                flags[0] += 1
            flags[1] += 1
            durs.append(time.perf_counter_ns() - t0)

        from dsp.meters import Meter
        ui = threading.Thread(target=redraw, args=(c, Meter(48000, 2)), daemon=True)
        with sd.Stream(48000, block, device="system", channels=2, dtype="float32",
                       callback=cb) as st:
            if load:
                ui.start()
            time.sleep(seconds)
            cpu = st.cpu_load
            stop.set()
            ui.join(5) if load else None
        d = np.array(durs[10:]) / 1000.0
        out.update(xruns=flags[0], callbacks=flags[1], cpu_load=cpu,
                   durations_us=[float(np.percentile(d, 50)), float(np.percentile(d, 99)),
                                 float(d.max())])
    stop.set()
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    out["jack_shm_mb"] = jack_shared_mb()
    print(json.dumps(out))


def jack_shared_mb() -> float:
    """Resident pages of JACK's shared-memory segments mapped into this process
    (/dev/shm/jack-*: the server's port buffers, which every client maps and
    touches; they count in RSS but belong to the server and do not exist on the
    box, which uses ALSA directly)."""
    total, cur = 0, None
    with open("/proc/self/smaps") as f:
        for line in f:
            parts = line.split()
            if "-" in parts[0] and len(parts) >= 5:
                cur = parts[5] if len(parts) > 5 else ""
            elif parts[0] == "Rss:" and cur and cur.startswith("/dev/shm/jack"):
                total += int(parts[1])
    return total / 1024.0


def jackd(block):
    name = "mbbench-" + uuid.uuid4().hex[:6]
    # real-time when permitted (as the server on a real system runs); jackd falls
    # back to normal scheduling by itself when it is not
    p = subprocess.Popen(["jackd", "-R", "-P", "60", "-n", name, "-d", "dummy", "-r", "48000",
                          "-p", str(block)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    return name, p


def run_child(server, mode, block, seconds, load):
    env = dict(os.environ, JACK_DEFAULT_SERVER=server, PYTHONPATH=ROOT + os.pathsep + os.path.dirname(__file__))
    r = subprocess.run([sys.executable, __file__, "--child", mode, str(block), str(seconds),
                        "1" if load else "0"], capture_output=True, text=True, env=env,
                       timeout=seconds * 3 + 120)
    if r.returncode != 0:
        raise SystemExit(r.stderr[-2000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


def startup(server):
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, JACK_DEFAULT_SERVER=server, NUMBA_CACHE_DIR=cache)
        exe = os.path.join(os.path.dirname(sys.executable), "masterbox")
        for kind in ("cold", "warm"):
            r = subprocess.run([exe, "run", "--audio-only", "--device", "system", "--seconds", "1"],
                               capture_output=True, text=True, env=env, timeout=600)
            line = [l for l in r.stdout.splitlines() if l.startswith("running:")][0]
            out[kind] = (float(line.split("passthrough after ")[1].split(" s")[0]),
                         float(line.split("full chain after ")[1].split(" s")[0]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--child", nargs=4)
    ap.add_argument("--quick", action="store_true",
                    help="1 s per run at 128 frames, no cold start-up: that it runs")
    a = ap.parse_args()
    if a.quick:
        a.seconds = 1.0
    if a.child:
        mode, block, seconds, load = a.child
        return child(mode, int(block), float(seconds), load == "1")
    print(f"JACK dummy server (-R), 48 kHz, {a.seconds:g} s per run, full chain (bench/chain.py's settings)")
    st = None
    for block in ((128,) if a.quick else (64, 128)):
        server, proc = jackd(block)
        try:
            rows = [run_child(server, "cfunc", block, a.seconds, False),
                    run_child(server, "cfunc", block, a.seconds, True),
                    run_child(server, "python", block, a.seconds, True)]
            if block == 128 and not a.quick:
                st = startup(server)
        finally:
            proc.terminate()
            proc.wait()
        base = rows[0]["xruns"]
        for r, label in zip(rows, ("(a) @cfunc, idle", "(b) @cfunc + UI redraw thread",
                                   "(c) Python callback + UI redraw thread")):
            dur = "p50 %.0f / p99 %.0f / max %.0f us" % tuple(r["durations_us"])
            print(f"{block:4d} frames {label:40s} xruns {r['xruns']:4d} "
                  f"(beyond idle {r['xruns'] - base:+d}), callbacks {r['callbacks']:6d}, "
                  f"cpu {100 * r['cpu_load']:5.1f} %, callback {dur}, peak RSS {r['peak_rss_mb']:.0f} MB "
                  f"({r['jack_shm_mb']:.0f} MB of it JACK's shared segment: "
                  f"{r['peak_rss_mb'] - r['jack_shm_mb']:.0f} MB without)"
                  + (f", UI frames {r['frames_drawn']}" if "frames_drawn" in r else ""))
    if st is None:
        return
    print(f"start-up, cold numba cache: passthrough after {st['cold'][0]:.2f} s, "
          f"full chain after {st['cold'][1]:.2f} s")
    print(f"start-up, warm numba cache: passthrough after {st['warm'][0]:.2f} s, "
          f"full chain after {st['warm'][1]:.2f} s")


if __name__ == "__main__":
    main()
