"""Rendering to a delivery target: one track, or an album that keeps its
tracks' relative loudness.

The engineer's sound-shaping settings are never touched. Each track runs
through the chain once, up to the limiter, into a float32 scratch file next
to its output (bounded memory for any length). Only the last stage is then
searched (dsp.delivery.LimiterStage): a gain in front of the true-peak
limiter at the target's ceiling, followed by the engineer's output stage
(dither, word length). A gain that leaves the peaks under the ceiling is a
plain gain, so a master louder than its target is simply turned down and
the limiter acts only where the result still needs it.

Every decisive pass writes the output's temporary file and, as it writes,
feeds the same samples to the figures `check` judges by (peaks.Figures:
loudness, precise true peak at the file's rate and after conversion to
44.1 kHz; with ``codec_safe`` also after AAC and MP3). A pass is kept when
its loudness is within SEARCH_TOL_LU of the aim and every judged peak is
under the ceiling; when a peak is over, the limiter's ceiling comes down by
the excess and the search goes on. So a rendered master passes `check` by
construction.

An album gets one gain for all its tracks: each track aims at its own
loudness after the chain plus that common gain, so the tracks keep their
relative loudness within 2 x SEARCH_TOL_LU; where a track needs limiting to
get there, its gain rises by what the limiter took, and the report says so.
All or nothing: the outputs are renamed into place only when every track
is complete and judged.
"""
from __future__ import annotations

import contextlib
import math
import os
import queue
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import numpy as np

from dsp import params
from dsp.chain import Chain
from dsp.delivery import LimiterStage
from dsp.meters import Meter, gated_loudness

from ..errors import Stopped, UserError, os_reason
from ..store.atomic import scratch_path
from . import audiofile, peaks
from .render import Progress, compile_chain, output_settings, rendered
from .targets import Target, judge

SEARCH_TOL_LU = 0.05        # each track lands this close to what it aims at
ALBUM_TOL_LU = 0.1          # the album's loudness is corrected when further off
MAX_DRIVE_DB = 24.0         # how far peaks may be driven over the ceiling (the limiter's drive range)
MAX_ROUNDS = 8
MAX_CEILING_TRIES = 5       # lowering the ceiling for peaks found after the render
CEILING_STEP_DB = 0.05      # lowered by the excess and this much more
CEILING_FLOOR_DBTP = -12.0  # no lower than this, whatever the codecs do
JUDGE_MARGIN_DB = 0.001     # judged on the float samples; the written file differs by
                            # its quantisation (under 0.0003 dB of peak at 16 bits)
BLOCK = 1 << 16


@dataclass
class Pass:
    """One run of the last stage at a gain and a ceiling."""
    gain_db: float
    ceiling_dbtp: float
    decisive: bool = True
    integrated: float = float("-inf")
    blocks: np.ndarray | None = None
    writer: audiofile.Writer | None = None      # a decisive pass's output, finished
    figures: dict | None = None                 # and what `check` reads of it


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
    scratch: str = ""
    input_lufs: float = float("-inf")
    chain_lufs: float = float("-inf")        # after the chain, before the limiter
    chain_peak_dbtp: float = float("-inf")   # its 4x true peak
    chain_blocks: np.ndarray | None = None   # its gating blocks (the album's joint loudness)
    kept: Pass | None = None
    judged: dict | None = None
    writer: audiofile.Writer | None = None   # the output, finished, waiting for the commit
    why: str = ""

    def headroom_db(self, ceiling: float) -> float:
        """The largest gain that keeps the chain's peaks under ``ceiling``."""
        return ceiling - self.chain_peak_dbtp


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

    def __init__(self, tracks: list[Track], target: Target, codec_safe: bool, progress: bool):
        self.tracks = tracks
        self.target = target
        self.codec_safe = codec_safe
        self.progress = progress
        self.pool = ThreadPoolExecutor(max(2, min(len(tracks), os.cpu_count() or 2)))
        self.stop = threading.Event()       # set when the run is abandoned: workers stop early
        self.lock = threading.Lock()
        self.writers: set = set()           # outputs finished but not committed

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
        """The chain (limiter and output stage off) over the track, into its
        scratch file; the meters and the writing run on a second thread."""
        chain = Chain(t.fs, _pre_values(t.values))
        m_in = Meter(t.fs, t.channels)
        m_pre = Meter(t.fs, t.channels)
        bar = Progress(t.frames, f"chain {os.path.basename(t.input)}",
                       sys.stderr if self.progress and len(self.tracks) == 1 else False)
        q: queue.Queue = queue.Queue(4)
        failed: list[BaseException] = []

        def meter_and_write():
            try:
                with open(t.scratch, "wb") as f:
                    while (item := q.get()) is not None:
                        x, o = item
                        if x is not None:
                            m_in.process(_written(np.where(np.isfinite(x), x, 0.0).astype(np.float32),
                                                  t.channels))
                        m_pre.process(_written(o, t.channels))
                        o.astype(np.float32, copy=False).tofile(f)
            except BaseException as e:
                failed.append(e)
                while q.get() is not None:
                    pass
        helper = threading.Thread(target=meter_and_write, name="delivery-scratch", daemon=True)
        helper.start()
        inputs: list = []
        try:
            for o in rendered(t.input, chain, BLOCK, lambda x, total: (inputs.append(x), bar.update(total))):
                self.check_stop()
                # the input blocks that went in so far, with what came out (the
                # meters want both in order; their lengths differ by the latency)
                q.put((np.concatenate(inputs) if len(inputs) > 1 else inputs[0] if inputs else None, o))
                inputs.clear()
                if failed:
                    break
        finally:
            q.put(None)
            helper.join()
            bar.close()
        if failed:
            e = failed[0]
            if isinstance(e, OSError):
                raise UserError(f"{t.output}: cannot write its scratch file {t.scratch} "
                                f"({os_reason(e)})") from None
            raise e
        t.input_lufs = m_in.integrated()
        t.chain_lufs = m_pre.integrated()
        t.chain_peak_dbtp = _finite_db(m_pre.true_peak_linear())
        t.chain_blocks = m_pre.gating_blocks()
        if chain.nonfinite_samples:
            t.notes.append(f"{chain.nonfinite_samples} non-finite samples (NaN, inf) were "
                           "replaced by silence")

    # ------------------------------------------------------------ the last stage
    def run_pass(self, t: Track, p: Pass) -> Pass:
        """The last stage at p's gain and ceiling over the scratch file. A
        decisive pass writes the output's temporary file and feeds the same
        samples through peaks.Figures as it goes, so that when it ends it has
        been judged as `check` judges; an exploratory one only measures its
        loudness (a point on the search's curve)."""
        stage = LimiterStage(t.fs, t.values, p.ceiling_dbtp, p.gain_db)
        m = None if p.decisive else Meter(t.fs, t.channels)     # a decisive pass's figures meter it
        figures = None
        buf = np.empty((BLOCK, 2), np.float32)
        raw = buf.view(np.uint8).reshape(-1)
        try:
            if p.decisive:
                figures = peaks.Figures(t.fs, t.channels)
                p.writer = audiofile.Writer(t.output, t.fs, t.channels, t.bits)
                with self.lock:
                    self.writers.add(p.writer)
            with open(t.scratch, "rb") as f:
                while True:
                    got = f.readinto(raw) // 8
                    self.check_stop()
                    y = _written(stage.process(buf[:got]) if got else stage.flush(), t.channels)
                    if m is not None:
                        m.process(y)
                    if p.decisive:
                        p.writer.write(y)
                        figures.feed(y)
                    if got == 0:
                        break
            if p.decisive:
                p.writer.finish()
                p.figures = figures.finish()
                if self.codec_safe:
                    p.figures.update(peaks.lossy_result(
                        peaks.lossy(p.writer.temp_path, t.fs, t.channels), t.fs))
        except BaseException as e:
            if figures is not None:
                figures.abort()
            self.drop(p)
            if isinstance(e, OSError):
                raise UserError(f"{t.scratch}: cannot read the scratch file ({os_reason(e)})") from None
            raise
        if p.decisive:
            m = figures.meter
        p.integrated = m.integrated()
        p.blocks = m.gating_blocks()
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

    # ------------------------------------------------------------ search and judge
    def deliver(self, t: Track, want: float, parallel: bool) -> None:
        """Find the gain whose pass lands within SEARCH_TOL_LU of ``want`` (or
        as close as the drive limit allows) with every judged peak under the
        target's ceiling, lowering the limiter's ceiling while a peak is over;
        keep that pass's output (t.kept, t.writer).

        The limiter is scale-invariant: with a gain G and a ceiling C its
        output is 10^(C/20) times its output at gain G - C and ceiling 0 dBTP.
        So every pass, at whatever ceiling, is a point (G - C, I - C) on one
        curve, and the search along it carries over when the ceiling moves.
        One point is known without a pass: at no drive (G = C minus the
        chain's peak) the loudness is the chain's plus G. Each round is one
        decisive pass (written and judged); with a core to spare the first
        round adds an exploratory gain, so that the second round interpolates."""
        t.why = ""
        target = self.target
        ceiling = target.ceiling_dbtp
        x_max = MAX_DRIVE_DB - t.chain_peak_dbtp       # G - C at the drive limit
        x0 = -t.chain_peak_dbtp                         # G - C at no drive
        curve = [(x0, t.chain_lufs + x0)]               # (G - C, I - C)
        gains = _first_gains(t, want, ceiling, parallel)
        name = os.path.basename(t.output)
        last: Pass | None = None
        for _ in range(MAX_ROUNDS + MAX_CEILING_TRIES):
            self.say(f"  {name}: gain " + ", ".join(f"{g:+.2f}" for g in gains)
                     + f" dB, ceiling {ceiling:.2f} dBTP")
            done = self.run_passes(t, [Pass(g, ceiling, decisive=(i == 0)) for i, g in enumerate(gains)])
            curve += [(p.gain_db - ceiling, p.integrated - ceiling) for p in done]
            self.drop(last)
            last = done[0]
            nxt = _next_drive(curve, want - ceiling, x_max)
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
                nxt = _next_drive(curve, want - ceiling, x_max)
            gains = [(nxt if nxt is not None else _closest_drive(curve, want - ceiling, x_max)) + ceiling]
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


def _first_gains(t: Track, want: float, ceiling: float, parallel: bool) -> list[float]:
    """The first round's gains: the plain gain that reaches ``want`` when the
    peaks leave room; where limiting is ahead, a guess with more (the limiter
    takes back some loudness, on music typically 30-50 % of the drive) to be
    decisive, and with a core to spare the plain gain beside it, which lands
    below ``want`` for certain and so brackets the search."""
    top = ceiling + MAX_DRIVE_DB - t.chain_peak_dbtp
    plain = min(want - t.chain_lufs, top)
    over = plain - t.headroom_db(ceiling)
    if over <= 0:
        return [plain]
    more = min(plain + 0.5 * over + 0.3, top)
    return [more, plain] if parallel and more > plain else [more]


def _next_drive(curve: list[tuple[float, float]], want: float, x_max: float) -> float | None:
    """The next drive (G - C) to try on the curve of (drive, loudness - C):
    the secant through the closest points either side of ``want`` (or the two
    closest when none brackets it). None when nothing new is left to try
    (the drive limit is reached and still too quiet)."""
    pts = sorted(q for q in curve if math.isfinite(q[1]))
    if not pts:
        return None
    below = [q for q in pts if q[1] < want]
    above = [q for q in pts if q[1] >= want]
    if below and above:
        (x0, y0), (x1, y1) = below[-1], above[0]
    elif len(pts) >= 2:
        (x0, y0), (x1, y1) = sorted(pts, key=lambda q: abs(q[1] - want))[:2]
    else:
        (x0, y0), (x1, y1) = pts[0], (pts[0][0] + 1.0, pts[0][1] + 1.0)    # a plain gain's slope
    slope = (y1 - y0) / (x1 - x0) if x1 != x0 else 1.0
    slope = min(max(slope, 0.02), 1.0)
    xc, yc = min(pts, key=lambda q: abs(q[1] - want))
    x = xc + (want - yc) / slope
    if below and above:
        x = min(max(x, below[-1][0]), above[0][0])
    x = min(x, x_max)
    return None if round(x, 4) in {round(q[0], 4) for q in curve} else x


def _closest_drive(curve: list[tuple[float, float]], want: float, x_max: float) -> float:
    """The drive already tried whose loudness came closest (to render again
    at a new ceiling when the search has nothing new to try)."""
    pts = [q for q in curve if math.isfinite(q[1])]
    return min(pts, key=lambda q: abs(q[1] - want))[0] if pts else min(0.0, x_max)


def _warm_kernels(fs: int, values: dict) -> None:
    """Load the kernels the search runs (numba's cache) on a core the chain's
    render leaves idle."""
    LimiterStage(fs, values, -1.0, 0.0).process(np.zeros((64, 2), np.float32))
    f = peaks.Figures(fs, 2)
    f.feed(np.zeros((64, 2), np.float32))
    f.finish()


def _track(in_path: str, out_path: str, values: dict, bits: str | None) -> Track:
    info = audiofile.check_input(in_path)
    b, v, notes = output_settings(info, out_path, bits, values)
    return Track(in_path, out_path, info.samplerate, info.channels, info.frames, b, v, list(notes))


def render_to_target(inputs: list[str], outputs: list[str], values: dict, target: Target,
                     bits: str | None = None, codec_safe: bool = False,
                     progress: bool = True) -> dict:
    """Render one track, or an album (several inputs), to ``target``; see the
    module's docstring. Returns the report."""
    values = params.check_values(values)
    tracks = [_track(i, o, values, bits) for i, o in zip(inputs, outputs)]
    rates = {t.fs for t in tracks}
    if len(rates) != 1:
        raise UserError(f"album tracks have different sample rates ({sorted(rates)} Hz)")
    compile_chain(tracks[0].fs, values)
    run = _Run(tracks, target, codec_safe, progress)
    with contextlib.ExitStack() as scratches:       # removed after the workers stop
        try:
            for t in tracks:
                t.scratch = scratches.enter_context(scratch_path(t.output, ".f32"))
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
    return _report(tracks, target, album, codec_safe)


def _single(run: _Run) -> dict:
    t = run.tracks[0]
    if not math.isfinite(t.chain_lufs):
        run.adopt(t, run.run_pass(t, Pass(0.0, run.target.ceiling_dbtp)))
        return {"gain_db": 0.0, "integrated": t.kept.integrated, "reached": False,
                "why": "the programme is silent (below the -70 LUFS gate)"}
    run.deliver(t, run.target.lufs, parallel=True)
    i = t.kept.integrated
    reached = abs(i - run.target.lufs) <= SEARCH_TOL_LU * 2 and not t.why
    why = t.why
    if not reached and not why:
        why = _short_why(t, run.target, i)
    return {"gain_db": t.kept.gain_db, "integrated": i, "reached": reached, "why": why}


def _short_why(t: Track, target: Target, got: float) -> str:
    return (f"with the limiter's full {MAX_DRIVE_DB:g} dB of drive the master reaches "
            f"{got:.1f} LUFS at a {target.ceiling_dbtp:g} dBTP ceiling: "
            f"{target.lufs - got:.1f} LU short; more loudness would need the ceiling "
            "raised or the dynamics reshaped")


def _album(run: _Run) -> dict:
    tracks, target = run.tracks, run.target
    live = [t for t in tracks if math.isfinite(t.chain_lufs)]
    for t in tracks:
        if t not in live:
            t.why = "silent (below the -70 LUFS gate): rendered as it is"
    if not live:
        for t in tracks:
            run.adopt(t, run.run_pass(t, Pass(0.0, target.ceiling_dbtp)))
        return {"gain_db": 0.0, "integrated": float("-inf"), "reached": False,
                "why": "every track is silent (below the -70 LUFS gate)"}
    joint = gated_loudness(np.concatenate([t.chain_blocks for t in live]))
    gain = target.lufs - joint
    why = ""
    for attempt in range(4):
        list(run.pool.map(lambda t: run.deliver(t, t.chain_lufs + gain, parallel=False), live))
        short = max(t.chain_lufs + gain - t.kept.integrated for t in live)
        got = gated_loudness(np.concatenate([t.kept.blocks for t in live]))
        if attempt == 3:
            break
        if short > SEARCH_TOL_LU:
            # a track cannot rise by ``gain`` within the drive limit: everyone's
            # gain comes down, the relative loudness being the album's promise
            worst = max(live, key=lambda t: t.chain_lufs + gain - t.kept.integrated)
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
            run.adopt(t, run.run_pass(t, Pass(min(gain, t.headroom_db(target.ceiling_dbtp)),
                                              target.ceiling_dbtp)))
    got = gated_loudness(np.concatenate([t.kept.blocks for t in tracks]))
    reached = abs(got - target.lufs) <= 0.3 and not why and not any(t.why for t in live)
    if not reached and not why:
        why = next((t.why for t in live if t.why), f"the album reads {got:.2f} LUFS")
    return {"gain_db": gain, "integrated": got, "reached": reached, "why": why}


def _report(tracks: list[Track], target: Target, album: dict, codec_safe: bool) -> dict:
    rows = []
    for t in tracks:
        p, r = t.kept, t.judged or {}
        aimed = t.chain_lufs + p.gain_db
        rows.append({
            "input": t.input, "output": t.output, "seconds": t.frames / t.fs, "bits": t.bits,
            "input_lufs": t.input_lufs, "chain_lufs": t.chain_lufs,
            "integrated_lufs": p.integrated,
            "gain_db": p.gain_db,
            "limiter_ceiling_dbtp": p.ceiling_dbtp,
            "limiter_drive_db": max(0.0, p.gain_db - t.headroom_db(p.ceiling_dbtp)),
            "limiting_lu": max(0.0, aimed - p.integrated) if math.isfinite(aimed) else 0.0,
            "moved_lu": (p.integrated - t.chain_lufs - album["gain_db"])
            if len(tracks) > 1 and math.isfinite(t.chain_lufs) else None,
            "true_peak_dbtp": r.get("true_peak_dbtp"),
            "true_peak_after_44k1_dbtp": r.get("true_peak_after_44k1_dbtp"),
            "codecs": r.get("codecs"),
            "why": t.why, "notes": t.notes,
        })
    return {"target": target.name, "target_lufs": target.lufs, "ceiling_dbtp": target.ceiling_dbtp,
            "source": target.source, "codec_safe": codec_safe, "album": len(tracks) > 1,
            "integrated_lufs": album["integrated"], "gain_db": album["gain_db"],
            "reached": album["reached"], "why": album["why"],
            "passes_check": None if len(tracks) > 1 else
            judge(tracks[0].judged, target, codec_safe)["passes"],
            "tracks": rows}
