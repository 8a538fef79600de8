"""UI speed: how long each page takes to draw (and to reach luma's dummy device),
the frames per second of the whole screen loop, and the time from an encoder
edge to the new coefficients being published.

    .venv/bin/python bench/ui.py [--quick]

Targets: a page renders in under 10 ms on this machine (issue #5). An encoder
turn that changes one module publishes in at most 0.3 ms median (issue #14):
edge -> panel -> controller -> session -> that module redesigned -> published.
The peer, in the same run, is the same path with the whole chain redesigned
on every change (how the box published before the session).
"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from dsp import params                           # noqa: E402
from dsp.chain import Chain                      # noqa: E402
from dsp import filter_design as fd              # noqa: E402
from dsp.design import Designer                  # noqa: E402
from dsp.kernels import chain as K               # noqa: E402
from dsp.meters import Meter                     # noqa: E402
from firmware.offline import demo                # noqa: E402
from firmware.store import presets               # noqa: E402
from firmware.control import Controller          # noqa: E402
from firmware.session import Session             # noqa: E402
from ui import pins, screens, terminal           # noqa: E402
from ui.display import open_display, show       # noqa: E402
from ui.fake_gpio import FakeGPIO                # noqa: E402
from ui.inputs import Panel                      # noqa: E402

FS = 48000
N = 20 if "--quick" in sys.argv else 300      # --quick: that it runs


def percentiles(xs):
    xs = sorted(xs)
    return statistics.median(xs), xs[int(0.99 * (len(xs) - 1))]


def main():
    values = presets.load("default")
    chain = Chain(FS, values)
    meter = Meter(FS, 2)
    x = demo.programme(FS)[: 6 * FS]
    meter.process(chain.process(x))
    ctl = Controller(Session(chain), meter)
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

    # encoder edge -> panel -> controller -> session -> coefficient set published
    def edge_to_publish(sink, module, enc, n=N, sweep=None):
        """Turns of ``enc`` on ``module``'s first page, back and forth; with
        ``sweep`` (a parameter id) a slow fine-step sweep up from its minimum
        instead, so every turn asks for a value never designed before."""
        session = Session(sink)
        c = Controller(session, meter)
        gpio = FakeGPIO()
        table = pins.load()
        panel = Panel(table, gpio)
        e = table.encoders[enc]
        c.nav.open_module(module)
        if sweep is not None:
            session.apply({sweep: params.get(sweep).min}, "bench")
            gpio.set(e["push"], 0, -1.0)               # pushed in: fine steps
        lat = []
        for i in range(n):
            seq = sink.T[K.T_SEQ]
            t0 = time.perf_counter()
            gpio.turn(e["a"], e["b"], 1 if (i % 2 == 0 or sweep) else -1, t=i * 1.0)
            for a in panel.poll(i * 1.0 + 0.5):
                c.handle(a, i * 1.0)
            lat.append((time.perf_counter() - t0) * 1e3)
            if sink.T[K.T_SEQ] == seq:
                raise SystemExit("bench: a turn published nothing")
        return percentiles(lat)

    print("encoder edge -> new coefficients published (ms, median / p99), default preset:")
    rows = (("glue threshold", "glue", "enc1", None), ("limiter drive", "limiter", "enc2", None),
            ("eq HP freq", "eq", "enc2", None),
            ("eq LS gain sweep", "eq", "enc4", "eq.low_shelf_gain_db"))
    for label, module, enc, sweep in rows:
        n = 200 if sweep else N
        med, p99 = edge_to_publish(Chain(FS, values), module, enc, n, sweep)
        pmed, pp99 = edge_to_publish(WholeChainRebuild(FS, values), module, enc, n, sweep)
        ok = "met" if med <= 0.3 else "NOT met"
        print(f"  {label:16s}: {med:6.3f} / {p99:6.3f}   whole-chain rebuild (peer) "
              f"{pmed:6.3f} / {pp99:6.3f}   ratio {pmed / med:4.1f}x   target median <= 0.3 ms: "
              f"{ok}")


class WholeChainRebuild(Chain):
    """The peer: every change designs every module from scratch, nothing cached."""

    def _publish(self, values, listen, morph_s=None):
        for design in (fd.bell, fd.low_shelf, fd.high_shelf, fd.lowpass_matched):
            design.cache_clear()
        fresh = Designer(self.fs, values, self._design.listen if listen is None else listen)
        self._design.values, self._design.listen = fresh.values, fresh.listen
        self.T[K.T_HEADER:] = fresh.T[K.T_HEADER:]
        self._seq += 1
        self.T[K.T_SEQ] = self._seq
        return ("everything",)


if __name__ == "__main__":
    main()
