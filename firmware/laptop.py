"""The box on a laptop: ``masterbox run --sim`` and ``masterbox screenshot``.

The whole firmware (session, controller, navigation, screens, chain, meters,
compare) runs with simulated hardware: the screen is drawn in the terminal
with half blocks, keys are the encoders and buttons (listed under the screen),
and the audio is a file or the built-in demo programme, looped. The UI is the
box's own loop (firmware/uiloop.py) with KeyInputs and a TerminalDisplay.

Audio goes to the default sound device when there is one (a writer thread on a
laptop; the box itself uses the real-time engine), otherwise it is paced in real
time and recorded to a file (written to a temporary name, renamed at the end).
"""
from __future__ import annotations

import copy
import os
import sys
import threading
import time

import numpy as np

from dsp.chain import Chain
from dsp.meters import Meter
from ui import screens

from .control import Controller
from .errors import Stopped, UserError
from .history import gain_changes
from .offline.render import compile_chain, refuse_overwriting_input
from .store.atomic import check_writable
from .offline import audiofile, demo
from .contexts import load_all as load_contexts
from .references import DEFAULT_MEMORY_MB, load_all
from .session import Session
from .service.box import saving
from .uiloop import KeyInputs, TerminalDisplay, UILoop, status_lines

BLOCK = 1024
FPS = 20


class LockedChain(Chain):
    """A Chain shared by the audio writer thread and the UI thread (laptop only:
    the box's engine publishes coefficient sets lock-free instead)."""

    def __init__(self, *args, **kwargs):
        self.lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def _publish(self, values, listen, morph_s=None):
        with self.lock:
            return super()._publish(values, listen, morph_s)

    def process(self, x, out=None):
        with self.lock:
            return super().process(x, out)


def load_source(path: str | None, fs: int = 48000) -> tuple[np.ndarray, int, str]:
    if path is None:
        return demo.programme(fs), fs, "demo programme"
    x, rate = audiofile.read(path)
    if x.ndim == 1:
        x = x[:, None]
    if x.shape[1] == 1:
        x = np.repeat(x, 2, axis=1)
    if x.shape[1] != 2:
        raise UserError(f"{path}: {x.shape[1]} channels; the box is stereo (1 or 2 channels)")
    if len(x) < BLOCK:
        raise UserError(f"{path}: only {len(x)} frames; at least {BLOCK} needed to loop it")
    return np.ascontiguousarray(x, dtype=np.float32), rate, os.path.basename(path)


class Player:
    """Loops the source through the chain into the meter, block by block."""

    def __init__(self, x, fs, sink: LockedChain, meter: Meter):
        self.x, self.fs, self.sink, self.meter = x, fs, sink, meter
        self.pos = 0
        self.frames = 0

    def next_block(self) -> np.ndarray:
        n = len(self.x)
        idx = (self.pos + np.arange(BLOCK)) % n
        self.pos = (self.pos + BLOCK) % n
        y = self.sink.process(self.x[idx])
        self.meter.process(y)
        self.frames += BLOCK
        return y


def _default_output():
    try:
        import sounddevice as sd

        sd.query_devices(kind="output")
        return sd
    except Exception:
        return None


def prepare(session: Session, source: str | None, seconds: float = 0.0, source_name: str = "keys",
            references=(), reference_mb: int = DEFAULT_MEMORY_MB, contexts=()):
    """A controller on a chain fed by the source, the session attached to that
    chain and the reference tracks and playback contexts loaded; ``seconds``
    of audio are run through first so the meters have something to show."""
    x, fs, name = load_source(source)
    compile_chain(fs, session.values)          # before the clock starts, not in the first block
    sink = LockedChain(fs, session.values, reference_bytes=reference_mb << 20 if references else 0,
                       previews=True)
    session.attach(sink)
    problems = load_all(session, list(references), fs) if references else []
    problems += load_contexts(session, list(contexts), fs)
    meter = Meter(fs, 2)
    ctl = Controller(session, meter, source_name, capture=lambda: (x, fs))
    if problems:
        ctl.flash(problems[0], time.monotonic(), 6.0)
    player = Player(x, fs, sink, meter)
    for _ in range(int(seconds * fs / BLOCK)):
        player.next_block()
        ctl.history.sample(player.frames / fs, meter.results(), gain_changes(sink))
    return ctl, player, name


# ---------------------------------------------------------------- screenshot
PAGES = ("meters", "loudness", "reduction", "phase", "menu", "target", "delivery", "snapshots",
         "references", "assist", "proposals", "position", "presets", "name", "confirm", "remote",
         "web")


def screenshot(page: str, out: str, session: Session, source: str | None = None,
               scale: int = 4, seconds: float | None = None, presets=None, references=(),
               say=(), osc_port: int | None = None, profile: str | None = None,
               platform: str | None = None, contexts=(), codec: str | None = None,
               window: tuple[int, int] = (1280, 1500)) -> str:
    """Render one page (meters, loudness, reduction, phase, menu, target,
    delivery (the target page while DELIVERY is heard), snapshots, references, presets, name entry, a confirmation, or a module name) through
    luma's dummy device and save it as PNG (scaled up, pixels kept square),
    after ``seconds`` of the source (default 8 s; the loudness page's minute
    for it). ``presets``: the user's presets to list; ``references``: files
    to load as reference tracks (the references page plays the first);
    ``say``: words the assistant is asked first, so the proposals page and
    the module pages show its ghosts; ``profile``: a built-in profile asked
    first (the position page); ``osc_port``: an OSC surface to run (the
    remote page shows it); ``platform``: a streaming platform previewed
    (every page's badge says which, and its gain); ``contexts``: impulse
    responses loaded as playback contexts, the first heard through;
    ``codec``: a codec previewed live (the badge says its true peak);
    ``window``: the browser's window for the web page, (width, height) px."""
    from dsp.params import MODULES
    from ui.display import open_display, show

    from .store.atomic import atomic_path

    if page not in PAGES and page not in MODULES:
        raise UserError(f"screenshot: page '{page}': use one of {', '.join(PAGES + MODULES)}")
    if not 1 <= scale <= 16:
        raise UserError(f"screenshot: --scale {scale} is out of range 1..16")
    if not out.lower().endswith(".png"):
        raise UserError(f"screenshot: {out}: the output must be a .png file")
    check_writable(out)
    if seconds is None:
        seconds = 62.0 if page == "loudness" else 8.0
    ctl, player, _ = prepare(session, source, 0.0, references=references, contexts=contexts)
    if session.contexts:
        session.hear_context(0, "screenshot")
    if page == "references" and session.references:
        ctl.apply(("ref",), time.monotonic())
    for _ in range(int(seconds * player.fs / BLOCK)):
        player.next_block()
        ctl.history.sample(player.frames / player.fs, player.meter.results(),
                           gain_changes(player.sink))
    ctl.presets = presets
    now = time.monotonic()
    from .assistant.words import vague

    asks_back = [w for w in say or () if vague(w) is not None]
    if asks_back:
        from .assistant.ask import offered, readings

        session.offer_readings(asks_back[0], offered(readings(asks_back[0], player.x, player.fs,
                                                              session.values, aspects=())))
    elif profile:
        from .assistant import ranges
        from .assistant.propose import propose

        prof = ranges.find(profile)
        if prof is None:
            raise UserError(f"screenshot: --profile {profile}: use one of {', '.join(ranges.names())}")
        p = propose(player.x, player.fs, session.values, profile=prof)
        session.propose([(m.param, m.new, m.reason) for m in p.moves], "assistant",
                        info={"profile_position": p.profile_position})
    elif say:
        from .assistant.propose import propose

        from .assistant_hand import lift_slot

        p = propose(player.x, player.fs, session.values, words=tuple(say), aspects=())
        session.propose([(m.param, m.new, m.reason) for m in p.moves], "assistant",
                        lift_slot(session) if p.snapshot else None)
    if platform:
        from .platform_preview import measure

        session.hear_platform(platform, "screenshot")
        session.set_platform_gain(measure(player.x[:player.frames], player.fs, session.values)
                                  .gain_db(platform))
    if codec:
        # the preview runs at the audio's own pace: a second and a half of it,
        # played as the box would, past its half-second delay
        session.hear_codec(codec, "decoded", "screenshot")
        t0 = time.monotonic()
        for k in range(int(1.5 * player.fs / BLOCK)):
            player.next_block()
            time.sleep(max(0.0, t0 + (k + 1) * BLOCK / player.fs - time.monotonic()))
    if page in MODULES:
        ctl.nav.open_module(page)
        first = next((pid for pid in session.ghosts if pid.startswith(page + ".")), None)
        for i, ids in enumerate(ctl.nav.entry.pages):
            if first in ids:
                ctl.nav.sub = i                  # the sub-page with the first proposed move
    elif page == "snapshots":
        ctl.apply(("store", 0), now)
        ctl.nav.page = page
    elif page == "name":
        ctl.nav.page = "presets"
        ctl.nav.begin_name("new", "Warm master")    # a name being typed on the wheel
        ctl.nav.name_pos = 5
    elif page == "confirm":
        ctl.nav.page = "presets"
        ctl.nav.ask("Delete preset 'Warm master'?", ("preset_delete_yes", "Warm master"))
    elif page == "delivery":
        from .delivery_preview import plan

        # the target page while DELIVERY is heard, planned from what was played
        ctl.delivery.last = plan(player.x[:player.frames], player.fs, session.values, session.target)
        session.hear_delivery(ctl.delivery.last, "screenshot")
        ctl.nav.page = "target"
    else:
        ctl.nav.page = page
    ctl.alert_until = -1e9
    if page == "web":
        return _page_screenshot(session, player, out, ctl.history, window)
    if osc_port is not None:
        from .remote.osc import OscServer
        ctl.remote.append(OscServer(session, "127.0.0.1", osc_port, meter=player.meter))
    dev = open_display({"kind": "dummy"})
    try:
        show(dev, screens.render(ctl.screen(now)))
    finally:
        for r in ctl.remote:
            r.close()
    img = dev.image.convert("L").point(lambda v: 255 if v else 0)
    from PIL import Image

    img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    with atomic_path(out, suffix=".png") as tmp:
        img.save(tmp, format="PNG")
    return out


def _page_screenshot(session: Session, player, out: str, history, window=(1280, 1500)) -> str:
    """The browser page (firmware/remote/web.py), paired, in headless chromium
    (firmware/lab/browser.py), saved as PNG; its meter history is what the
    panel's recorded while the programme ran."""
    import asyncio

    from .lab.browser import Browser, find
    from .remote.web import WebServer

    if find() is None:
        raise UserError("screenshot web: no chromium (scripts/setup.sh installs it)")
    srv = WebServer(session, "127.0.0.1", 0, code="000000", meter=player.meter,
                    history=copy.deepcopy(history)).start()

    async def shoot():
        async with Browser(*window) as b:
            await b.open_paired(f"http://127.0.0.1:{srv.port}/", "000000")
            await b.wait("document.getElementById('st').textContent !== '--.-'")
            await asyncio.sleep(1.0)                 # a second of meter history
            await b.screenshot(out)
    try:
        asyncio.run(shoot())
    finally:
        srv.close()
    return out


# ---------------------------------------------------------------- run --sim
def run_sim(session: Session, source: str | None = None, record: str | None = None,
            sound: bool = True, seconds: float | None = None, out=None, fd: int | None = None,
            boot=None, references=(), reference_mb: int = DEFAULT_MEMORY_MB,
            net: dict | None = None, contexts=()) -> int:
    out = out or sys.stdout
    sd = _default_output() if sound else None
    if sd is None:
        record = record or "masterbox-sim.wav"
        audiofile.output_format(record, "24")
        if source is not None:
            refuse_overwriting_input([source], record)
        check_writable(record)
    ctl, player, name = prepare(session, source, references=references, reference_mb=reference_mb,
                                contexts=contexts)
    if boot is not None:
        ctl.presets = boot.presets
        if boot.message:
            ctl.flash(boot.message, time.monotonic(), 6.0)
    from . import remote as surfaces

    remote = surfaces.start(session, player.meter, **(net or {}), act=ctl.act_later,
                            history=ctl.history, assistant=ctl.assistant)
    ctl.remote, ctl.midi = remote, remote.midi
    fs = player.fs
    writer = None
    if sd is None:
        writer = audiofile.Writer(record, fs, 2, "24")
    stop = threading.Event()
    audio_thread = None
    errors = []

    if sd is not None:
        def play():
            try:
                with sd.OutputStream(samplerate=fs, channels=2, dtype="float32", blocksize=BLOCK) as s:
                    while not stop.is_set():
                        s.write(player.next_block())
            except Exception as e:          # report it on the UI thread
                errors.append(e)
                stop.set()
        audio_thread = threading.Thread(target=play, name="sim-audio", daemon=True)
        audio_thread.start()
        where = "to the default sound device"
    else:
        where = f"paced in real time, recorded to {record}"

    t0 = time.monotonic()
    done_frames = 0
    stopped = None
    keys = KeyInputs(fd)
    display = TerminalDisplay(out, lambda: status_lines(ctl, [f" source: {name}, {where}"]))
    last = {}
    loop = UILoop(ctl, keys, display, health=lambda now: saving(boot, last))
    try:
        while not stop.is_set():
            now = time.monotonic()
            if seconds is not None and now - t0 >= seconds:
                break
            if writer is not None:
                # paced: as many blocks as the wall clock says are due
                due = int((now - t0) * fs)
                while done_frames + BLOCK <= due:
                    writer.write(player.next_block())
                    done_frames += BLOCK
            keys.wait(1.0 / FPS)
            loop.step(time.monotonic())
    except KeyboardInterrupt as e:
        # ctrl-c, a closed terminal (SIGHUP) or SIGTERM: the audio up to now is
        # a valid recording, so it is finished and kept
        stopped = e
    except BaseException as e:
        if writer is not None:
            writer.abort(e)
        raise
    finally:
        stop.set()
        loop.close()
        remote.close()
        if audio_thread is not None:
            audio_thread.join(timeout=2.0)
    if writer is not None:
        writer.commit()
        out.write(f"recorded {done_frames / fs:.1f} s to {record}\n")
    if errors:
        raise UserError(f"sound device: {errors[0]}")
    if isinstance(stopped, Stopped):
        out.write(f"stopped by {stopped.name}; the recording is kept\n")
        return stopped.exit_code
    return 0
