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
import threading
import time

import numpy as np

from dsp import params
from dsp.delivery import LimiterStage
from dsp.meters import gated_loudness

from ..errors import Refused, UserError
from ..store.atomic import scratch_path
from . import audiofile, peaks
from .delivery_passes import MAX_DRIVE_DB, Pass, Passes, Track
from .delivery_search import first_drives
from .render import compile_chain, output_settings
from .targets import Target, judge

SEARCH_TOL_LU = 0.05        # each track lands this close to what it aims at
ALBUM_TOL_LU = 0.1          # the album's loudness is corrected when further off
MAX_ROUNDS = 8
MAX_CEILING_TRIES = 5       # lowering the ceiling for peaks found after the render
CEILING_STEP_DB = 0.05      # lowered by the excess and this much more
CEILING_FLOOR_DBTP = -12.0  # no lower than this, whatever the codecs do
JUDGE_MARGIN_DB = 0.001     # judged on the float samples; the written file differs by
                            # its quantisation (under 0.0003 dB of peak at 16 bits)
PLAIN_MARGIN_DB = 0.05      # a plain gain up is tried only with this much room under the ceiling


class _Run(Passes):
    """A delivery render: what to run for each track (the passes are Passes')."""

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
