"""Delivery targets: render to a loudness and true-peak ceiling, and check masters.

Rendering to a target never touches the engineer's sound-shaping settings: the
chain runs once as set, up to the limiter; then only the limiter's drive (to
get louder) or the output trim after it (to get quieter) is searched until the
integrated loudness lands on the target. The limiter's ceiling is the target's.
If the target cannot be reached within the limiter's 24 dB of drive, the render
says by how much it fell short and why.
"""
from __future__ import annotations

import math
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from dsp import params
from dsp.meters import Meter, true_peak_precise

from ..errors import UserError
from . import audiofile
from .render import render_array

TOLERANCE_LU = 0.1          # the search stops this close; the promise is +-0.3
MAX_ITER = 10


@dataclass(frozen=True)
class Target:
    name: str
    label: str
    lufs: float
    ceiling_dbtp: float
    tolerance_lu: float     # how far from the loudness a master still passes `check`
    source: str


TARGETS = {t.name: t for t in (
    Target("ebu-r128", "EBU R 128 broadcast", -23.0, -1.0, 0.5, "EBU R 128 (+-0.5 LU, live +-1)"),
    Target("atsc-a85", "ATSC A/85 US broadcast", -24.0, -2.0, 2.0, "ATSC A/85 (+-2 dB)"),
    Target("streaming", "streaming (Spotify normalisation)", -14.0, -1.0, 1.0,
           "Spotify's published playback normalisation, -1 dBTP recommended"),
    Target("apple-music", "Apple Music (reported)", -16.0, -1.0, 1.0,
           "widely reported, not from Apple's own specification"),
    Target("youtube", "YouTube (reported)", -14.0, -1.0, 1.0,
           "widely reported, not from YouTube's own specification"),
    Target("amazon-music", "Amazon Music (reported)", -14.0, -1.0, 1.0,
           "widely reported, not from Amazon's own specification"),
)}


LUFS_RANGE = (-40.0, -5.0)


def _number(flag: str, v: float | None) -> float | None:
    if v is not None and not math.isfinite(v):
        raise UserError(f"{flag} {v}: not a finite number")
    return v


def resolve(name: str | None, lufs: float | None, ceiling: float | None) -> Target:
    """The target a command asks for: a named one, a named one with its loudness
    or ceiling overridden, or a custom one. Every number is checked against the
    same ranges whichever way it arrives."""
    lufs = _number("--lufs", lufs)
    ceiling = _number("--ceiling-dbtp", ceiling)
    if lufs is not None and not LUFS_RANGE[0] <= lufs <= LUFS_RANGE[1]:
        raise UserError(f"--lufs {lufs:g}: out of range {LUFS_RANGE[0]:g}..{LUFS_RANGE[1]:g} LUFS")
    if ceiling is not None:
        p = params.get("limiter.ceiling_dbtp")
        if not p.min <= ceiling <= p.max:
            raise UserError(f"--ceiling-dbtp {ceiling:g}: out of range {p.min:g}..{p.max:g} dBTP "
                            "(the limiter's ceiling)")
    if name is not None:
        if name not in TARGETS:
            raise UserError(f"--target {name}: unknown (known: {', '.join(TARGETS)}; "
                            "or give --lufs X --ceiling-dbtp Y)")
        t = TARGETS[name]
        if lufs is None and ceiling is None:
            return t
        return Target("custom", f"{t.label}, changed", t.lufs if lufs is None else lufs,
                      t.ceiling_dbtp if ceiling is None else ceiling, t.tolerance_lu,
                      f"{t.source}; changed by the user")
    if lufs is None or ceiling is None:
        raise UserError("give --target NAME, or both --lufs X and --ceiling-dbtp Y")
    return Target("custom", "custom", lufs, ceiling, 1.0, "user values")


def _pre_limiter(values: dict) -> dict:
    v = dict(values)
    v["limiter.on"] = 0.0
    v["output.on"] = 0.0
    return v


def _stage(values: dict, target: Target, drive_db: float, trim_db: float) -> dict:
    """Only the limiter and the output stage, as the engineer set them, at the
    target's ceiling with the searched drive or trim."""
    v = params.defaults()
    for k in ("limiter.release_ms", "limiter.auto_release", "output.dither", "output.bits"):
        v[k] = values[k]
    v.update({"limiter.on": 1.0, "limiter.ceiling_dbtp": target.ceiling_dbtp,
              "limiter.drive_db": drive_db, "output.trim_db": trim_db})
    return v


def _loudness(tracks: list[np.ndarray], fs: int) -> float:
    m = Meter(fs, 2)
    for t in tracks:
        m.process(t)
    return m.integrated()


def _apply(tracks, fs, values, target, drive, trim):
    v = _stage(values, target, drive, trim)
    return [render_array(t, fs, v)[0] for t in tracks]


def search(tracks: list[np.ndarray], fs: int, values: dict, target: Target) -> dict:
    """Find the limiter drive (or output trim) that puts the tracks' joint
    integrated loudness on the target. Returns the outputs and the story."""
    out0 = _apply(tracks, fs, values, target, 0.0, 0.0)
    i0 = _loudness(out0, fs)
    if not math.isfinite(i0):
        return {"outputs": out0, "drive_db": 0.0, "trim_db": 0.0, "integrated": i0,
                "reached": False, "why": "the programme is silent (below the -70 LUFS gate)"}
    if i0 >= target.lufs:
        trim = max(target.lufs - i0, -24.0)
        outs = _apply(tracks, fs, values, target, 0.0, trim)
        i = _loudness(outs, fs)
        return {"outputs": outs, "drive_db": 0.0, "trim_db": trim, "integrated": i,
                "reached": abs(i - target.lufs) <= 0.3,
                "why": "" if abs(i - target.lufs) <= 0.3 else "needs more than 24 dB of trim"}
    lo, ilo = 0.0, i0
    hi, ihi = None, None
    d = min(24.0, target.lufs - i0)
    best = (abs(i0 - target.lufs), 0.0, out0, i0)
    for _ in range(MAX_ITER):
        outs = _apply(tracks, fs, values, target, d, 0.0)
        i = _loudness(outs, fs)
        if abs(i - target.lufs) < best[0]:
            best = (abs(i - target.lufs), d, outs, i)
        if abs(i - target.lufs) <= TOLERANCE_LU:
            break
        if i < target.lufs:
            lo, ilo = d, i
            if d >= 24.0:
                break
        else:
            hi, ihi = d, i
        # secant inside the bracket, bisection when it would leave it
        if hi is None:
            nd = min(24.0, d + (target.lufs - i) * 1.5)
        else:
            nd = lo + (target.lufs - ilo) * (hi - lo) / (ihi - ilo)
            if not lo < nd < hi:
                nd = 0.5 * (lo + hi)
        d = nd
    _, d, outs, i = best
    reached = abs(i - target.lufs) <= 0.3
    why = ""
    if not reached:
        why = (f"with the limiter's full 24 dB of drive the master reaches {i:.1f} LUFS at a "
               f"{target.ceiling_dbtp:g} dBTP ceiling: {target.lufs - i:.1f} LU short; "
               "more loudness would need the ceiling raised or the dynamics reshaped")
    return {"outputs": outs, "drive_db": d, "trim_db": 0.0, "integrated": i,
            "reached": reached, "why": why}


def _read_stereo(path: str) -> tuple[np.ndarray, int, int, str]:
    info = audiofile.check_input(path)
    x, fs = audiofile.read(path)
    x = np.where(np.isfinite(x), x, 0.0).astype(np.float32)
    if info.channels == 1:
        x = np.repeat(x, 2, axis=1)
    return np.ascontiguousarray(x), fs, info.channels, info.subtype


def _pre_render(args):
    path, values = args
    x, fs, ch, subtype = _read_stereo(path)
    y, _ = render_array(x, fs, _pre_limiter(values))
    return y, fs, ch, subtype


def render_to_target(inputs: list[str], outputs: list[str], values: dict, target: Target,
                     bits: str | None, jobs: int | None = None) -> dict:
    """Render one track or an album (one gain for all, per-track limiter) to a
    target. All or nothing: every track is written to a temporary name and the
    names are swapped in only when all of them are complete."""
    for o in outputs:
        audiofile.output_format(o, bits or "24")
    values = params.check_values(values)
    with ProcessPoolExecutor(max_workers=jobs or min(len(inputs), os.cpu_count() or 1)) as ex:
        pre = list(ex.map(_pre_render, [(p, values) for p in inputs]))
    rates = {fs for _, fs, _, _ in pre}
    if len(rates) != 1:
        raise UserError(f"album tracks have different sample rates ({sorted(rates)} Hz)")
    fs = rates.pop()
    res = search([y for y, _, _, _ in pre], fs, values, target)
    rows = []
    writers = []
    try:
        for (_, _, ch, subtype), out, path_in, path_out in zip(pre, res["outputs"], inputs, outputs):
            w = audiofile.Writer(path_out, fs, ch, bits or ("16" if subtype == "PCM_16" else "24"))
            writers.append(w)
            w.write(out if ch == 2 else out[:, :1])
            w.finish()
            m = Meter(fs, 2)
            m.process(out)
            rows.append({"input": path_in, "output": path_out,
                         "integrated_lufs": m.integrated(),
                         "true_peak_dbtp": 20 * math.log10(max(m.true_peak_linear(), 1e-12)),
                         "seconds": len(out) / fs})
        for w in writers:
            w.commit()
    except BaseException as e:
        for w in writers:
            w.abort(e)
        raise
    return {"target": target.name, "target_lufs": target.lufs,
            "ceiling_dbtp": target.ceiling_dbtp, "source": target.source,
            "integrated_lufs": res["integrated"], "reached": res["reached"],
            "limiter_drive_db": res["drive_db"], "output_trim_db": res["trim_db"],
            "why": res["why"], "tracks": rows}


def check(path: str, target: Target) -> dict:
    """Does a master meet a target, and does it stay under the ceiling after a
    conversion to 44.1 kHz (the usual consumer-format step)?"""
    info = audiofile.check_input(path)
    x, fs = audiofile.read(path)
    x = np.where(np.isfinite(x), x, 0.0)
    m = Meter(fs, info.channels)
    m.process(x.astype(np.float32))
    integ = m.integrated()
    tp = true_peak_precise(x)
    src_tp = None
    if fs != 44100:
        from fractions import Fraction

        from scipy.signal import resample_poly

        fr = Fraction(44100, fs)
        y = resample_poly(x.astype(np.float64), fr.numerator, fr.denominator, axis=0)
        src_tp = true_peak_precise(y)
    loud_ok = math.isfinite(integ) and abs(integ - target.lufs) <= target.tolerance_lu
    peak_ok = tp <= target.ceiling_dbtp
    src_ok = src_tp is None or src_tp <= target.ceiling_dbtp
    return {"file": path, "target": target.name, "target_lufs": target.lufs,
            "tolerance_lu": target.tolerance_lu, "ceiling_dbtp": target.ceiling_dbtp,
            "source": target.source,
            "integrated_lufs": integ if math.isfinite(integ) else None,
            "true_peak_dbtp": tp, "true_peak_after_44k1_dbtp": src_tp,
            "loudness_ok": loud_ok, "true_peak_ok": peak_ok, "after_conversion_ok": src_ok,
            "passes": loud_ok and peak_ok and src_ok}
