"""The box's memory: `state show|reset` (the saved session) and
`presets list|show|import|export` (built-in and user presets)."""
from __future__ import annotations

import os

from dsp import params

from ..errors import UserError
from .common import print_json


def _folder(args) -> str:
    from ..store.state import default_dir

    if args.state_dir:
        return args.state_dir
    if getattr(args, "config", None):
        from ..service import config

        cfg = config.load(args.config)
        if cfg["state_dir"]:
            return cfg["state_dir"]
    return default_dir()


def add_parsers(sub) -> None:
    p = sub.add_parser("state", help="the saved session: what the box restores at boot")
    ss = p.add_subparsers(dest="verb", required=True, parser_class=type(p))
    for verb, help_ in (("show", "print what the box would restore and from which file"),
                        ("reset", "move the saved state aside (kept); the next boot starts "
                                  "from the config's preset")):
        q = ss.add_parser(verb, help=help_)
        q.add_argument("--state-dir", help="the state folder (default: see masterbox run --help)")
        q.add_argument("--config", help="take state_dir from this config file")
        if verb == "show":
            q.add_argument("--json", action="store_true")
        q.set_defaults(func=cmd_state_show if verb == "show" else cmd_state_reset)

    p = sub.add_parser("presets", help="list, show, import and export presets")
    ps = p.add_subparsers(dest="verb", required=True, parser_class=type(p))
    q = ps.add_parser("list", help="every preset, built-in and yours")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_presets_list)
    q = ps.add_parser("show", help="a preset's values (what differs from the defaults)")
    q.add_argument("name")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_presets_show)
    q = ps.add_parser("import", help="check a preset file and add it to yours")
    q.add_argument("file")
    q.add_argument("--name", help="its name on the box (default: the file's name)")
    q.add_argument("--force", action="store_true", help="replace a preset of yours with that name")
    q.set_defaults(func=cmd_presets_import)
    q = ps.add_parser("export", help="write a preset (built-in or yours) to a file")
    q.add_argument("name")
    q.add_argument("file")
    q.set_defaults(func=cmd_presets_export)
    for q in ps.choices.values():
        q.add_argument("--state-dir", help="the state folder (its presets/ holds yours)")
        q.add_argument("--config", help="take state_dir from this config file")


def cmd_state_show(args) -> int:
    from ..store.state import StateStore

    folder = _folder(args)
    loaded = StateStore(folder).load()
    doc = {"state_dir": folder, "file": loaded.path, "generation": loaded.generation,
           "notes": loaded.notes}
    if loaded.state is None:
        doc["restores"] = None
        if args.json:
            print_json(doc)
            return 0
        print(f"{folder}: no usable saved state; the box starts from the config's preset")
        for n in loaded.notes:
            print(f"  {n}")
        return 0
    st = loaded.state
    changed = {pid: params.get(pid).format(v) for pid, v in st["values"].items()
               if v != params.get(pid).default}
    doc["restores"] = {"saved_at": st.get("saved_at"), "preset": st["preset"],
                       "modified": st["preset_values"] is not None and st["preset_values"] != st["values"],
                       "target": st["target"], "values": changed,
                       "snapshots": [s["slot"] for s in st["snapshots"] if s["values"] is not None]}
    if args.json:
        print_json(doc)
        return 0
    r = doc["restores"]
    print(f"{loaded.path}: generation {loaded.generation}, saved {r['saved_at']}")
    for n in loaded.notes:
        print(f"  note: {n}")
    preset = r["preset"] or "(none)"
    print(f"  preset {preset}{' (modified)' if r['modified'] else ''}, target {r['target']}, "
          f"snapshots {', '.join(r['snapshots']) or 'none'}")
    for pid, text in changed.items():
        print(f"  {pid:34s} {text}")
    if not changed:
        print("  every value at its default (the neutral chain)")
    return 0


def cmd_state_reset(args) -> int:
    from ..store.state import StateStore

    folder = _folder(args)
    try:
        moved = StateStore(folder).reset()
    except OSError as e:
        from ..errors import file_error

        raise file_error(folder, e, "move the saved state aside") from None
    if not moved:
        print(f"{folder}: no saved state; nothing to reset")
    for m in moved:
        print(f"kept as {m}")
    if moved:
        print("the next boot starts from the config's preset")
    return 0


def _user(args):
    from ..store.presets import UserPresets

    return UserPresets(os.path.join(_folder(args), "presets"))


def cmd_presets_list(args) -> int:
    up = _user(args)
    items = up.all()
    if args.json:
        print_json([{"name": n, "builtin": b} for n, b in items])
        return 0
    for n, b in items:
        print(f"{n:26s} {'built-in' if b else up.path(n)}")
    return 0


def cmd_presets_show(args) -> int:
    from ..store import presets

    up = _user(args)
    values = presets.load(args.name, up.folder)
    changed = {pid: v for pid, v in values.items() if v != params.get(pid).default}
    if args.json:
        print_json({"name": args.name, "values": changed})
        return 0
    print(f"preset {args.name}: {len(changed)} values differ from the defaults")
    for pid, v in changed.items():
        print(f"  {pid:34s} {params.get(pid).format(v)}")
    return 0


def cmd_presets_import(args) -> int:
    from ..store import presets

    values = presets.load(args.file if os.sep in args.file or args.file.endswith(".toml")
                          else "./" + args.file)
    name = args.name or presets.display_name(args.file)
    path = _user(args).save(name, values, overwrite=args.force)
    print(f"imported {args.file} as '{name}' -> {path}")
    return 0


def cmd_presets_export(args) -> int:
    from ..store import presets
    from ..store.atomic import check_writable

    up = _user(args)
    if not args.file.lower().endswith(".toml"):
        raise UserError(f"{args.file}: a preset file is TOML; name it .toml")
    values = presets.load(args.name, up.folder)
    check_writable(args.file)
    presets.save(args.file, values, args.name)
    print(f"exported '{args.name}' -> {args.file}")
    return 0

