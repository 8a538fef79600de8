"""The box and its laptop mode: run, devices, warmup, screenshot."""
from __future__ import annotations

from dsp import params

from ..errors import UserError
from ..platforms import ORDER as PLATFORM_ORDER
from .common import chain_opts, session_from


def add_parsers(sub) -> None:
    p = sub.add_parser("devices", help="list the audio devices PortAudio sees")
    p.set_defaults(func=cmd_devices)

    p = sub.add_parser("run", help="run the box (--audio-only: the engine headless)")
    p.add_argument("--audio-only", action="store_true", help="the engine headless (no panel)")
    chain_opts(p, None)
    p.add_argument("--fresh", action="store_true",
                   help="skip the saved state for this run (as holding BACK at boot does); "
                   "a --preset or --set also starts from that instead")
    p.add_argument("--seconds", type=float, help="stop after running this long (default: until SIGTERM)")
    p.add_argument("--config", help="machine settings (/etc/masterbox/config.toml on the box); "
                   "a flag below wins over it")
    p.add_argument("--sim", action="store_true",
                   help="the whole box on a laptop: screen in the terminal, keys as controls")
    p.add_argument("--input", help="--sim: audio file to loop (default: the demo programme)")
    p.add_argument("--record", help="--sim: record the output here when no sound device is used "
                   "(default masterbox-sim.wav)")
    p.add_argument("--reference", action="append", default=[], metavar="FILE",
                   help="a reference track for the REF action (up to 4; repeat the flag); the box "
                   "also reads its reference folder")
    p.add_argument("--context", action="append", default=[], metavar="IR",
                   help="a playback context's impulse response (up to 4; repeat the flag); the box "
                   "also reads its contexts folder")
    p.add_argument("--no-sound", action="store_true",
                   help="--sim: do not use a sound device; pace in real time and record")
    from ..service import config

    config.add_flags(p)                  # the machine settings' flags, from their one table
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("screenshot", help="save a page of the screen as PNG")
    p.add_argument("page", help="meters, loudness, reduction, phase, menu, target, snapshots, "
                   "references, assist, proposals, position, presets, name, confirm, remote, web (the "
                   "browser page), or a module: "
                   + ", ".join(params.MODULES))
    p.add_argument("out", metavar="OUT.png")
    chain_opts(p, "default")
    p.add_argument("--input", help="audio to run first (default: the demo programme)")
    p.add_argument("--scale", type=int, default=4, help="pixel size in the PNG (default 4)")
    p.add_argument("--reference", action="append", default=[], metavar="FILE",
                   help="a reference track to load (the references page plays the first)")
    p.add_argument("--context", action="append", default=[], metavar="IR",
                   help="a playback context's impulse response to load (the first is heard through)")
    p.add_argument("--say", action="append", default=[], metavar="WORD",
                   help="ask the assistant first (its proposals and ghosts on the pages)")
    p.add_argument("--profile", metavar="NAME",
                   help="ask for a built-in profile first (the position page shows where it sits)")
    p.add_argument("--osc", type=int, metavar="PORT", help="run an OSC surface (the remote page)")
    p.add_argument("--platform", metavar="NAME", choices=PLATFORM_ORDER,
                   help=f"hear a streaming platform first: {', '.join(PLATFORM_ORDER)}")
    p.add_argument("--window", default="1280x1500", metavar="WxH",
                   help="web: the browser window, e.g. 390x844 (a phone), 1024x768 (a tablet)")
    p.add_argument("--codec", choices=("aac", "mp3", "opus"),
                   help="hear a codec live first (the preview runs 1.5 s at the audio's pace)")
    p.add_argument("--state-dir", help="whose presets the presets page lists (default: see run)")
    p.set_defaults(func=cmd_screenshot)

    p = sub.add_parser("warmup", help="compile the audio callback into numba's cache")
    p.set_defaults(func=cmd_warmup)


def cmd_devices(args) -> int:
    from ..service.run import list_devices

    return list_devices()


def cmd_run(args) -> int:
    import logging
    import math
    import os

    from ..offline import audiofile
    from ..references import folder_files

    if args.seconds is not None and not (math.isfinite(args.seconds) and args.seconds > 0):
        raise UserError(f"--seconds {args.seconds}: give a running time above 0 s "
                        "(or leave it out to run until stopped)")
    from ..boot import Boot, back_button_held, back_key_held
    from ..service import config
    from ..store.state import default_dir

    explicit = args.preset is not None or bool(args.set)
    cfg = config.resolve(args, config.load(args.config) if args.config else None)
    state_dir = cfg["state_dir"] or default_dir()
    boot = Boot(state_dir)
    for f in args.reference + args.context:
        audiofile.check_input(f)              # a bad file named before anything starts
    ref_folder = cfg["references"] or os.path.join(state_dir, "references")
    contexts = folder_files(cfg["contexts"] or os.path.join(state_dir, "contexts")) + args.context
    net = {"osc": (cfg["osc_bind"], cfg["osc_port"]) if cfg["osc_port"] else None,
           "web": (cfg["web_bind"], cfg["web_port"]) if cfg["web_port"] else None,
           "password": cfg["remote_password"], "presets": boot.presets,
           "midi": cfg["midi_device"], "midi_map": {}}
    if cfg["midi_device"] and cfg["midi_map"]:
        from ..remote.midi import load_map
        net["midi_map"] = load_map(cfg["midi_map"])   # checked before anything starts
    session = session_from(args.preset or cfg["preset"], args.set, user_dir=boot.presets.folder)
    mb = cfg["reference_memory_mb"]
    if args.sim:
        from ..laptop import run_sim

        if not explicit:
            boot.restore(session, skip=args.fresh or back_key_held())
        boot.start_autosave(session)
        try:
            return run_sim(session, args.input, args.record, sound=not args.no_sound,
                           seconds=args.seconds, boot=boot, references=args.reference,
                           reference_mb=mb, net=net, contexts=contexts)
        finally:
            boot.close()
    from ..service.run import run_box

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    panel = "none" if args.audio_only else cfg["panel"]
    pins_path = cfg["pins"] or None
    if not explicit:
        held = args.fresh or (back_button_held(pins_path) if panel == "gpio"
                              else back_key_held() if panel == "keys" else False)
        boot.restore(session, skip=held)
    boot.start_autosave(session)

    def open_ui(engine, session):
        from ..service.box import open_panel
        return open_panel(engine, session, panel, pins_path, boot, ref_folder,
                          os.path.join(state_dir, "profiles"))
    try:
        return run_box(session, cfg["rate"], cfg["block"], cfg["device"] or None, cfg["rt_priority"],
                       seconds=args.seconds, ui=open_ui if panel != "none" else None, rt_cpu=cfg["rt_cpu"],
                       references=folder_files(ref_folder) + args.reference, reference_mb=mb,
                       net=net, contexts=contexts)
    finally:
        boot.close()


def cmd_screenshot(args) -> int:
    import os

    from ..laptop import screenshot
    from ..store.presets import UserPresets
    from ..store.state import default_dir

    user = UserPresets(os.path.join(args.state_dir or default_dir(), "presets"))
    out = screenshot(args.page, args.out, session_from(args.preset, args.set, user_dir=user.folder),
                     args.input, args.scale, presets=user, references=args.reference,
                     say=args.say, osc_port=args.osc, profile=args.profile, platform=args.platform,
                     contexts=args.context, codec=args.codec, window=_window(args.window))
    print(f"wrote {out}")
    return 0


def _window(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise UserError(f"screenshot: --window {text!r}: give WIDTHxHEIGHT in pixels, e.g. 390x844") from None
    if not (240 <= w <= 4096 and 240 <= h <= 4096):
        raise UserError(f"screenshot: --window {text}: each side 240..4096 px")
    return w, h


def cmd_warmup(args) -> int:
    """Compile the audio callback into numba's cache (the installer runs it once,
    so the first boot starts fast)."""
    import time

    from ..engine import compile_callback, compile_passthrough

    t = time.monotonic()
    compile_passthrough()
    compile_callback()
    print(f"warm-up: the chain is compiled and cached ({time.monotonic() - t:.1f} s)")
    return 0
