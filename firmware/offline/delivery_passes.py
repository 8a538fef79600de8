"""The machinery of a delivery render (delivery.py decides what to run):
the tracks, the chain rendered once into scratch files with the engineer's
limiter beside it (the heard sound), and the passes of the last stage, each
written and judged as `check` judges, or exploring, on a worker pool; the
temporary outputs and their removal on every way out."""
from __future__ import annotations

import math
import os
import queue
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import numpy as np

from dsp.chain import Chain
from dsp.delivery import LimiterStage, trim_db
from dsp.meters import Meter

from ..errors import Stopped, UserError, os_reason
from . import audiofile, peaks
from .delivery_search import Curve
from .render import Progress, rendered
from .residual import Residual
from .targets import Target

BLOCK = 1 << 16
MAX_DRIVE_DB = 24.0         # the limiter's drive range: the engineer's plus the added


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


class Passes:
    """One delivery render's tracks, worker threads, temporary outputs and
    progress lines, and the passes over them."""

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
                    # the codecs' encodes and decodes side by side, a core each
                    with ThreadPoolExecutor(2) as pool:
                        p.figures.update(peaks.lossy_result(
                            peaks.lossy(p.writer.temp_path, t.fs, t.channels, pool), t.fs))
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

    def adopt(self, t: Track, p: Pass) -> None:
        t.kept, t.writer, t.judged = p, p.writer, p.figures

    def commit(self, t: Track) -> None:
        t.writer.commit()
        with self.lock:
            self.writers.discard(t.writer)
        t.writer = None
