"""UI speed: how long each page takes to draw (and to reach luma's dummy device),
the frames per second of the whole screen loop, and the time from an encoder
edge to the new value being published to the chain.

    .venv/bin/python bench/ui.py

Target (issue #5): a page renders in under 10 ms on this machine. The peer for
the encoder-to-chain time is the chain's own parameter ramp (~20 ms to 99 %):
the control path should be a small part of what the ear waits for anyway.
"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from dsp.chain import Chain                      # noqa: E402
from dsp.meters import Meter                     # noqa: E402
from firmware import demo, presets               # noqa: E402
from firmware.control import Controller          # noqa: E402
from ui import pins, screens, terminal           # noqa: E402
from ui.display import open_display, show       # noqa: E402
from ui.fake_gpio import FakeGPIO                # noqa: E402
from ui.inputs import Panel                      # noqa: E402

FS = 48000
N = 300


def percentiles(xs):
    xs = sorted(xs)
    return statistics.median(xs), xs[int(0.99 * (len(xs) - 1))]


def main():
    values = presets.load("default")
    chain = Chain(FS, values)
    meter = Meter(FS, 2)
    x = demo.programme(FS)[: 6 * FS]
    meter.process(chain.process(x))
    ctl = Controller(chain, meter)
    dev = open_display({"kind": "dummy"})
    print(f"page draw + dummy device, {N} frames each (ms, median / p99):")
    pages = [("meters", None), ("menu", None), ("target", None), ("snapshots", None),
             ("module", "eq"), ("module", "glue"), ("module focused", "limiter")]
    worst = 0.0
    for page, mod in pages:
        if mod:
            ctl.nav.open_module(mod)
            if page == "module focused":
                ctl.nav.focus, ctl.nav.focus_t = 0, time.monotonic() + 1e6
        else:
            ctl.nav.page = page
        ts = []
        for _ in range(N):
            t = time.perf_counter()
            show(dev, screens.render(ctl.screen(time.monotonic())))
            ts.append((time.perf_counter() - t) * 1e3)
        med, p99 = percentiles(ts)
        worst = max(worst, p99)
        print(f"  {page + (' ' + mod if mod else ''):24s} {med:6.2f} / {p99:6.2f}")
    print(f"worst p99 {worst:.2f} ms: target < 10 ms -> {'met' if worst < 10 else 'NOT met'}")

    # the whole laptop loop: view, draw, half blocks
    ctl.nav.page = "meters"
    t = time.perf_counter()
    for _ in range(N):
        terminal.framed(screens.render(ctl.screen(time.monotonic())))
    fps = N / (time.perf_counter() - t)
    print(f"terminal screen loop: {fps:.0f} frames/s (the sim redraws at 20)")

    # encoder edge -> panel -> controller -> coefficient set published
    gpio = FakeGPIO()
    table = pins.load()
    panel = Panel(table, gpio)
    e = table.encoders["enc1"]
    ctl.nav.open_module("glue")
    lat = []
    for i in range(N):
        t0 = time.perf_counter()
        gpio.turn(e["a"], e["b"], 1 if i % 2 == 0 else -1, t=i * 1.0)
        for a in panel.poll(i * 1.0 + 0.5):
            ctl.handle(a, i * 1.0)
        lat.append((time.perf_counter() - t0) * 1e3)
    med, p99 = percentiles(lat)
    ramp_ms = 20.0
    print(f"encoder edge -> new coefficients published: median {med:.3f} ms, p99 {p99:.3f} ms "
          f"(peer: the chain's parameter ramp, {ramp_ms:.0f} ms; ratio {ramp_ms / med:.0f}x)")


if __name__ == "__main__":
    main()
