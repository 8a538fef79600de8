"""A delivery target as a command asks for it (named or custom), and the
verdict `check` gives a master against one. The table of named targets is
firmware/targets.py (the session works toward one too); rendering to a
target is in delivery.py, which judges what it wrote with the same verdict."""
from __future__ import annotations

import math
from dsp import params

from ..errors import UserError
from ..targets import TARGETS, Target  # noqa: F401  (re-exported)


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


def judge(measured: dict, target: Target, codec_safe: bool = False) -> dict:
    """The verdict on a master's figures (peaks.measure's): loudness within
    the target's tolerance, true peak under the ceiling at the file's rate and
    after conversion to 44.1 kHz, and with ``codec_safe`` after each lossy
    codec. ``peak_excess_db`` is the worst of those peaks over the ceiling
    (<= 0 when all are under): what `render --target` lowers its limiter by."""
    integ = measured["integrated_lufs"]
    c = target.ceiling_dbtp
    loud_ok = integ is not None and math.isfinite(integ) and abs(integ - target.lufs) <= target.tolerance_lu
    peaks = {"true_peak": measured["true_peak_dbtp"],
             "after_conversion": measured["true_peak_after_44k1_dbtp"]}
    lossy = measured.get("codecs") or {}
    if codec_safe:
        peaks.update({f"after_{name}": r["true_peak_dbtp"] for name, r in lossy.items()})
    judged = [v for v in peaks.values() if v is not None and math.isfinite(v)]
    excess = max((v - c for v in judged), default=float("-inf"))
    out = {"loudness_ok": loud_ok,
           "true_peak_ok": _under(peaks["true_peak"], c),
           "after_conversion_ok": _under(peaks["after_conversion"], c)}
    if codec_safe:
        out["codecs_ok"] = all(_under(r["true_peak_dbtp"], c) for r in lossy.values()) \
            if measured.get("codecs") else None
    out["passes"] = loud_ok and all(v for k, v in out.items() if k != "loudness_ok" and v is not None)
    if codec_safe and out["codecs_ok"] is None:
        out["passes"] = False           # asked to be judged on codecs that could not be measured
    out["peak_excess_db"] = excess
    return out


def _under(v: float | None, ceiling: float) -> bool:
    return v is None or not math.isfinite(v) or v <= ceiling


def check(path: str, target: Target, codecs: bool = True, codec_safe: bool = False,
          progress: bool = True) -> dict:
    """Does a master meet a target: its loudness, its true peak, the true peak
    after a conversion to 44.1 kHz (the usual consumer-format step) and,
    reported with ``codecs`` and judged with ``codec_safe``, after AAC and MP3."""
    from . import peaks

    m = peaks.measure(path, with_codecs=codecs or codec_safe, progress=progress)
    v = judge(m, target, codec_safe)
    return {"file": path, "target": target.name, "target_lufs": target.lufs,
            "tolerance_lu": target.tolerance_lu, "ceiling_dbtp": target.ceiling_dbtp,
            "source": target.source, "codec_safe": codec_safe, **m,
            **{k: x for k, x in v.items() if k != "peak_excess_db"}}
