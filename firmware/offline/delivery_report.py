"""The report of a delivery render: per track, what the engineer had set,
what the target added (a plain gain, or drive and a moved ceiling), what the
added limiting cost, and the residual between the delivered file and the
heard sound times one gain."""
from __future__ import annotations

import math

from .targets import Target, judge


def _track_row(t, target: Target, album: dict, several: bool) -> dict:
    p, r = t.kept, t.judged or {}
    v = t.values
    on = bool(v["limiter.on"])
    x_s, y_s = t.curve().start if math.isfinite(t.heard_lufs) else (0.0, 0.0)
    if p.plain:
        added = limiting = 0.0
        drive = v["limiter.drive_db"] if on else None
        ceiling = v["limiter.ceiling_dbtp"] if on else None
    else:
        added = max(0.0, p.x - x_s)
        limiting = max(0.0, added - (p.integrated - p.ceiling_dbtp - y_s)) \
            if math.isfinite(p.integrated) else 0.0
        drive, ceiling = p.drive_db, p.ceiling_dbtp
    res = p.residual or {}
    return {
        "input": t.input, "output": t.output, "seconds": t.frames / t.fs, "bits": t.bits,
        "input_lufs": t.input_lufs, "heard_lufs": t.heard_lufs,
        "heard_true_peak_dbtp": t.heard_peak_dbtp,
        "integrated_lufs": p.integrated,
        "delivery": "plain" if p.plain else "limit",
        "gain_db": p.gain_db,
        "engineer_limiter_on": on,
        "engineer_drive_db": v["limiter.drive_db"] if on else None,
        "engineer_ceiling_dbtp": v["limiter.ceiling_dbtp"] if on else None,
        "added_drive_db": added,
        "limiting_lu": limiting,
        "limiter_drive_db": drive,
        "limiter_ceiling_dbtp": ceiling,
        "limiter_engaged": not p.plain and not on,
        "ceiling_moved": not p.plain and p.ceiling_dbtp < t.heard_ceiling_dbtp - 1e-9,
        "residual_db": res.get("residual_db"),
        "residual_gain_db": res.get("residual_gain_db"),
        "moved_lu": (p.integrated - t.heard_lufs - album["gain_db"])
        if several and math.isfinite(t.heard_lufs) else None,
        "true_peak_dbtp": r.get("true_peak_dbtp"),
        "true_peak_after_44k1_dbtp": r.get("true_peak_after_44k1_dbtp"),
        "codecs": r.get("codecs"),
        "why": t.why, "notes": t.notes,
    }


def report(tracks: list, target: Target, album: dict, codec_safe: bool) -> dict:
    several = len(tracks) > 1
    return {"target": target.name, "target_lufs": target.lufs, "ceiling_dbtp": target.ceiling_dbtp,
            "source": target.source, "codec_safe": codec_safe, "album": several,
            "integrated_lufs": album["integrated"], "gain_db": album["gain_db"],
            "reached": album["reached"], "why": album["why"],
            "passes_check": None if several else
            judge(tracks[0].judged, target, codec_safe)["passes"],
            "tracks": [_track_row(t, target, album, several) for t in tracks]}


def what_was_done(row: dict) -> str:
    """One line: what the target did to the heard sound."""
    res = row["residual_db"]
    res_s = "--" if res is None else f"{res:.0f} dB"
    if row["delivery"] == "plain":
        return f"plain gain only ({row['gain_db']:+.2f} dB): residual against the heard sound {res_s}"
    bits = [f"added {row['added_drive_db']:.2f} dB of drive (limiting {row['limiting_lu']:.2f} LU)"]
    if row["limiter_engaged"]:
        bits.append(f"limiter engaged at {row['limiter_ceiling_dbtp']:.2f} dBTP (off in your settings)")
    elif row["ceiling_moved"]:
        bits.append(f"ceiling moved to {row['limiter_ceiling_dbtp']:.2f} dBTP "
                    f"(yours {row['engineer_ceiling_dbtp']:.2f})")
    return ("; ".join(bits) + f": residual against the heard sound times "
            f"{row['residual_gain_db'] or 0:+.2f} dB {res_s}")
