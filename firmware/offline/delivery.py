"""Rendering to a delivery target: one track, or an album that keeps its
tracks' relative loudness. The master starts from the engineer's sound.

Each track runs through the chain once with the limiter and the output stage
off, into a float32 scratch file next to its output (bounded memory for any
length); on a second thread the engineer's own limiter and trim run over it
into a second scratch file: the heard sound, metered as it is written. Then
the target only adds what it needs, in this order of preference:

- plain: the heard sound is louder than the target. The delivery is the heard
  sound times one gain (under the engineer's dither and word length), and
  nothing else changes. The limiter does not run again.
- limit: the heard sound is quieter than the target, or a plain gain leaves
  a judged peak over the target's ceiling. The limiter runs again over the
  first scratch file with more drive than the engineer's ("added drive":
  how much further the peaks are driven over the ceiling than in the heard
  sound), at the engineer's ceiling, or at the target's when that is lower
  (the ceiling moves, and the report says so). With ``no_added_drive`` this
  is refused instead (exit 1, nothing written).

Every decisive pass writes the output's temporary file and, as it writes,
feeds the same samples to the figures `check` judges by (peaks.Figures:
loudness, precise true peak at the file's rate and after conversion to
44.1 kHz; with ``codec_safe`` also after AAC and MP3), and to the residual
against the heard sound (residual.py). A pass is kept when its loudness is
within SEARCH_TOL_LU of the aim and every judged peak is under the ceiling;
when a peak is over, the limiter's ceiling comes down by the excess and the
search goes on. So a rendered master passes `check` by construction.

An album gets one gain for all its tracks, from the heard tracks' joint
loudness: the tracks keep their relative loudness as the engineer's chain
left them, within 2 x SEARCH_TOL_LU; a track that needs added drive to get
there is reported with it. All or nothing: the outputs are renamed into
place only when every track is complete and judged.
"""
from __future__ import annotations

import contextlib
import math
import os
import queue
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import numpy as np

from dsp import params
from dsp.chain import Chain
from dsp.delivery import LimiterStage, trim_db
from dsp.meters import Meter, gated_loudness

from ..errors import Refused, Stopped, UserError, os_reason
from ..store.atomic import scratch_path
from . import audiofile, peaks
from .delivery_search import Curve, first_drives
from .render import Progress, compile_chain, output_settings, rendered
from .residual import Residual
from .targets import Target, judge

SEARCH_TOL_LU = 0.05        # each track lands this close to what it aims at
ALBUM_TOL_LU = 0.1          # the album's loudness is corrected when further off
MAX_DRIVE_DB = 24.0         # the limiter's drive range: the engineer's plus the added
MAX_ROUNDS = 8
MAX_CEILING_TRIES = 5       # lowering the ceiling for peaks found after the render
CEILING_STEP_DB = 0.05      # lowered by the excess and this much more
CEILING_FLOOR_DBTP = -12.0  # no lower than this, whatever the codecs do
JUDGE_MARGIN_DB = 0.001     # judged on the float samples; the written file differs by
                            # its quantisation (under 0.0003 dB of peak at 16 bits)
PLAIN_MARGIN_DB = 0.05      # a plain gain up is tried only with this much room under the ceiling
BLOCK = 1 << 16


@dataclass
class Pass:
    """One run of the last stage. plain: the heard sound times ``gain_db``;
    limit: the limiter again at ``drive_db`` and ``ceiling_dbtp``."""
    plain: bool
    gain_db: float = 0.0
    drive_db: float = 0.0
    ceiling_dbtp: float = 0.0
    decisive: bool = True
    peaks: bool = False                         # an exploratory pass that is judged too
                                                # (after the conversion only)
    integrated: float = float("-inf")
    blocks: np.ndarray | None = None
    writer: audiofile.Writer | None = None      # a decisive pass's output, finished
    figures: dict | None = None                 # and what `check` reads of it
    residual: dict | None = None                # and how far it is from the heard sound

    @property
    def x(self) -> float:
        """The drive over the ceiling: what sets how hard a limit pass limits."""
        return self.drive_db - self.ceiling_dbtp


@dataclass
class Track:
    input: str
    output: str
    fs: int
    channels: int
    frames: int
    bits: str
    values: dict
    notes: list = field(default_factory=list)
    scratch: str = ""                        # the chain's output, limiter and output stage off
    heard_scratch: str = ""                  # the engineer's limiter and trim over it
    input_lufs: float = float("-inf")
    heard_lufs: float = float("-inf")        # the heard sound (limiter and trim as set)
    heard_peak_dbtp: float = float("-inf")   # its 4x true peak
    heard_blocks: np.ndarray | None = None   # its gating blocks (the album's joint loudness)
    pre_lufs: float = float("-inf")          # the chain's output before the limiter
    pre_peak_dbtp: float = float("-inf")     # and its 4x true peak
    kept: Pass | None = None
    judged: dict | None = None
    writer: audiofile.Writer | None = None   # the output, finished, waiting for the commit
    why: str = ""

    @property
    def limiter_on(self) -> bool:
        return bool(self.values["limiter.on"])

    @property
    def heard_ceiling_dbtp(self) -> float:
        """The ceiling the heard sound was limited to (its trim below it); +inf unlimited."""
        if not self.limiter_on:
            return math.inf
        return self.values["limiter.ceiling_dbtp"] + trim_db(self.values)

    def curve(self) -> Curve:
        """The search's curve (delivery_search.py) from what the pre-render
        measured: where the chain's peaks reach the ceiling, and the
        engineer's own point when their limiter is on."""
        x0 = -self.pre_peak_dbtp
        engineer = None
        if self.limiter_on:
            v = self.values
            engineer = (v["limiter.drive_db"] - v["limiter.ceiling_dbtp"],
                        self.heard_lufs - trim_db(v) - v["limiter.ceiling_dbtp"])
        return Curve(x0, self.pre_lufs + x0, engineer)

    def x_max(self, ceiling: float) -> float:
        """The most drive over the ceiling: the engineer's drive plus the added
        stays in the limiter's range."""
        c = self.values["limiter.ceiling_dbtp"] if self.limiter_on else ceiling
        return MAX_DRIVE_DB - c


class _Worker:
    """A thread that takes the pre-render's blocks from a short queue; its
    error goes to ``failed`` and it keeps draining, so the feeder never blocks."""

    def __init__(self, work, failed: list):
        self.q: queue.Queue = queue.Queue(4)

        def run():
            try:
                work(self.q)
            except BaseException as e:
                failed.append(e)
                while self.q.get() is not None:
                    pass
        self.thread = threading.Thread(target=run, name="delivery-scratch", daemon=True)
        self.thread.start()

    def put(self, item) -> None:
        self.q.put(item)

    def close(self) -> None:
        self.q.put(None)
        self.thread.join()


def _pre_values(values: dict) -> dict:
    v = dict(values)
    v["limiter.on"] = 0.0
    v["output.on"] = 0.0
    return v


def _written(y: np.ndarray, channels: int) -> np.ndarray:
    return y if channels == 2 else y[:, :1]


def _finite_db(x: float) -> float:
    return 20 * math.log10(x) if x > 0 else float("-inf")


class _Run:
    """One delivery render: the tracks, the worker threads, the temporary
    outputs, the progress lines."""

    def __init__(self, tracks: list[Track], target: Target, codec_safe: bool, progress: bool,
                 no_added_drive: bool = False):
        self.tracks = tracks
        self.target = target
        self.codec_safe = codec_safe
        self.progress = progress
        self.no_added_drive = no_added_drive
        self.pool = ThreadPoolExecutor(max(2, min(len(tracks), os.cpu_count() or 2)))
        self.stop = threading.Event()       # set when the run is abandoned: workers stop early
        self.lock = threading.Lock()
        self.writers: set = set()           # outputs finished but not committed
        self.t0 = time.perf_counter()
        self.timings: list[dict] = []       # what ran when: the report's "timings"

    def timed(self, stage: str, t: Track, start: float) -> None:
        with self.lock:
            self.timings.append({"stage": stage, "track": os.path.basename(t.output),
                                 "start_s": start - self.t0, "seconds": time.perf_counter() - start})

    def say(self, text: str) -> None:
        """A progress line, on a terminal (like render's bar; logs get the report)."""
        if self.progress and sys.stderr.isatty():
            sys.stderr.write(text + "\n")
            sys.stderr.flush()

    def check_stop(self) -> None:
        if self.stop.is_set():
            raise Stopped("delivery render abandoned")

    def close(self) -> None:
        """Stop the workers, wait for them, and remove every output that was
        not committed."""
        self.stop.set()
        self.pool.shutdown(wait=True)
        for w in list(self.writers):
            w.abort()
        self.writers.clear()

    # ------------------------------------------------------------ the chain, once
    def pre_render(self, t: Track) -> None:
        """The chain (limiter and output stage off) over the track into its
        scratch file; on a second thread the engineer's limiter and trim over
        that into the heard scratch file, metering both as it goes."""
        start = time.perf_counter()
        chain = Chain(t.fs, _pre_values(t.values), monitor=False)
        heard = LimiterStage(t.fs, t.values, post_gain_db=trim_db(t.values), output_stage=False)
        m_in = Meter(t.fs, t.channels)
        m_heard = Meter(t.fs, t.channels)
        m_pre = Meter(t.fs, t.channels)
        bar = Progress(t.frames, f"chain {os.path.basename(t.input)}",
                       sys.stderr if self.progress and len(self.tracks) == 1 else False)
        failed: list[BaseException] = []

        def scratch_files(q):
            with open(t.scratch, "wb") as f, open(t.heard_scratch, "wb") as fh:
                while (item := q.get()) is not None:
                    x, o = item
                    if x is not None:
                        m_in.process(_written(np.where(np.isfinite(x), x, 0.0).astype(np.float32),
                                              t.channels))
                    o.tofile(f)
                    m_pre.process(_written(o, t.channels))
                    h = heard.process(o) if len(o) else heard.flush()
                    m_heard.process(_written(h, t.channels))
                    h.tofile(fh)

        workers = [_Worker(scratch_files, failed)]
        inputs: list = []
        try:
            for o in rendered(t.input, chain, BLOCK, lambda x, total: (inputs.append(x), bar.update(total))):
                self.check_stop()
                # the input blocks that went in so far, with what came out (the
                # meters want both in order; their lengths differ by the latency)
                x = np.concatenate(inputs) if len(inputs) > 1 else inputs[0] if inputs else None
                o = o.astype(np.float32, copy=False)
                for w in workers:
                    w.put((x, o))
                inputs.clear()
                if failed:
                    break
            for w in workers:
                w.put((None, np.zeros((0, 2), np.float32)))      # the limiters' flush
        finally:
            for w in workers:
                w.close()
            bar.close()
        if failed:
            e = failed[0]
            if isinstance(e, OSError):
                raise UserError(f"{t.output}: cannot write its scratch file {t.scratch} "
                                f"({os_reason(e)})") from None
            raise e
        t.input_lufs = m_in.integrated()
        t.heard_lufs = m_heard.integrated()
        t.heard_peak_dbtp = _finite_db(m_heard.true_peak_linear())
        t.heard_blocks = m_heard.gating_blocks()
        t.pre_lufs = m_pre.integrated()
        t.pre_peak_dbtp = _finite_db(m_pre.true_peak_linear())
        if chain.nonfinite_samples:
            t.notes.append(f"{chain.nonfinite_samples} non-finite samples (NaN, inf) were "
                           "replaced by silence")
        self.timed("chain and the heard limiter", t, start)

    # ------------------------------------------------------------ the last stage
    def _stage(self, t: Track, p: Pass) -> tuple[LimiterStage, str]:
        if p.plain:
            off = dict(t.values, **{"limiter.on": 0.0})
            return LimiterStage(t.fs, off, post_gain_db=p.gain_db), t.heard_scratch
        return LimiterStage(t.fs, t.values, p.drive_db, p.ceiling_dbtp), t.scratch

    def run_pass(self, t: Track, p: Pass) -> Pass:
        """The last stage over a scratch file. A decisive pass writes the
        output's temporary file and feeds the same samples through
        peaks.Figures and the residual against the heard sound as it goes, so
        that when it ends it has been judged as `check` judges; an exploratory
        one measures its loudness (a point on the search's curve), and with
        ``peaks`` is judged too, writing nothing."""
        start = time.perf_counter()
        stage, source = self._stage(t, p)
        judged = p.decisive or p.peaks
        m = None if judged else Meter(t.fs, t.channels)     # the figures meter it
        figures = None
        resid = Residual(p.gain_db if p.plain else None)
        buf = np.empty((BLOCK, 2), np.float32)
        raw = buf.view(np.uint8).reshape(-1)
        hbuf = np.empty((BLOCK + stage.latency, 2), np.float32)
        try:
            if judged:
                figures = peaks.Figures(t.fs, t.channels, native=p.decisive)
            if p.decisive:
                p.writer = audiofile.Writer(t.output, t.fs, t.channels, t.bits)
                with self.lock:
                    self.writers.add(p.writer)
            with open(source, "rb") as f, open(t.heard_scratch, "rb") as fh:
                while True:
                    got = f.readinto(raw) // 8
                    self.check_stop()
                    y = stage.process(buf[:got]) if got else stage.flush()
                    if p.decisive:
                        # the heard sound's frames that line up with these
                        h = hbuf[:fh.readinto(hbuf[:len(y)].view(np.uint8).reshape(-1)) // 8]
                        resid.add(_written(y[:len(h)], t.channels), _written(h, t.channels))
                    y = _written(y, t.channels)
                    if m is not None:
                        m.process(y)
                    if p.decisive:
                        p.writer.write(y)
                    if judged:
                        figures.feed(y)
                    if got == 0:
                        break
            if judged:
                p.figures = figures.finish()
            if p.decisive:
                p.writer.finish()
                p.residual = resid.result()
                if self.codec_safe:
                    p.figures.update(peaks.lossy_result(
                        peaks.lossy(p.writer.temp_path, t.fs, t.channels), t.fs))
        except BaseException as e:
            if figures is not None:
                figures.abort()
            self.drop(p)
            if isinstance(e, OSError):
                raise UserError(f"{source}: cannot read the scratch file ({os_reason(e)})") from None
            raise
        if judged:
            m = figures.meter
        p.integrated = m.integrated()
        p.blocks = m.gating_blocks()
        kind = "plain gain" if p.plain else f"limiter at {p.drive_db:+.2f} dB drive"
        self.timed(kind + (", written and judged" if p.decisive else
                           ", exploring (conversion judged)" if p.peaks else ", exploring"), t, start)
        return p

    def run_passes(self, t: Track, passes: list[Pass]) -> list[Pass]:
        """Run passes side by side on the pool (one runs here when it is the
        only one: album tracks already run on the pool's threads)."""
        if len(passes) == 1:
            return [self.run_pass(t, passes[0])]
        futures = [self.pool.submit(self.run_pass, t, p) for p in passes]
        try:
            wait(futures)
        except BaseException:
            self.stop.set()
            raise
        errors = [fu.exception() for fu in futures if fu.exception() is not None]
        if errors:
            for fu in futures:
                if fu.exception() is None:
                    self.drop(fu.result())
            raise errors[0]
        return [fu.result() for fu in futures]

    def drop(self, p: Pass | None) -> None:
        """Throw a pass's temporary output away."""
        if p is not None and p.writer is not None:
            with self.lock:
                self.writers.discard(p.writer)
            p.writer.abort()
            p.writer = None

    # ------------------------------------------------------------ decide, search, judge
    def deliver(self, t: Track, want: float, parallel: bool) -> None:
        """Reach ``want`` LUFS from the heard sound: a plain gain when the
        peaks allow it, else the limiter again with added drive (module
        docstring). Keeps the chosen pass's output (t.kept, t.writer)."""
        t.why = ""
        target = self.target
        name = os.path.basename(t.output)
        if not math.isfinite(t.heard_lufs):
            self.adopt(t, self.run_pass(t, Pass(True, 0.0)))
            return
        g0 = want - t.heard_lufs
        ceiling = min(t.heard_ceiling_dbtp, target.ceiling_dbtp)
        if g0 <= 0 or t.heard_peak_dbtp + g0 <= target.ceiling_dbtp - PLAIN_MARGIN_DB:
            self.say(f"  {name}: plain gain {g0:+.2f} dB")
            p = self.run_pass(t, Pass(True, g0))
            excess = judge(p.figures, target, self.codec_safe)["peak_excess_db"]
            if excess <= -JUDGE_MARGIN_DB:
                self.adopt(t, p)
                return
            self.drop(p)
            if self.no_added_drive:
                raise Refused(f"{name}: a plain gain of {g0:+.2f} dB leaves a peak {excess:.2f} dB "
                              f"over the {target.ceiling_dbtp:g} dBTP ceiling; holding it needs "
                              "more limiting, which --no-added-drive refuses")
            c_plain = t.heard_ceiling_dbtp + g0
            if c_plain <= target.ceiling_dbtp:      # over only after conversion or a codec
                ceiling = c_plain - excess - CEILING_STEP_DB
            self.say(f"  {name}: a peak {excess:+.2f} dB over the ceiling; limiting instead")
        elif self.no_added_drive:
            raise Refused(f"{name}: the heard master reads {t.heard_lufs:.2f} LUFS, {g0:.2f} LU under "
                          f"the {want:.2f} LUFS it must reach; that needs drive added to the limiter, "
                          "which --no-added-drive refuses")
        self.search(t, want, ceiling, parallel)

    def search(self, t: Track, want: float, ceiling: float, parallel: bool) -> None:
        """Find the drive whose limit pass lands within SEARCH_TOL_LU of
        ``want`` (or as close as the drive limit allows) with every judged
        peak under the target's ceiling, lowering the limiter's ceiling while
        a peak is over.

        The limiter is scale-invariant: with a drive G and a ceiling C its
        output is 10^(C/20) times its output at drive G - C and ceiling 0 dBTP.
        So every pass, at whatever ceiling, is a point (G - C, I - C) on one
        curve, and the search along it carries over when the ceiling moves.
        Each round is one decisive pass (written and judged); with a core to
        spare the first round adds an exploratory drive, so that the second
        round interpolates."""
        target = self.target
        curve = t.curve()
        name = os.path.basename(t.output)
        xs, explore = first_drives(curve, want - ceiling, t.x_max(ceiling), parallel)
        last: Pass | None = None
        for _ in range(MAX_ROUNDS + MAX_CEILING_TRIES):
            self.say(f"  {name}: drive " + ", ".join(f"{x + ceiling:+.2f}" for x in xs)
                     + f" dB, ceiling {ceiling:.2f} dBTP" + (" (exploring)" if explore else ""))
            done = self.run_passes(t, [Pass(False, 0.0, x + ceiling, ceiling,
                                            decisive=(i == 0 and not explore),
                                            peaks=(explore and i == len(xs) - 1))
                                       for i, x in enumerate(xs)])
            for p in done:
                curve.add(p.x, p.integrated - ceiling)
            if explore:
                # the upper exploring pass was judged: a peak it has over the
                # ceiling (after the conversion), the decisive one would have too
                explore = False
                excess = judge(done[-1].figures, target, self.codec_safe)["peak_excess_db"]
                if excess > -JUDGE_MARGIN_DB:
                    ceiling -= excess + CEILING_STEP_DB
                    self.say(f"  {name}: a peak {excess:+.2f} dB over the ceiling; "
                             f"limiting to {ceiling:.2f} dBTP instead")
                nxt = curve.next_drive(want - ceiling, t.x_max(ceiling))
                xs = [nxt if nxt is not None else curve.closest(want - ceiling, t.x_max(ceiling))]
                continue
            nxt = curve.next_drive(want - ceiling, t.x_max(ceiling))
            self.drop(last)
            last = done[0]
            excess = judge(last.figures, target, self.codec_safe)["peak_excess_db"]
            if excess <= -JUDGE_MARGIN_DB:
                if abs(last.integrated - want) <= SEARCH_TOL_LU or nxt is None:
                    self.adopt(t, last)
                    return
            else:
                ceiling -= excess + CEILING_STEP_DB
                self.say(f"  {name}: a peak {excess:+.2f} dB over the ceiling; "
                         f"limiting to {ceiling:.2f} dBTP instead")
                if ceiling < CEILING_FLOOR_DBTP:
                    break
                nxt = curve.next_drive(want - ceiling, t.x_max(ceiling))
            xs = [nxt if nxt is not None else curve.closest(want - ceiling, t.x_max(ceiling))]
        t.why = (f"peaks stay over the ceiling with the limiter at {ceiling:.2f} dBTP "
                 "(the conversion or the codecs add more than lowering it takes away)")
        self.adopt(t, last)

    def adopt(self, t: Track, p: Pass) -> None:
        t.kept, t.writer, t.judged = p, p.writer, p.figures

    def commit(self, t: Track) -> None:
        t.writer.commit()
        with self.lock:
            self.writers.discard(t.writer)
        t.writer = None


def _warm_kernels(fs: int, values: dict) -> None:
    """Load the kernels the passes run (numba's cache) on a core the chain's
    render leaves idle."""
    LimiterStage(fs, values, 0.0, -1.0).process(np.zeros((64, 2), np.float32))
    f = peaks.Figures(fs, 2)
    f.feed(np.zeros((64, 2), np.float32))
    f.finish()


def _track(in_path: str, out_path: str, values: dict, bits: str | None) -> Track:
    info = audiofile.check_input(in_path)
    b, v, notes = output_settings(info, out_path, bits, values)
    return Track(in_path, out_path, info.samplerate, info.channels, info.frames, b, v, list(notes))


def render_to_target(inputs: list[str], outputs: list[str], values: dict, target: Target,
                     bits: str | None = None, codec_safe: bool = False,
                     progress: bool = True, no_added_drive: bool = False) -> dict:
    """Render one track, or an album (several inputs), to ``target``; see the
    module's docstring. Returns the report."""
    from .delivery_report import report

    begin = time.perf_counter()
    values = params.check_values(values)
    tracks = [_track(i, o, values, bits) for i, o in zip(inputs, outputs)]
    rates = {t.fs for t in tracks}
    if len(rates) != 1:
        raise UserError(f"album tracks have different sample rates ({sorted(rates)} Hz)")
    compile_chain(tracks[0].fs, values)
    run = _Run(tracks, target, codec_safe, progress, no_added_drive)
    run.t0 = begin
    run.timings.append({"stage": "checking the inputs, loading the chain's kernels", "track": "",
                        "start_s": 0.0, "seconds": time.perf_counter() - begin})
    with contextlib.ExitStack() as scratches:       # removed after the workers stop
        try:
            for t in tracks:
                t.scratch = scratches.enter_context(scratch_path(t.output, ".f32"))
                t.heard_scratch = scratches.enter_context(scratch_path(t.output, ".heard.f32"))
            run.say(f"rendering the chain once ({len(tracks)} track{'s' * (len(tracks) > 1)})")
            warm = threading.Thread(target=_warm_kernels, args=(tracks[0].fs, values), daemon=True)
            warm.start()            # loads the last stage's and the meters' kernels meanwhile
            list(run.pool.map(run.pre_render, tracks))
            warm.join()
            album = _album(run) if len(tracks) > 1 else _single(run)
            for t in tracks:
                run.commit(t)
        finally:
            run.close()
    rep = report(tracks, target, album, codec_safe)
    rep["timings"] = sorted(run.timings, key=lambda r: r["start_s"])
    rep["seconds"] = time.perf_counter() - run.t0
    return rep


def _single(run: _Run) -> dict:
    t = run.tracks[0]
    if not math.isfinite(t.heard_lufs):
        run.deliver(t, run.target.lufs, parallel=True)
        return {"gain_db": 0.0, "integrated": t.kept.integrated, "reached": False,
                "why": "the programme is silent (below the -70 LUFS gate)"}
    run.deliver(t, run.target.lufs, parallel=True)
    i = t.kept.integrated
    reached = abs(i - run.target.lufs) <= SEARCH_TOL_LU * 2 and not t.why
    why = t.why
    if not reached and not why:
        why = _short_why(run.target, i)
    return {"gain_db": run.target.lufs - t.heard_lufs, "integrated": i, "reached": reached, "why": why}


def _short_why(target: Target, got: float) -> str:
    return (f"with the limiter's full {MAX_DRIVE_DB:g} dB of drive the master reaches "
            f"{got:.1f} LUFS at a {target.ceiling_dbtp:g} dBTP ceiling: "
            f"{target.lufs - got:.1f} LU short; more loudness would need the ceiling "
            "raised or the dynamics reshaped")


def _album(run: _Run) -> dict:
    tracks, target = run.tracks, run.target
    live = [t for t in tracks if math.isfinite(t.heard_lufs)]
    for t in tracks:
        if t not in live:
            t.why = "silent (below the -70 LUFS gate): rendered as it is"
    if not live:
        for t in tracks:
            run.adopt(t, run.run_pass(t, Pass(True, 0.0)))
        return {"gain_db": 0.0, "integrated": float("-inf"), "reached": False,
                "why": "every track is silent (below the -70 LUFS gate)"}
    joint = gated_loudness(np.concatenate([t.heard_blocks for t in live]))
    gain = target.lufs - joint
    why = ""
    for attempt in range(4):
        list(run.pool.map(lambda t: run.deliver(t, t.heard_lufs + gain, parallel=False), live))
        short = max(t.heard_lufs + gain - t.kept.integrated for t in live)
        got = gated_loudness(np.concatenate([t.kept.blocks for t in live]))
        if attempt == 3:
            break
        if short > SEARCH_TOL_LU:
            # a track cannot rise by ``gain`` within the drive limit: everyone's
            # gain comes down, the relative loudness being the album's promise
            worst = max(live, key=lambda t: t.heard_lufs + gain - t.kept.integrated)
            why = (f"{os.path.basename(worst.input)} cannot rise by {gain:+.1f} dB within the "
                   f"limiter's {MAX_DRIVE_DB:g} dB of drive at {target.ceiling_dbtp:g} dBTP; "
                   f"every track was turned {short:.1f} dB less to keep their relative loudness")
            gain -= short
        elif not why and abs(got - target.lufs) > ALBUM_TOL_LU:
            gain += target.lufs - got           # limiting moved the joint gating a little
        else:
            break
    for t in tracks:
        if t not in live:
            run.adopt(t, run.run_pass(t, Pass(True, 0.0)))
    got = gated_loudness(np.concatenate([t.kept.blocks for t in tracks]))
    reached = abs(got - target.lufs) <= 0.3 and not why and not any(t.why for t in live)
    if not reached and not why:
        why = next((t.why for t in live if t.why), f"the album reads {got:.2f} LUFS")
    return {"gain_db": gain, "integrated": got, "reached": reached, "why": why}
