"""The ``masterbox`` command.

    masterbox demo [--out-dir DIR] [--preset NAME|FILE]
    masterbox render IN OUT [--preset NAME|FILE] [--set module.param=VALUE ...]
                     [--block N] [--bits 16|24|32f] [--json]
                     [--target NAME | --lufs X --ceiling-dbtp Y]
    masterbox render --album IN... --out-dir DIR --target NAME
    masterbox check FILE --target NAME | --lufs X --ceiling-dbtp Y
    masterbox params [--json]
    masterbox devices
    masterbox run [--panel gpio|keys|none] [--pins FILE] [--config FILE] [--device ...]
    masterbox run --audio-only [--device NAME|INDEX] [--rate HZ] [--block N] [--rt-cpu N] [--seconds S]
    masterbox run --sim [--input FILE] [--record OUT.wav] [--no-sound] [--seconds S]
    masterbox pinmap OUT.png [--pins FILE]
    masterbox panelcheck [--pins FILE]
    masterbox loopcheck [--device ...] [--config FILE] [--jack-loop] [--png OUT.png] [--json]
    masterbox screenshot PAGE OUT.png [--preset ...] [--input FILE] [--scale N]
    masterbox measure FILE... [--json] [--plot OUT.png] [--precise]
    masterbox response [--preset NAME|FILE] [--set ...] [--rate HZ] [--png OUT.png] [--json]

Bad input (unreadable file, unknown parameter, out-of-range value...) gives one
clear line on stderr and exit code 2; nothing is written.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

from dsp import params

from . import UserError

EXIT_USAGE = 2


def parse_sets(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items or []:
        if "=" not in item:
            raise UserError(f"--set {item}: expected module.param=VALUE")
        pid, text = item.split("=", 1)
        try:
            out[pid.strip()] = params.parse_value(pid.strip(), text)
        except params.ParamError as e:
            raise UserError(f"--set {item}: {e}") from None
    return out


def _values(args) -> dict[str, float]:
    from . import presets

    values = presets.load(args.preset) if args.preset else params.defaults()
    values.update(parse_sets(args.set))
    return values


def cmd_params(args) -> int:
    from dsp import coefficients

    doc = {
        "latency_frames": {str(fs): coefficients.latency_frames(fs)
                           for fs in (44100, 48000, 88200, 96000)},
        "latency_ms": {str(fs): round(1000 * coefficients.latency_frames(fs) / fs, 4)
                       for fs in (44100, 48000, 88200, 96000)},
        "params": params.schema_json(),
    }
    if args.json:
        print(json.dumps(doc, indent=1))
        return 0
    for p in params.SCHEMA:
        rng = ", ".join(p.choices) if p.choices else f"{p.min:g}..{p.max:g} {p.unit}".rstrip()
        print(f"{p.id:34s} {p.format(p.default):>12s}   [{rng}]")
    print("latency: " + ", ".join(f"{fs} Hz: {n} frames ({doc['latency_ms'][fs]} ms)"
                                  for fs, n in doc["latency_frames"].items()))
    return 0


def cmd_render(args) -> int:
    from .render import render_file

    values = _values(args)
    targeted = args.target is not None or args.lufs is not None or args.ceiling_dbtp is not None
    if args.album:
        if not args.out_dir:
            raise UserError("--album needs --out-dir DIR for the rendered tracks")
        if not targeted:
            raise UserError("--album renders to a target: give --target NAME (or --lufs and --ceiling-dbtp)")
        inputs = args.paths
        os.makedirs(args.out_dir, exist_ok=True)
        outputs = [os.path.join(args.out_dir, os.path.basename(p)) for p in inputs]
        if len(set(outputs)) != len(outputs):
            raise UserError("two album tracks share a file name; rename one")
    else:
        if len(args.paths) != 2:
            raise UserError("render takes IN OUT (or --album IN... --out-dir DIR)")
        inputs, outputs = [args.paths[0]], [args.paths[1]]
    for i, o in zip(inputs, outputs):
        if os.path.abspath(i) == os.path.abspath(o):
            raise UserError(f"{o}: output would overwrite the input")
    if targeted:
        from . import targets

        t = targets.resolve(args.target, args.lufs, args.ceiling_dbtp)
        for i in inputs:
            from . import audiofile
            audiofile.check_input(i)
        rep = targets.render_to_target(inputs, outputs, values, t, args.bits)
        if args.json:
            print(json.dumps(rep, indent=1, default=float))
        else:
            print_target_report(rep)
        return 0
    rep = render_file(inputs[0], outputs[0], values, block=args.block, bits=args.bits)
    if args.json:
        print(json.dumps(rep, indent=1))
    else:
        print_report(rep)
    return 0


def print_target_report(rep: dict, out=None) -> None:
    out = out or sys.stdout
    out.write(f"target {rep['target']}: {rep['target_lufs']:g} LUFS, ceiling "
              f"{rep['ceiling_dbtp']:g} dBTP ({rep['source']})\n")
    how = (f"limiter drive {rep['limiter_drive_db']:+.2f} dB" if rep["output_trim_db"] == 0
           else f"output trim {rep['output_trim_db']:+.2f} dB")
    out.write(f"  reached {rep['integrated_lufs']:.2f} LUFS with {how}\n")
    if not rep["reached"]:
        out.write(f"  NOT REACHED: {rep['why']}\n")
    out.write(f"  {'track':40s} {'LUFS':>7s} {'dBTP':>7s} {'s':>6s}\n")
    for r in rep["tracks"]:
        out.write(f"  {os.path.basename(r['output']):40s} {r['integrated_lufs']:7.2f} "
                  f"{r['true_peak_dbtp']:7.2f} {r['seconds']:6.1f}\n")


def cmd_check(args) -> int:
    from . import targets

    t = targets.resolve(args.target, args.lufs, args.ceiling_dbtp)
    r = targets.check(args.file, t)
    if args.json:
        print(json.dumps(r, indent=1))
    else:
        il = "below gate" if r["integrated_lufs"] is None else f"{r['integrated_lufs']:.2f} LUFS"
        ok = lambda b: "ok" if b else "FAILS"  # noqa: E731
        print(f"{r['file']} against {t.name} ({t.lufs:g} LUFS +-{t.tolerance_lu:g}, "
              f"{t.ceiling_dbtp:g} dBTP; {t.source})")
        print(f"  loudness   {il:>16s}  {ok(r['loudness_ok'])}")
        print(f"  true peak  {r['true_peak_dbtp']:11.2f} dBTP  {ok(r['true_peak_ok'])}")
        if r["true_peak_after_44k1_dbtp"] is None:
            print("  at 44.1 kHz: already 44.1 kHz, no conversion")
        else:
            print(f"  after conversion to 44.1 kHz {r['true_peak_after_44k1_dbtp']:.2f} dBTP  "
                  f"{ok(r['after_conversion_ok'])}")
        print("  PASSES" if r["passes"] else "  DOES NOT PASS")
    return 0 if r["passes"] else 1


def print_report(rep: dict, out=None) -> None:
    out = out or sys.stdout
    out.write(
        f"{rep['output']}: {rep['seconds']:.2f} s, {rep['sample_rate']} Hz, "
        f"{rep['channels']} ch, {rep['bits']} bit\n"
        f"  peak in {rep['peak_in_dbfs']:+.2f} dBFS, out {rep['peak_out_dbfs']:+.2f} dBFS\n"
        f"  latency {rep['latency_frames']} frames ({rep['latency_ms']:.2f} ms), "
        f"rendered at {rep['realtime_factor']:.1f}x real time\n")
    if rep["nonfinite_samples_replaced"]:
        out.write(f"  {rep['nonfinite_samples_replaced']} NaN/Inf input samples replaced by silence\n")
    for n in rep["notes"]:
        out.write(f"  note: {n}\n")


def cmd_demo(args) -> int:
    from . import audiofile, demo
    from .atomic import write_text
    from .render import render_file

    os.makedirs(args.out_dir, exist_ok=True)
    fs = 48000
    src = os.path.join(args.out_dir, "demo_input.wav")
    dst = os.path.join(args.out_dir, "demo_master.wav")
    x = demo.programme(fs)
    w = audiofile.Writer(src, fs, 2, "24")
    try:
        w.write(x)
        w.commit()
    except BaseException as e:
        w.abort(e)
        raise
    print(f"demo programme: {len(x) / fs:.1f} s synthesised -> {src}")
    rep = render_file(src, dst, _values(args), bits="24")
    rep["preset"] = args.preset
    print_report(rep)
    from dsp.meters import measure

    from . import audiofile as af
    for key, path in (("input", src), ("master", dst)):
        m = measure(af.read(path)[0], fs)
        rep[f"{key}_loudness"] = {k: m[k] for k in ("integrated_lufs", "loudness_range_lu",
                                                    "max_short_term_lufs", "true_peak_dbtp")}
    a, b = rep["input_loudness"], rep["master_loudness"]
    print(f"  loudness {a['integrated_lufs']:.1f} -> {b['integrated_lufs']:.1f} LUFS, true peak "
          f"{a['true_peak_dbtp']:.1f} -> {b['true_peak_dbtp']:.1f} dBTP, LRA "
          f"{a['loudness_range_lu']:.1f} -> {b['loudness_range_lu']:.1f} LU")
    report = os.path.join(args.out_dir, "demo_report.json")
    write_text(report, json.dumps(rep, indent=1) + "\n")
    print(f"report -> {report}")
    return 0


def cmd_response(args) -> int:
    from . import response

    if not 32000 <= args.rate <= 192000:
        raise UserError(f"--rate {args.rate}: out of range 32000..192000 Hz")
    resp = response.measure(_values(args), args.rate)
    if args.png:
        if not args.png.lower().endswith(".png"):
            raise UserError(f"{args.png}: the picture is written as PNG; name it .png")
        response.plot(resp, args.png, f"masterbox response: preset {args.preset}, {args.rate} Hz")
        print(f"response -> {args.png}")
    if args.json or not args.png:
        marks = [31.5, 63, 125, 250, 500, 1000, 2000, 4000, 8000, 16000]
        f = resp["freq_hz"]
        doc = {str(m): {"mid_db": round(float(np.interp(m, f, resp["mid_db"])), 3),
                        "side_db": round(float(np.interp(m, f, resp["side_db"])), 3)}
               for m in marks if m <= f[-1]}
        print(json.dumps(doc, indent=1))
    return 0


def cmd_measure(args) -> int:
    from . import measure

    measure.check_plot_args(args.files, args.plot)
    results = []
    for f in args.files:
        r, series = measure.measure_file(f, precise=args.precise)
        results.append(r)
        if args.plot:
            measure.plot(r, series, args.plot)
        if not args.json:
            print(measure.text(r))
    if args.json:
        print(json.dumps(results if len(results) > 1 else results[0], indent=1))
    if args.plot:
        print(f"plot -> {args.plot}", file=sys.stderr if args.json else sys.stdout)
    return 0


def cmd_devices(args) -> int:
    from .run import list_devices

    return list_devices()


def cmd_run(args) -> int:
    import logging

    from .run import run_audio_only

    if args.sim:
        from .sim import run_sim

        return run_sim(_values(args), args.input, args.record, sound=not args.no_sound,
                       seconds=args.seconds)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    panel, pins_path = args.panel, args.pins
    if args.config:
        from . import config, presets
        cfg = config.load(args.config)
        values = presets.load(cfg["preset"])
        values.update(parse_sets(args.set))
        fs, block, device, rt = cfg["rate"], cfg["block"], cfg["device"] or None, cfg["rt_priority"]
        rt_cpu = cfg["rt_cpu"]
        if panel is None:
            panel = cfg["panel"]
        pins_path = pins_path or cfg["pins"] or None
    else:
        values = _values(args)
        fs, block, device, rt = args.rate, args.block, args.device, args.rt_priority
        rt_cpu = args.rt_cpu
    panel = "none" if args.audio_only else (panel or "gpio")
    ui = None
    if panel != "none":
        from .box import BoxUI

        def ui(engine):
            return BoxUI(engine, panel, pins_path)
    return run_audio_only(values, fs, block, device, rt, seconds=args.seconds, ui=ui, rt_cpu=rt_cpu)


def cmd_screenshot(args) -> int:
    from .sim import screenshot

    out = screenshot(args.page, args.out, _values(args), args.input, args.scale)
    print(f"wrote {out}")
    return 0


def cmd_pinmap(args) -> int:
    from ui import pins

    from .pinmap import draw

    try:
        table = pins.load(args.pins)
    except pins.PinError as e:
        raise UserError(str(e)) from None
    print(f"wrote {draw(table, args.out)}")
    return 0


def cmd_loopcheck(args) -> int:
    """Measure the box through a cable from its outputs to its inputs (or, with
    --jack-loop, a JACK connection): bypass flatness, EQ against its design,
    THD+N, round-trip latency, the limiter's ceiling. Exit 0 all passed, 1 not."""
    import contextlib

    from . import loopcheck
    from .engine import Engine, compile_callback

    if args.config:
        from . import config
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
            from . import jackloop
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
    from ui import pins
    from ui.gpio_backend import GPIOUnavailable, RPiGPIOBackend
    from ui.inputs import Panel

    from . import panelcheck

    try:
        table = pins.load(args.pins)
        backend = RPiGPIOBackend()
    except (pins.PinError, GPIOUnavailable) as e:
        raise UserError(str(e)) from None
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


def cmd_warmup(args) -> int:
    """Compile the audio callback into numba's cache (the installer runs it once,
    so the first boot starts fast)."""
    import time

    from .engine import compile_callback, compile_passthrough

    t = time.monotonic()
    compile_passthrough()
    compile_callback()
    print(f"warm-up: the chain is compiled and cached ({time.monotonic() - t:.1f} s)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="masterbox", description="masterbox mastering processor")
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("params", help="list every parameter (the schema) and the latency")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_params)

    def chain_opts(p, preset_default):
        p.add_argument("--preset", default=preset_default,
                       help="built-in preset name or a .toml file (default: %(default)s)")
        p.add_argument("--set", action="append", metavar="module.param=VALUE",
                       help="override one parameter; repeatable")

    def target_opts(p):
        p.add_argument("--target", help="delivery target: " + ", ".join(
            ["ebu-r128", "atsc-a85", "streaming", "apple-music", "youtube", "amazon-music"]))
        p.add_argument("--lufs", type=float, help="custom target loudness")
        p.add_argument("--ceiling-dbtp", type=float, help="custom true-peak ceiling")

    p = sub.add_parser("render", help="render a file (or an album) through the chain")
    p.add_argument("paths", nargs="+", metavar="IN OUT | IN...")
    chain_opts(p, "default")
    target_opts(p)
    p.add_argument("--album", action="store_true",
                   help="the paths are an album's tracks: one gain for all, rendered to --out-dir")
    p.add_argument("--out-dir")
    p.add_argument("--block", type=int, default=4096, help="frames per block (default 4096)")
    p.add_argument("--bits", choices=("16", "24", "32f"),
                   help="output sample format (default: the input's)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("devices", help="list the audio devices PortAudio sees")
    p.set_defaults(func=cmd_devices)

    p = sub.add_parser("run", help="run the box (--audio-only: the engine headless)")
    p.add_argument("--audio-only", action="store_true", help="the engine headless (no panel)")
    p.add_argument("--panel", choices=("gpio", "keys", "none"),
                   help="gpio: the pin table's encoders, buttons and OLED (default); keys: this "
                   "terminal's keys and screen; none: headless")
    p.add_argument("--pins", help="pin table (default: hardware/pins.toml)")
    chain_opts(p, "neutral")
    p.add_argument("--device", help="device name (part of it) or index; default: the first full-duplex stereo one")
    p.add_argument("--rate", type=int, default=48000)
    p.add_argument("--block", type=int, default=128)
    p.add_argument("--rt-priority", type=int, default=70, help="SCHED_FIFO priority of the audio thread (0: off)")
    p.add_argument("--rt-cpu", type=int, default=-1, help="pin the audio thread to this CPU (-1: any)")
    p.add_argument("--seconds", type=float, help="stop after running this long (default: until SIGTERM)")
    p.add_argument("--config", help="machine settings (/etc/masterbox/config.toml on the box)")
    p.add_argument("--sim", action="store_true",
                   help="the whole box on a laptop: screen in the terminal, keys as controls")
    p.add_argument("--input", help="--sim: audio file to loop (default: the demo programme)")
    p.add_argument("--record", help="--sim: record the output here when no sound device is used "
                   "(default masterbox-sim.wav)")
    p.add_argument("--no-sound", action="store_true",
                   help="--sim: do not use a sound device; pace in real time and record")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("screenshot", help="save a page of the screen as PNG")
    p.add_argument("page", help="meters, menu, target, snapshots, or a module: "
                   + ", ".join(params.MODULES))
    p.add_argument("out", metavar="OUT.png")
    chain_opts(p, "default")
    p.add_argument("--input", help="audio to run first (default: the demo programme)")
    p.add_argument("--scale", type=int, default=4, help="pixel size in the PNG (default 4)")
    p.set_defaults(func=cmd_screenshot)

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

    p = sub.add_parser("warmup", help="compile the audio callback into numba's cache")
    p.set_defaults(func=cmd_warmup)

    p = sub.add_parser("check", help="does a master meet a delivery target (exit 0 yes, 1 no)")
    p.add_argument("file")
    target_opts(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("measure", help="loudness, loudness range and true peak of files")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--plot", metavar="OUT.png", help="draw loudness and true peak over time")
    p.add_argument("--precise", action="store_true", help="add a 16x true peak")
    p.set_defaults(func=cmd_measure)

    p = sub.add_parser("response", help="measure the chain's frequency response (PNG or JSON)")
    chain_opts(p, "neutral")
    p.add_argument("--rate", type=int, default=48000)
    p.add_argument("--png", help="draw it to this PNG file")
    p.add_argument("--json", action="store_true", help="print gains at octave marks")
    p.set_defaults(func=cmd_response)

    p = sub.add_parser("demo", help="render the built-in demo programme (no files needed)")
    p.add_argument("--out-dir", default="out")
    chain_opts(p, "default")
    p.set_defaults(func=cmd_demo)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UserError as e:
        print(f"masterbox: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("masterbox: interrupted; nothing written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
