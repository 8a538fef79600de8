"""The assistant on the command line: ``masterbox assist IN ...`` prints what
it measured and what it proposes, with a reason for every move. It writes
nothing unless --write-preset is given (then a preset that loads like any
other)."""
from __future__ import annotations

import json
import sys

from .common import chain_opts, session_from, _plain


def add_parsers(sub) -> None:
    from ..assistant import ASPECTS
    from ..assistant.words import WORDS
    from ..targets import TARGETS

    p = sub.add_parser("assist", help="listen to a file and propose moves, with reasons "
                                      "(applies nothing)")
    p.add_argument("input", metavar="IN", nargs="?")
    chain_opts(p, "neutral")
    p.add_argument("--reference", metavar="REF", help="a finished master to match (tone, "
                   "loudness and dynamics, width)")
    p.add_argument("--profile", metavar="FILE",
                   help="a profile learnt with --learn-profile, matched like a reference")
    p.add_argument("--learn-profile", nargs=2, metavar=("DIR", "OUT.json"),
                   help="learn a profile from the audio files in DIR (no IN)")
    p.add_argument("--say", action="append", default=[], metavar="WORD",
                   help=f"a word for the sound: {', '.join(WORDS)} (repeatable; quote two words)")
    p.add_argument("--target", default="streaming", choices=tuple(TARGETS),
                   help="the delivery target: its loudness without a reference, its ceiling always")
    p.add_argument("--amount", type=float, default=50.0, help="how far to move, 0-100 %% "
                   "(default 50)")
    p.add_argument("--only", action="append", choices=ASPECTS,
                   help="match only this aspect of the reference (repeatable; default all)")
    p.add_argument("--json", action="store_true", help="print analysis and proposals as JSON")
    p.add_argument("--write-preset", metavar="OUT.toml",
                   help="write the settings with every proposal accepted as a preset")
    p.set_defaults(func=cmd_assist)


def cmd_assist(args) -> int:
    from ..assistant.propose import propose
    from ..errors import UserError

    if args.learn_profile:
        if args.input:
            raise UserError("--learn-profile takes a folder, not IN")
        return learn_profile(*args.learn_profile)
    if not args.input:
        raise UserError("assist needs IN (the file to listen to), or --learn-profile DIR OUT.json")
    profile = None
    if args.profile:
        from ..assistant import profiles
        if args.reference:
            raise UserError("--reference or --profile, not both")
        profile = profiles.load(args.profile)
    from ..offline import audiofile
    from ..store import presets
    from ..store.atomic import check_writable

    if args.write_preset:
        if not args.write_preset.endswith(".toml"):
            raise UserError(f"--write-preset {args.write_preset}: a preset file ends in .toml")
        check_writable(args.write_preset)
    from ..assistant.words import check as check_word

    for w in args.say:
        check_word(w)                    # every word checked before any audio is read
    if not 0.0 <= args.amount <= 100.0:
        raise UserError(f"--amount {args.amount:g}: out of range 0..100 %")
    values = session_from(args.preset, args.set).values
    x, fs = audiofile.read(args.input)
    ref = ref_fs = None
    if args.reference:
        ref, ref_fs = audiofile.read(args.reference)
    if x.shape[1] == 1:
        x = x.repeat(2, axis=1)
    if ref is not None and ref.shape[1] == 1:
        ref = ref.repeat(2, axis=1)
    print(f"listening to the loudest 30 s of {args.input}...", file=sys.stderr)
    p = propose(x, fs, values, reference=ref, ref_fs=ref_fs, words=args.say, target=args.target,
                amount=args.amount, aspects=tuple(args.only or ("tone", "dynamics", "width")),
                profile=profile)
    if args.json:
        print(json.dumps(_plain(p.to_dict()), indent=1))
    else:
        print(report(p, args))
    if args.write_preset:
        presets.save(args.write_preset, p.values(values), name="assistant")
        print(f"wrote {args.write_preset}", file=sys.stderr)
    return 0


def report(p, args) -> str:
    a = p.analysis
    out = [f"{args.input}: {a['integrated_lufs']} LUFS integrated, {a['max_short_term_lufs']} "
           f"short-term max, LRA {a['lra_lu']} LU, {a['true_peak_dbtp']} dBTP, PLR {a['plr_lu']}, "
           f"PSR {a['psr_lu']}, correlation {a['correlation']} ({a['correlation_below_150hz']} "
           f"below 150 Hz), side {a['side_to_mid_db']} dB under mid, DC {a['dc_dbfs']} dBFS, "
           f"{a['clipped_runs']} clipped runs"]
    gr = {k: v for k, v in a["loud_part_gr_db"].items() if v >= 0.05}
    out.append("gain reduction on the loud part with the current settings: "
               + (", ".join(f"{k} {v:.1f} dB" for k, v in gr.items()) if gr else "none"))
    if p.reference is not None:
        r = p.reference
        out.append(f"reference: {r['integrated_lufs']} LUFS, PLR {r['plr_lu']}, PSR {r['psr_lu']}, "
                   f"side {r['side_to_mid_db']} dB under mid; tonal difference "
                   f"{p.before_db} dB rms -> {p.residual_db} dB with the moves (rendered)")
    for n in p.notes:
        out.append(f"note: {n}")
    for m in p.moves:
        out.append(f"  {m.param:28s} {m.old:>8g} -> {m.new:<8g} {m.reason}")
    out.append(f"(Amount {args.amount:g} %; nothing applied; {p.seconds:.1f} s)")
    return "\n".join(out)


def learn_profile(folder: str, out: str) -> int:
    import os

    from ..assistant import profiles
    from ..errors import UserError
    from ..references import folder_files
    from ..store.atomic import check_writable

    if not os.path.isdir(folder):
        raise UserError(f"--learn-profile {folder}: not a folder")
    if not out.endswith(".json"):
        raise UserError(f"--learn-profile {out}: a profile file ends in .json")
    check_writable(out)
    files = folder_files(folder)

    def progress(i, n, path):
        print(f"[{i}/{n}] {os.path.basename(path)}", file=sys.stderr)
    p = profiles.learn(files, progress)
    profiles.save(out, p, os.path.splitext(os.path.basename(out))[0])
    print(f"wrote {out}: a profile of {len(files)} file{'s' if len(files) != 1 else ''}, "
          f"{p['integrated_lufs']} LUFS, "
          f"PLR {p['plr_lu']} LU on average")
    return 0
