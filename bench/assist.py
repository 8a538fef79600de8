"""The assistant's time from "propose" to proposals shown, on a 30 s capture
(issue #17's target: under 5 s on the development machine).

Four asks on the demo programme (a 2.5-minute file, so the loudest 30 s are
found first): against a reference (tone, width, loudness: six renders), a
word that needs a search (more glue: the glue threshold found by up to six
renders), a plain word, a chorus lift (its loudness found by rendering) and
a built-in profile (the nine bands measured before and after). No peer is named for this figure; the time of one
render of the capture through the full chain is printed beside it, for scale.

    .venv/bin/python bench/assist.py [--quick]
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from dsp.chain import Chain  # noqa: E402
from firmware.assistant import ranges  # noqa: E402
from firmware.assistant.propose import propose  # noqa: E402
from firmware.offline import demo  # noqa: E402
from firmware.store import presets  # noqa: E402

FS = 48000
TARGET_S = 5.0


def main():
    quick = "--quick" in sys.argv              # a 20 s programme, one try each: that it runs
    seconds = 20 if quick else 150
    x = demo.programme(FS)
    while len(x) < seconds * FS:
        x = np.concatenate([x, x])
    x = x[:seconds * FS]
    ref = (x[::-1] * 1.6).copy()                  # another "master": reversed, hotter
    base = presets.load("default")
    propose(x[:12 * FS], FS, base, words=["warmer"])          # compile and warm
    c = Chain(FS, base)
    t = time.monotonic()
    c.process(x[:30 * FS])
    render_s = time.monotonic() - t
    print(f"programme: {len(x) / FS:.0f} s stereo at {FS} Hz; one 30 s render through the "
          f"full chain: {render_s:.2f} s")
    for what, kw in (("against a reference", dict(reference=ref)),
                     ("'more glue' (threshold search)", dict(words=["more glue"])),
                     ("'warmer'", dict(words=["warmer"])),
                     ("'chorus lift' (a snapshot)", dict(words=["chorus lift"])),
                     ("against 'balanced modern' (built in)", dict(profile=ranges.find("balanced modern")))):
        best = min(_time(x, base, kw) for _ in range(1 if quick else 3))
        print(f"propose {what:38s}: {best:5.2f} s (best of {1 if quick else 3})   target < {TARGET_S:g} s: "
              f"{'met' if best < TARGET_S else 'NOT met'}")


def _time(x, base, kw):
    t = time.monotonic()
    propose(x, FS, base, **kw)
    return time.monotonic() - t


if __name__ == "__main__":
    main()
