"""Offline work on files: demo, render (to a target, an album), check,
measure, response."""
from __future__ import annotations

import json
import os
import sys

import numpy as np

from ..errors import UserError
from .common import chain_opts, values_from

TARGET_NAMES = ("ebu-r128", "atsc-a85", "streaming", "apple-music", "youtube", "amazon-music")


def target_opts(p) -> None:
    p.add_argument("--target", help="delivery target: " + ", ".join(TARGET_NAMES))
    p.add_argument("--lufs", type=float, help="custom target loudness")
    p.add_argument("--ceiling-dbtp", type=float, help="custom true-peak ceiling")


def add_parsers(sub) -> None:
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


def cmd_render(args) -> int:
    from ..offline.render import render_file

    values = values_from(args)
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
        from ..offline import targets

        t = targets.resolve(args.target, args.lufs, args.ceiling_dbtp)
        for i in inputs:
            from ..offline import audiofile
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
    from ..offline import targets

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
    from ..offline import audiofile, demo
    from ..offline.render import render_file
    from ..store.atomic import write_text

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
    rep = render_file(src, dst, values_from(args), bits="24")
    rep["preset"] = args.preset
    print_report(rep)
    from dsp.meters import measure

    from ..offline import audiofile as af
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
    from ..offline import response

    if not 32000 <= args.rate <= 192000:
        raise UserError(f"--rate {args.rate}: out of range 32000..192000 Hz")
    resp = response.measure(values_from(args), args.rate)
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
    from ..offline import measure

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
