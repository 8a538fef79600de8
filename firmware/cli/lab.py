"""Bench checks: loopcheck (through a cable or a JACK loop), panelcheck (every
encoder and button, on the Pi), pinmap (the pin table drawn)."""
from __future__ import annotations

import json
import sys

from ..errors import DeviceError, UserError
from ..store.atomic import check_writable


def add_parsers(sub) -> None:
    p = sub.add_parser("pinmap", help="draw a pin table on the 40-pin header (PNG)")
    p.add_argument("out", metavar="OUT.png")
    p.add_argument("--pins", help="pin table (default: hardware/pins.toml)")
    p.set_defaults(func=cmd_pinmap)

    p = sub.add_parser("loopcheck", help="measure the box through a loop cable (outputs to inputs)")
    p.add_argument("--device", help="device name (part of it) or index")
    p.add_argument("--rate", type=int, default=48000)
    p.add_argument("--block", type=int, default=128)
    p.add_argument("--config", help="take device, rate and block from this config file")
    p.add_argument("--jack-loop", action="store_true",
                   help="on a JACK server: connect the box's outputs to its own inputs (no cable)")
    p.add_argument("--png", help="draw the curves to this PNG file")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(func=cmd_loopcheck)

    p = sub.add_parser("panelcheck", help="walk through every encoder and button (on the Pi)")
    p.add_argument("--pins", help="pin table (default: hardware/pins.toml)")
    p.set_defaults(func=cmd_panelcheck)


def cmd_pinmap(args) -> int:
    from ..lab.pinmap import draw
    from ..store import pintable

    table = pintable.load(args.pins)
    if not args.out.lower().endswith(".png"):
        raise UserError(f"pinmap: {args.out}: the picture is written as PNG; name it .png")
    check_writable(args.out)
    print(f"wrote {draw(table, args.out)}")
    return 0


def cmd_loopcheck(args) -> int:
    """Measure the box through a cable from its outputs to its inputs (or, with
    --jack-loop, a JACK connection): bypass flatness, EQ against its design,
    THD+N, round-trip latency, the limiter's ceiling. Exit 0 all passed, 1 not."""
    import contextlib

    from ..engine import Engine, compile_callback
    from ..lab import loopcheck

    if args.png:
        if not args.png.lower().endswith(".png"):
            raise UserError(f"loopcheck: {args.png}: the picture is written as PNG; name it .png")
        check_writable(args.png)
    if args.config:
        from ..service import config
        cfg = config.load(args.config)
        fs, block, device = cfg["rate"], cfg["block"], cfg["device"] or None
    else:
        fs, block, device = args.rate, args.block, args.device
    eng = Engine(fs, block, device, {}, measure_seconds=loopcheck.needed_seconds())
    print("compiling the chain (or loading it from the cache)...", file=sys.stderr)
    compile_callback()
    eng.open()
    eng.start()
    cable = None
    try:
        if args.jack_loop:
            from ..lab import jackloop
            cable = jackloop.connect()
        result = loopcheck.run(eng, progress=lambda m: print(f"  {m}", file=sys.stderr))
    finally:
        if cable is not None:
            with contextlib.suppress(Exception):
                cable.deactivate()
                cable.close()
        eng.stop()
    loop = "digital" if args.jack_loop else "analog"
    v = loopcheck.verdicts(result, loop)
    if args.png:
        loopcheck.plot(result, args.png)
        print(f"wrote {args.png}", file=sys.stderr)
    if args.json:
        figures = {k: val for k, val in result.items() if k != "curves"}
        figures["loop"] = loop
        figures["verdicts"] = {k: {"passed": ok, "detail": d} for k, (ok, d) in v.items()}
        print(json.dumps(figures, indent=2))
    else:
        print(f"loop check ({loop} loop, {fs} Hz, {block} frames; xruns {result['xruns']}):")
        for k, (ok, d) in v.items():
            print(f"  {'PASS' if ok else 'FAIL'}  {k}: {d}")
    return 0 if all(ok for ok, _ in v.values()) else 1


def cmd_panelcheck(args) -> int:
    """Walk the operator through every encoder and button on the Pi's GPIO.
    Exit 0 when every control answered as asked, 1 otherwise."""
    from ui.gpio_backend import GPIOUnavailable, RPiGPIOBackend
    from ui.inputs import Panel

    from ..lab import panelcheck
    from ..store import pintable

    table = pintable.load(args.pins)
    try:
        backend = RPiGPIOBackend()
    except GPIOUnavailable as e:
        raise DeviceError(str(e)) from None
    panel = Panel(table, backend)
    print(f"panel check on pin table '{table.name}': do each thing as it is asked "
          f"({panelcheck.STEP_TIMEOUT_S:g} s per step)")
    try:
        results = panelcheck.walk(panel, prompt=lambda m: print(m, flush=True))
    finally:
        panel.close()
    bad = [d for _, ok, d in results if not ok]
    print(f"{len(results) - len(bad)} of {len(results)} controls answered as asked")
    return 0 if not bad else 1
