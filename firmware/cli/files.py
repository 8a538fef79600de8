"""Offline work on files: demo, render (to a target, an album), check,
measure, response."""
from __future__ import annotations

import contextlib
import math
import os
import sys

import numpy as np

from ..errors import EXIT_FAIL, UserError, file_error
from .common import chain_opts, json_text, print_json, session_from, values_from

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
    p.add_argument("--codec-safe", action="store_true",
                   help="with a target: keep the true peak under the ceiling after AAC and MP3 "
                        "too (needs ffmpeg)")
    p.add_argument("--no-added-drive", action="store_true",
                   help="with a target: refuse (exit 1, nothing written) rather than add drive "
                        "to the limiter when the heard master is quieter than the target")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("check", help="does a master meet a delivery target (exit 0 yes, 1 no)")
    p.add_argument("file")
    target_opts(p)
    p.add_argument("--no-codecs", action="store_true",
                   help="skip the true peak after AAC and MP3 (measured when ffmpeg is installed)")
    p.add_argument("--codec-safe", action="store_true",
                   help="fail the master when a codec's decoded true peak is over the ceiling")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("measure", help="loudness, loudness range and true peak of files")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--plot", metavar="OUT.png", help="draw loudness and true peak over time")
    p.add_argument("--precise", action="store_true", help="add the precise true peak (the meter check uses)")
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


def _album_paths(args) -> tuple[list[str], list[str]]:
    """An album's inputs and outputs, checked before anything is created: every
    track readable, distinct names, one sample rate."""
    from ..offline import audiofile

    if not args.out_dir:
        raise UserError("--album needs --out-dir DIR for the rendered tracks")
    inputs = args.paths
    outputs = [os.path.join(args.out_dir, os.path.basename(p)) for p in inputs]
    if len(set(outputs)) != len(outputs):
        dup = next(o for o in outputs if outputs.count(o) > 1)
        raise UserError(f"two album tracks share the file name {os.path.basename(dup)}; rename one")
    rates = {}
    for p in inputs:
        rates.setdefault(audiofile.check_input(p).samplerate, p)
    if len(rates) > 1:
        raise UserError("album tracks have different sample rates: "
                        + ", ".join(f"{os.path.basename(p)} {r} Hz" for r, p in rates.items()))
    if os.path.exists(args.out_dir) and not os.path.isdir(args.out_dir):
        raise UserError(f"--out-dir {args.out_dir}: exists and is not a folder")
    return inputs, outputs


def cmd_render(args) -> int:
    from ..offline import audiofile
    from ..offline.render import refuse_overwriting_input, render_file
    from ..store.atomic import check_writable

    values = values_from(args)
    targeted = args.target is not None or args.lufs is not None or args.ceiling_dbtp is not None
    t = None
    if targeted:
        from ..offline import targets

        t = targets.resolve(args.target, args.lufs, args.ceiling_dbtp)
    if args.album:
        if not targeted:
            raise UserError("--album renders to a target: give --target NAME (or --lufs and --ceiling-dbtp)")
        inputs, outputs = _album_paths(args)
    else:
        if args.out_dir:
            raise UserError("--out-dir is for --album; a single render takes IN OUT")
        if len(args.paths) != 2:
            raise UserError("render takes IN OUT (or --album IN... --out-dir DIR)")
        inputs, outputs = [args.paths[0]], [args.paths[1]]
    for o in outputs:
        refuse_overwriting_input(inputs, o)
        audiofile.output_format(o, args.bits or "24")
    if args.no_added_drive and not targeted:
        raise UserError("--no-added-drive is for rendering to a target: give --target NAME "
                        "(or --lufs and --ceiling-dbtp)")
    if args.codec_safe and not targeted:
        raise UserError("--codec-safe is for rendering to a target: give --target NAME "
                        "(or --lufs and --ceiling-dbtp)")
    if args.codec_safe:
        from ..offline import codecs

        if codecs.ffmpeg() is None:
            raise UserError("--codec-safe: ffmpeg is not installed (scripts/setup.sh installs it)")
    if not targeted:
        rep = render_file(inputs[0], outputs[0], values, block=args.block, bits=args.bits)
        if args.json:
            print_json(rep)
        else:
            print_report(rep)
        return 0
    for i in inputs:
        audiofile.check_input(i)
    made_dir = False
    if args.album and not os.path.isdir(args.out_dir):
        try:
            os.makedirs(args.out_dir)
        except OSError as e:
            raise file_error(args.out_dir, e, "create the folder") from None
        made_dir = True
    try:
        for o in outputs:
            check_writable(o)
        from ..offline import delivery

        rep = delivery.render_to_target(inputs, outputs, values, t, args.bits,
                                        codec_safe=args.codec_safe,
                                        no_added_drive=args.no_added_drive)
    except BaseException:
        if made_dir:
            with contextlib.suppress(OSError):
                os.rmdir(args.out_dir)          # only if still empty: nothing of ours in it
        raise
    if args.json:
        print_json(rep)
    else:
        print_target_report(rep)
    return 0 if rep["reached"] else EXIT_FAIL


def _num(v, spec: str, none: str = "--") -> str:
    return none if v is None or not math.isfinite(v) else format(v, spec)


def print_target_report(rep: dict, out=None) -> None:
    from ..offline.delivery_report import what_was_done

    out = out or sys.stdout
    out.write(f"target {rep['target']}: {rep['target_lufs']:g} LUFS, ceiling "
              f"{rep['ceiling_dbtp']:g} dBTP ({rep['source']})"
              + (", codec-safe" if rep["codec_safe"] else "") + "\n")
    what = "album" if rep["album"] else "master"
    if rep["reached"]:
        out.write(f"  reached: the {what} reads {rep['integrated_lufs']:.2f} LUFS\n")
    else:
        got = _num(rep["integrated_lufs"], ".2f", "nothing (silence)")
        out.write(f"  NOT REACHED: the {what} reads {got} LUFS: {rep['why']}\n")
        if rep["passes_check"]:
            out.write("  (within the target's tolerance: `check` passes it)\n")
    if rep["album"]:
        out.write(f"  album gain {rep['gain_db']:+.2f} dB; tracks keep their relative loudness "
                  "(moved: how far a track strays from it)\n")
    out.write(f"  {'track':28s} {'in LUFS':>8s} {'heard':>8s} {'out LUFS':>8s} {'gain dB':>8s} "
              f"{'drive dB':>8s} {'added':>6s} {'limit LU':>8s} {'dBTP':>6s} {'44.1k':>6s}"
              + (f" {'moved':>6s}" if rep["album"] else "") + "\n")
    for r in rep["tracks"]:
        out.write(f"  {os.path.basename(r['output'])[:28]:28s} {_num(r['input_lufs'], '8.2f'):>8s} "
                  f"{_num(r['heard_lufs'], '8.2f'):>8s} "
                  f"{_num(r['integrated_lufs'], '8.2f'):>8s} {r['gain_db']:+8.2f} "
                  f"{_num(r['engineer_drive_db'], '8.2f', 'off'):>8s} {r['added_drive_db']:6.2f} "
                  f"{r['limiting_lu']:8.2f} "
                  f"{_num(r['true_peak_dbtp'], '6.2f'):>6s} {_num(r['true_peak_after_44k1_dbtp'], '6.2f', 'same'):>6s}"
                  + (f" {_num(r['moved_lu'], '+6.2f'):>6s}" if rep["album"] else "") + "\n")
        out.write(f"    {what_was_done(r)}\n")
        if r["ceiling_moved"] and r["limiter_ceiling_dbtp"] < rep["ceiling_dbtp"] - 1e-9:
            out.write(f"    limited at {r['limiter_ceiling_dbtp']:.2f} dBTP: the peaks after conversion"
                      + (" or a codec" if rep["codec_safe"] else "") + " needed it\n")
        for name, c in (r["codecs"] or {}).items():
            out.write(f"    after {c['label']}: {_num(c['true_peak_dbtp'], '.2f')} dBTP\n")
        if r["why"]:
            out.write(f"    {r['why']}\n")
        for n in r["notes"]:
            out.write(f"    note: {n}\n")


def cmd_check(args) -> int:
    from ..offline import targets

    t = targets.resolve(args.target, args.lufs, args.ceiling_dbtp)
    if args.codec_safe and args.no_codecs:
        raise UserError("--codec-safe judges the codecs' peaks; it cannot go with --no-codecs")
    r = targets.check(args.file, t, codecs=not args.no_codecs, codec_safe=args.codec_safe)
    if args.json:
        print_json(r)
        return 0 if r["passes"] else EXIT_FAIL
    il = "below gate" if r["integrated_lufs"] is None else f"{r['integrated_lufs']:.2f} LUFS"
    ok = lambda b: "ok" if b else "FAILS"  # noqa: E731
    print(f"{r['file']} against {t.name} ({t.lufs:g} LUFS +-{t.tolerance_lu:g}, "
          f"{t.ceiling_dbtp:g} dBTP; {t.source})")
    print(f"  loudness   {il:>16s}  {ok(r['loudness_ok'])}")
    print(f"  true peak  {_num(r['true_peak_dbtp'], '11.2f'):>11s} dBTP  {ok(r['true_peak_ok'])}")
    if r["true_peak_after_44k1_dbtp"] is None:
        print("  at 44.1 kHz: already 44.1 kHz, no conversion")
    else:
        print(f"  after conversion to 44.1 kHz {_num(r['true_peak_after_44k1_dbtp'], '.2f')} dBTP  "
              f"{ok(r['after_conversion_ok'])}")
    if r.get("codecs"):
        for c in r["codecs"].values():
            judged = ok(c["true_peak_dbtp"] is None or c["true_peak_dbtp"] <= t.ceiling_dbtp) \
                if args.codec_safe else ("over the ceiling (not judged: --codec-safe judges it)"
                                         if c["true_peak_dbtp"] > t.ceiling_dbtp else "under the ceiling")
            print(f"  after {c['label']}: {_num(c['true_peak_dbtp'], '.2f')} dBTP  {judged}")
    elif r.get("codecs_note"):
        print(f"  codecs: {r['codecs_note']}")
    print("  PASSES" if r["passes"] else "  DOES NOT PASS")
    return 0 if r["passes"] else EXIT_FAIL


def print_report(rep: dict, out=None) -> None:
    out = out or sys.stdout
    speed = (f"rendered at {rep['realtime_factor']:.1f}x real time" if rep["realtime_factor"]
             else "rendered")
    if rep.get("compile_seconds", 0) >= 1.0:
        speed += f" (after {rep['compile_seconds']:.0f} s compiling the chain, once)"
    out.write(
        f"{rep['output']}: {rep['seconds']:.2f} s, {rep['sample_rate']} Hz, "
        f"{rep['channels']} ch, {rep['bits']} bit\n"
        f"  peak in {_num(rep['peak_in_dbfs'], '+.2f', 'silence')} dBFS, "
        f"out {_num(rep['peak_out_dbfs'], '+.2f', 'silence')} dBFS (as written)\n"
        f"  latency {rep['latency_frames']} frames ({rep['latency_ms']:.2f} ms), {speed}\n")
    if rep["nonfinite_samples_replaced"]:
        out.write(f"  {rep['nonfinite_samples_replaced']} NaN/Inf input samples replaced by silence\n")
    for n in rep["notes"]:
        out.write(f"  note: {n}\n")


def cmd_demo(args) -> int:
    from dsp.meters import measure

    from ..offline import audiofile, demo
    from ..offline.render import render_file
    from ..store.atomic import check_writable, write_text

    session = session_from(args.preset, args.set)
    if os.path.exists(args.out_dir) and not os.path.isdir(args.out_dir):
        raise UserError(f"--out-dir {args.out_dir}: exists and is not a folder")
    try:
        os.makedirs(args.out_dir, exist_ok=True)
    except OSError as e:
        raise file_error(args.out_dir, e, "create the folder") from None
    fs = 48000
    src = os.path.join(args.out_dir, "demo_input.wav")
    dst = os.path.join(args.out_dir, "demo_master.wav")
    report = os.path.join(args.out_dir, "demo_report.json")
    for path in (src, dst, report):
        check_writable(path)
    x = demo.programme(fs)
    w = audiofile.Writer(src, fs, 2, "24")
    try:
        w.write(x)
        w.commit()
    except BaseException as e:
        w.abort(e)
        raise
    print(f"demo programme: {len(x) / fs:.1f} s synthesised -> {src}")
    rep = render_file(src, dst, session.values, bits="24")
    rep["preset"] = args.preset
    print_report(rep)
    for key, path in (("input", src), ("master", dst)):
        m = measure(audiofile.read(path)[0], fs)
        rep[f"{key}_loudness"] = {k: m[k] for k in ("integrated_lufs", "loudness_range_lu",
                                                    "max_short_term_lufs", "true_peak_dbtp")}
    a, b = rep["input_loudness"], rep["master_loudness"]
    print(f"  loudness {a['integrated_lufs']:.1f} -> {b['integrated_lufs']:.1f} LUFS, true peak "
          f"{a['true_peak_dbtp']:.1f} -> {b['true_peak_dbtp']:.1f} dBTP, LRA "
          f"{a['loudness_range_lu']:.1f} -> {b['loudness_range_lu']:.1f} LU")
    write_text(report, json_text(rep) + "\n")
    print(f"report -> {report}")
    return 0


def cmd_response(args) -> int:
    from ..offline import response
    from ..store.atomic import check_writable

    if not 32000 <= args.rate <= 192000:
        raise UserError(f"--rate {args.rate}: out of range 32000..192000 Hz")
    if args.png:
        if not args.png.lower().endswith(".png"):
            raise UserError(f"{args.png}: the picture is written as PNG; name it .png")
        check_writable(args.png)
    resp = response.measure(values_from(args), args.rate)
    if args.png:
        response.plot(resp, args.png, f"masterbox response: preset {args.preset}, {args.rate} Hz")
        print(f"response -> {args.png}")
    if args.json or not args.png:
        marks = [31.5, 63, 125, 250, 500, 1000, 2000, 4000, 8000, 16000]
        f = resp["freq_hz"]
        doc = {str(m): {"mid_db": round(float(np.interp(m, f, resp["mid_db"])), 3),
                        "side_db": round(float(np.interp(m, f, resp["side_db"])), 3)}
               for m in marks if m <= f[-1]}
        print_json(doc)
    return 0


def cmd_measure(args) -> int:
    from ..offline import measure
    from ..store.atomic import check_writable

    measure.check_plot_args(args.files, args.plot)
    if args.plot:
        check_writable(args.plot)
    results = []
    for f in args.files:
        r, series = measure.measure_file(f, precise=args.precise)
        results.append(r)
        if args.plot:
            measure.plot(r, series, args.plot)
        if not args.json:
            print(measure.text(r))
    if args.json:
        print_json(results if len(results) > 1 else results[0])
    if args.plot:
        print(f"plot -> {args.plot}", file=sys.stderr if args.json else sys.stdout)
    return 0
