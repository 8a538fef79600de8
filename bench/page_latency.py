"""The browser page's round trip: a slider moved on the page (the output
trim, its input event) until the page shows the box's new revision for it
(the change came back over the websocket), timed inside the page with
performance.now(), in headless chromium against the box's own web server
and session. Prints the median and the 95th percentile against the target
(95th percentile under 50 ms on the development machine).

    .venv/bin/python bench/page_latency.py [--moves 200] [--quick]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

from dsp.chain import Chain  # noqa: E402
from firmware.lab.browser import Browser, find  # noqa: E402
from firmware.remote.web import WebServer  # noqa: E402
from firmware.session import Session  # noqa: E402

TARGET_P95_MS = 50.0

# each move: a new slider position, the input event, then wait for the
# revision to pass the one before the move and the value to be the box's
ROUND_TRIPS = """(async (n) => {
  const out = [], el = document.getElementById('in-output.trim_db');
  for (let i = 0; i < n; i++) {
    const before = revision, t0 = performance.now();
    el.value = +el.value === 100 ? 800 : 100; el.dispatchEvent(new Event('input'));
    while (revision === before) await new Promise((r) => setTimeout(r, 0));
    out.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 20));
  }
  return out; })"""


def measure(moves: int) -> np.ndarray:
    s = Session(Chain(48000, {}))
    srv = WebServer(s, "127.0.0.1", 0, code="271828").start()

    async def run():
        async with Browser(1280, 900) as b:
            await b.open_paired(f"http://127.0.0.1:{srv.port}/", "271828")
            await b.eval(f"{ROUND_TRIPS}(5)")                 # warm: the first messages
            return await b.eval(f"{ROUND_TRIPS}({moves})")
    try:
        return np.array(asyncio.run(run()))
    finally:
        srv.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moves", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="20 moves: that it runs")
    a = ap.parse_args()
    if find() is None:
        raise SystemExit("page_latency: no chromium (scripts/setup.sh installs it)")
    t = measure(20 if a.quick else a.moves)
    p50, p95 = np.percentile(t, 50), np.percentile(t, 95)
    print(f"page round trip, slider move to the box's new revision on the page, {len(t)} moves: "
          f"median {p50:.1f} ms, 95th percentile {p95:.1f} ms, max {t.max():.1f} ms "
          f"(target: 95th percentile under {TARGET_P95_MS:g} ms: {'met' if p95 < TARGET_P95_MS else 'NOT met'})")


if __name__ == "__main__":
    main()
