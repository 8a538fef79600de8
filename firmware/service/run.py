"""masterbox run: the engine with a health check, and the panel when there is one.

Every second the control loop reads the callback counter: if it has stopped
advancing (device unplugged, stream died), the stream is reopened with a
growing back-off while the rest of the process keeps running. Xruns and
non-finite input are logged from here, never from the callback.
"""
from __future__ import annotations

import logging
import signal
import sys
import time

from ..engine import Engine, lock_memory, portaudio
from ..errors import MasterboxError
from ..contexts import load_all as load_contexts
from ..references import load_all
from ..uiloop import FRAME_S
from .notify import Notifier

CAPTURE_S = 180.0      # what the box keeps of its input for the assistant: the last 3 minutes


log = logging.getLogger("masterbox.run")


def list_devices(out=None) -> int:
    out = out or sys.stdout
    devs = portaudio.devices()
    if not devs:
        out.write("no audio devices found (PortAudio sees none)\n")
    for d in devs:
        ok = d["max_input_channels"] >= 2 and d["max_output_channels"] >= 2
        out.write(f"{d['index']:3d}  {d['name']:40s} {d['hostapi_name']:28s} "
                  f"in {d['max_input_channels']:2d}  out {d['max_output_channels']:2d}  "
                  f"{d['default_samplerate']:.0f} Hz{'  (full duplex stereo)' if ok else ''}\n")
    return 0


def run_box(session, fs, block, device, rt_priority, seconds=None, out=None, rt_cpu=-1,
            ui=None, references=(), reference_mb: int = 0, net: dict | None = None,
            contexts=()) -> int:
    """The engine on the session's values, with its health check; ``ui(engine,
    session)`` (optional) builds the panel and screen once audio runs, and is
    stepped ~30 times a second. ``references``: audio files loaded as
    reference tracks into ``reference_mb`` of memory once audio runs, and
    ``contexts`` (impulse responses) as playback contexts. ``net``:
    the surfaces to start (remote.start's osc, web, password, presets, midi,
    midi_map), the same as the laptop mode's."""
    out = out or sys.stdout
    stop = {"now": False}

    def on_signal(signum, frame):
        stop["now"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sd_notify = Notifier()
    sd_notify.status("starting: compiling the chain (audio passes through meanwhile)")
    eng = Engine(fs, block, device, session.values, rt_priority=rt_priority, rt_cpu=rt_cpu,
                 reference_bytes=reference_mb << 20, capture_seconds=CAPTURE_S, previews=True)
    memory = lock_memory()
    t_pass, t_full = eng.boot(on_passthrough=lambda: sd_notify.status(
        "passthrough: audio flows untouched while the chain compiles"))
    sd_notify.ready(f"running: {fs} Hz, {block} frames, chain latency {eng.latency} frames")
    out.write(f"running: {fs} Hz, {block} frames, chain latency {eng.latency} frames, "
              f"audio thread {eng.rt_status}, memory {memory}; passthrough after {t_pass:.2f} s, "
              f"full chain after {t_full:.2f} s\n")
    out.flush()
    session.attach(eng)
    problems = load_all(session, list(references), fs) if references else []
    for p in problems:
        log.error("reference: %s", p)
        out.write(f"reference not loaded: {p}\n")
    if session.references:
        out.write(f"references: {', '.join(r.name for r in session.references)}\n")
    refused = load_contexts(session, list(contexts), fs)
    for p in refused:
        log.error("context: %s", p)
        out.write(f"context not loaded: {p}\n")
    problems += refused
    if session.contexts:
        out.write(f"playback contexts: {', '.join(c.name for c in session.contexts)}\n")
    out.flush()
    from .. import remote as surfaces
    from .box import EngineMeter

    panel = None
    if ui is not None:
        try:
            panel = ui(eng, session)
            if problems:
                panel.ctl.flash(problems[0], time.monotonic(), 6.0)
        except Exception as e:          # audio first: a missing panel leaves the box headless
            log.error("panel: %s", e)
            out.write(f"panel not available ({e}); running headless\n")
            out.flush()
    ctl = panel.ctl if panel is not None else None
    remote = surfaces.start(session, EngineMeter(eng), **(net or {}),
                            act=ctl.act_later if ctl is not None else None,
                            history=ctl.history if ctl is not None else None,
                            assistant=ctl.assistant if ctl is not None else None)
    for r in remote:
        out.write(f"{r.status()[0]}" + (" (pair first: the code is on the Remote page)"
                                         if r.code else "") + "\n")
    if ctl is not None:
        ctl.remote, ctl.midi = remote, remote.midi
    out.flush()
    last = eng.counters()
    t_run = time.monotonic()     # --seconds counts running time, not the compile before it
    stalled = 0
    backoff = 0.5
    lost = False
    tick = 1.0 if sd_notify.watchdog_interval is None else min(1.0, sd_notify.watchdog_interval / 2)
    if panel is not None:
        tick = FRAME_S
    next_health = time.monotonic() + 1.0
    try:
        while not stop["now"]:
            time.sleep(tick)
            if panel is not None:
                try:
                    panel.step(time.monotonic())
                except Exception as e:
                    log.error("panel stopped: %s", e)
                    panel = None
            sd_notify.tick(eng.counters()["callbacks"])
            if time.monotonic() < next_health:
                continue
            next_health += 1.0
            c = eng.counters()
            if c["callbacks"] == last["callbacks"]:
                stalled += 1
                if stalled >= 2:
                    log.error("audio stalled (no callback for %d s): reopening in %.1f s", stalled, backoff)
                    sd_notify.status("device lost: reopening")
                    out.write(f"device lost: reopening in {backoff:.1f} s\n")
                    out.flush()
                    time.sleep(backoff)
                    lost = True
                    try:
                        eng.reopen()
                        stalled = 0          # give the reopened stream two checks to run
                    except MasterboxError as e:
                        log.error("reopen failed: %s", e)
                        out.write(f"reopen failed: {e}\n")
                        out.flush()
                    backoff = min(backoff * 2, 10.0)
                    next_health = time.monotonic() + 1.0   # a check a second from now, not a backlog
            else:
                stalled = 0
                if lost:
                    # back means audio flows again, not merely that the stream
                    # reopened (a device can accept the open and stay silent)
                    lost = False
                    backoff = 0.5
                    log.info("device back: running")
                    out.write("device back: running\n")
                    sd_notify.status("running (device back)")
                    out.flush()
            if c["xruns"] > last["xruns"]:
                log.warning("%d xruns in the last second", c["xruns"] - last["xruns"])
            if c["nonfinite"] > last["nonfinite"]:
                log.warning("%d NaN/Inf input samples silenced", c["nonfinite"] - last["nonfinite"])
            last = c
            if seconds is not None and time.monotonic() - t_run >= seconds:
                break
    finally:
        sd_notify.stopping()
        for r in remote:
            r.close()
        if panel is not None:
            panel.close()
        eng.stop()
    c = eng.counters()
    out.write(f"stopped: {c['callbacks']} callbacks, {c['xruns']} xruns, {c['torn']} torn, "
              f"{c['nonfinite']} non-finite samples\n")
    return 0
