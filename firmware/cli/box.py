"""The box and its laptop mode: run, devices, warmup, screenshot."""
from __future__ import annotations

from dsp import params

from ..errors import UserError
from .common import chain_opts, session_from


def add_parsers(sub) -> None:
    p = sub.add_parser("devices", help="list the audio devices PortAudio sees")
    p.set_defaults(func=cmd_devices)

    p = sub.add_parser("run", help="run the box (--audio-only: the engine headless)")
    p.add_argument("--audio-only", action="store_true", help="the engine headless (no panel)")
    p.add_argument("--panel", choices=("gpio", "keys", "none"),
                   help="gpio: the pin table's encoders, buttons and OLED (default); keys: this "
                   "terminal's keys and screen; none: headless")
    p.add_argument("--pins", help="pin table (default: hardware/pins.toml)")
    chain_opts(p, None)
    p.add_argument("--state-dir", help="saved session and user presets (default: the config's "
                   "state_dir, else $STATE_DIRECTORY, else ~/.local/state/masterbox)")
    p.add_argument("--fresh", action="store_true",
                   help="skip the saved state for this run (as holding BACK at boot does); "
                   "a --preset or --set also starts from that instead")
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
    p.add_argument("--reference", action="append", default=[], metavar="FILE",
                   help="a reference track for the REF action (up to 4; repeat the flag); the box "
                   "also reads its reference folder")
    p.add_argument("--reference-memory-mb", type=int,
                   help="memory for reference tracks (default 256: 4 slots of 1.9 min at 48 kHz)")
    p.add_argument("--osc", type=int, metavar="PORT",
                   help="serve OSC on this UDP port (off by default; pair first)")
    p.add_argument("--midi", metavar="DEVICE",
                   help="a MIDI controller: its rawmidi device (/dev/snd/midiC1D0), or jack for a "
                        "JACK MIDI port (off by default)")
    p.add_argument("--web", type=int, metavar="PORT",
                   help="serve the browser page on this TCP port (off by default; pair first)")
    p.add_argument("--osc-bind", metavar="ADDR",
                   help="the address OSC listens on (default 127.0.0.1, or the config's)")
    p.add_argument("--no-sound", action="store_true",
                   help="--sim: do not use a sound device; pace in real time and record")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("screenshot", help="save a page of the screen as PNG")
    p.add_argument("page", help="meters, loudness, reduction, phase, menu, target, snapshots, "
                   "references, assist, proposals, presets, name, confirm, remote, web (the "
                   "browser page), or a module: "
                   + ", ".join(params.MODULES))
    p.add_argument("out", metavar="OUT.png")
    chain_opts(p, "default")
    p.add_argument("--input", help="audio to run first (default: the demo programme)")
    p.add_argument("--scale", type=int, default=4, help="pixel size in the PNG (default 4)")
    p.add_argument("--reference", action="append", default=[], metavar="FILE",
                   help="a reference track to load (the references page plays the first)")
    p.add_argument("--say", action="append", default=[], metavar="WORD",
                   help="ask the assistant first (its proposals and ghosts on the pages)")
    p.add_argument("--osc", type=int, metavar="PORT", help="run an OSC surface (the remote page)")
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
    from ..references import DEFAULT_MEMORY_MB, folder_files

    if args.seconds is not None and not (math.isfinite(args.seconds) and args.seconds > 0):
        raise UserError(f"--seconds {args.seconds}: give a running time above 0 s "
                        "(or leave it out to run until stopped)")
    from ..boot import Boot, back_button_held, back_key_held
    from ..store.state import default_dir

    explicit = args.preset is not None or bool(args.set)
    cfg = None
    if args.config:
        from ..service import config
        cfg = config.load(args.config)
    state_dir = args.state_dir or (cfg and cfg["state_dir"]) or default_dir()
    boot = Boot(state_dir)
    mb = args.reference_memory_mb
    if mb is None:
        mb = cfg["reference_memory_mb"] if cfg else DEFAULT_MEMORY_MB
    if not 0 <= mb <= 4096:
        raise UserError(f"--reference-memory-mb {mb}: out of range 0..4096")
    for f in args.reference:
        audiofile.check_input(f)              # a bad file named before anything starts
    ref_folder = (cfg and cfg["references"]) or os.path.join(state_dir, "references")
    osc_port = args.osc if args.osc is not None else (cfg["osc_port"] if cfg else 0)
    web_port = args.web if args.web is not None else (cfg["web_port"] if cfg else 0)
    for flag, port in (("--osc", osc_port), ("--web", web_port)):
        if not 0 <= port <= 65535:
            raise UserError(f"{flag} {port}: out of range 1..65535")
    net = {"osc": ((args.osc_bind or (cfg["osc_bind"] if cfg else "127.0.0.1")), osc_port)
           if osc_port else None,
           "web": ((cfg["web_bind"] if cfg else "127.0.0.1"), web_port) if web_port else None,
           "password": cfg["remote_password"] if cfg else "", "presets": boot.presets}
    midi = args.midi if args.midi is not None else (cfg["midi_device"] if cfg else "")
    midi_map = {}
    if midi and cfg and cfg["midi_map"]:
        from ..remote.midi import load_map
        midi_map = load_map(cfg["midi_map"])          # checked before anything starts
    session = session_from(args.preset or (cfg["preset"] if cfg else "neutral"), args.set,
                           user_dir=boot.presets.folder)
    if args.sim:
        from ..laptop import run_sim

        if not explicit:
            boot.restore(session, skip=args.fresh or back_key_held())
        boot.start_autosave(session)
        try:
            return run_sim(session, args.input, args.record, sound=not args.no_sound,
                           seconds=args.seconds, boot=boot, references=args.reference,
                           reference_mb=mb, net=net, midi=midi, midi_map=midi_map)
        finally:
            boot.close()
    from ..service.run import run_box

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    panel, pins_path = args.panel, args.pins
    if cfg is not None:
        fs, block, device, rt = cfg["rate"], cfg["block"], cfg["device"] or None, cfg["rt_priority"]
        rt_cpu = cfg["rt_cpu"]
        if panel is None:
            panel = cfg["panel"]
        pins_path = pins_path or cfg["pins"] or None
    else:
        fs, block, device, rt = args.rate, args.block, args.device, args.rt_priority
        rt_cpu = args.rt_cpu
    panel = "none" if args.audio_only else (panel or "gpio")
    if not explicit:
        held = args.fresh or (back_button_held(pins_path) if panel == "gpio"
                              else back_key_held() if panel == "keys" else False)
        boot.restore(session, skip=held)
    boot.start_autosave(session)
    ui = None
    if panel != "none":
        from ..service.box import open_panel

        def ui(engine, session):
            return open_panel(engine, session, panel, pins_path, boot, ref_folder,
                              os.path.join(state_dir, "profiles"))
    try:
        return run_box(session, fs, block, device, rt, seconds=args.seconds, ui=ui, rt_cpu=rt_cpu,
                       references=folder_files(ref_folder) + args.reference, reference_mb=mb,
                       net=net, midi_device=midi, midi_map=midi_map)
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
                     say=args.say, osc_port=args.osc)
    print(f"wrote {out}")
    return 0


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
