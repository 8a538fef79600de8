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
    from ..assistant.words import VAGUE, WORDS
    from ..targets import TARGETS

    p = sub.add_parser("assist", help="listen to a file and propose moves, with reasons "
                                      "(applies nothing)")
    p.add_argument("input", metavar="IN", nargs="?")
    chain_opts(p, "neutral")
    p.add_argument("--reference", metavar="REF", help="a finished master to match (tone, "
                   "loudness and dynamics, width)")
    p.add_argument("--profile", metavar="NAME|FILE",
                   help="a built-in profile (balanced modern, bass-heavy, acoustic/dynamic: where "
                   "the programme sits in its usual range, band by band, and moves only for bands "
                   "outside it), or a profile learnt with --learn-profile, matched like a reference")
    p.add_argument("--learn-profile", nargs=2, metavar=("DIR", "OUT.json"),
                   help="learn a profile from the audio files in DIR (no IN)")
    p.add_argument("--say", action="append", default=[], metavar="WORD",
                   help=f"a word for the sound: {', '.join(WORDS)} (repeatable; quote two words); "
                   f"{', '.join(VAGUE)} ask back: their readings are listed")
    p.add_argument("--reading", type=int, metavar="N",
                   help="which reading of a word that asks back to propose (from 1)")
    p.add_argument("--target", choices=tuple(TARGETS),
                   help="propose the loudness of this delivery target (default: no loudness "
                   "move unless a word or a reference asks; the ceiling is streaming's unless given)")
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
        from ..assistant import profiles, ranges
        if args.reference:
            raise UserError("--reference or --profile, not both")
        profile = ranges.find(args.profile)
        if profile is None and not args.profile.endswith(".json"):
            raise UserError(f"--profile {args.profile}: not a built-in profile "
                            f"({', '.join(ranges.names())}) nor a .json file")
        if profile is None:
            profile = profiles.load(args.profile)
    from ..offline import audiofile
    from ..store import presets
    from ..store.atomic import check_writable

    if args.write_preset:
        if not args.write_preset.endswith(".toml"):
            raise UserError(f"--write-preset {args.write_preset}: a preset file ends in .toml")
        check_writable(args.write_preset)
    from ..assistant.words import check as check_word, reading, vague

    asks_back = [w for w in args.say if vague(w) is not None]
    if len(asks_back) > 1:
        raise UserError(f"--say: ask one of {', '.join(repr(w) for w in asks_back)} at a time "
                        "(each asks back)")
    if args.reading is not None and not asks_back:
        raise UserError(f"--reading {args.reading}: no word that asks back was said")
    words = [reading(w, args.reading) if w in asks_back and args.reading is not None else w
             for w in args.say]
    for w in words:
        if w not in asks_back:
            check_word(w)                # every word checked before any audio is read
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
    kwargs = dict(reference=ref, ref_fs=ref_fs, target=args.target or "streaming",
                  to_target=args.target is not None and ref is None and profile is None,
                  amount=args.amount, aspects=tuple(args.only or ("tone", "dynamics", "width")),
                  profile=profile)
    if asks_back and args.reading is None:
        return ask_back(asks_back[0], x, fs, values, args, kwargs)
    p = propose(x, fs, values, words=words, **kwargs)
    if args.json:
        print(json.dumps(_plain(p.to_dict()), indent=1))
    else:
        print(report(p, args))
    if args.write_preset:
        presets.save(args.write_preset, p.values(values), name="assistant")
        print(f"wrote {args.write_preset}", file=sys.stderr)
    return 0


def ask_back(word: str, x, fs: int, values: dict, args, kwargs) -> int:
    """A vague word: its readings, each proposed, listed; nothing written."""
    from ..assistant.ask import readings

    if args.write_preset:
        from ..errors import UserError
        raise UserError(f"--write-preset: {word!r} asks back; choose a reading (--reading N) first")
    offers = readings(word, x, fs, values, **kwargs)
    if args.json:
        print(json.dumps(_plain({"word": word, "readings": [o.to_dict() for o in offers]}), indent=1))
        return 0
    out = [f"{word!r} can mean more than one thing; choose with --reading N:"]
    for i, o in enumerate(offers):
        out.append(f"{i + 1}. {o.reading.says}")
        for m in o.proposal.moves:
            out.append(f"     {m.param:28s} {m.old:>8g} -> {m.new:<8g}")
        if not o.proposal.moves:
            out.append(f"     (nothing to do: {o.proposal.notes[-1] if o.proposal.notes else 'already there'})")
    out.append(f"(Amount {args.amount:g} %; nothing applied)")
    print("\n".join(out))
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
    if p.profile_position is not None:
        from ..assistant.ranges import summary_lines
        out += summary_lines(p.profile_position["before"])
        out += ["with the moves (rendered):"] + summary_lines(p.profile_position["after"])[1:4]
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
