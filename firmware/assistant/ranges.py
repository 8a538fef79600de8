"""The built-in profiles (builtin_profiles/, derived by profile_data.py from
published data): a usual range per band, not a target. Where a programme
sits in each range, band by band, is what the assistant shows; it proposes
only for bands outside the range (tone of the mid and the side, and the
side-to-mid level, in the nine bands of bands.py), back to the range's
edge nearest the median and a quarter of the way on, with that as the
reason. Loudness and loudness range are said, not proposed: a profile is
not a loudness decision.
"""
from __future__ import annotations

import functools
import json
import math
import os
from dataclasses import dataclass

import numpy as np

from ..errors import UserError
from .bands import NAMES, BandReading

FOLDER = os.path.join(os.path.dirname(__file__), "builtin_profiles")
FIELDS = {"mid_db": "mid", "side_db": "side", "side_to_mid_db": "side to mid"}
INTO = 0.25             # a proposal aims this far past the edge toward the median


@dataclass
class RangeProfile:
    name: str
    doc: dict                    # the whole file: sources, selection, tracks, spreads

    def spread(self, field: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        s = self.doc[field]
        return np.array(s["q1"]), np.array(s["median"]), np.array(s["q3"])

    @property
    def tracks(self) -> int:
        return int(self.doc["tracks"])


@functools.lru_cache(maxsize=1)
def names() -> list[str]:
    """The built-in profiles' names (read once: they ship with the box)."""
    out = []
    for f in sorted(os.listdir(FOLDER)):
        if f.endswith(".json"):
            with open(os.path.join(FOLDER, f), encoding="utf-8") as fh:
                out.append(json.load(fh)["name"])
    return out


def _key(name: str) -> str:
    return name.strip().lower().replace("/", "-").replace(" ", "-")


def find(name: str) -> RangeProfile | None:
    """The built-in profile called ``name`` ("balanced modern", "bass-heavy",
    "acoustic/dynamic"; hyphens for spaces too), or None."""
    path = os.path.join(FOLDER, _key(name) + ".json")
    return load(path) if os.path.exists(path) else None


def load(path: str) -> RangeProfile:
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise UserError(f"profile {path}: not a profile ({e})") from None
    n = len(NAMES)
    for field in (*FIELDS, "integrated_lufs", "lra_lu"):
        s = doc.get(field)
        want = n if field in FIELDS else 1
        if not (isinstance(s, dict) and all(
                isinstance(s.get(q), list) and len(s[q]) == want
                and all(isinstance(v, (int, float)) and math.isfinite(v) for v in s[q])
                for q in ("q1", "median", "q3"))):
            raise UserError(f"profile {path}: {field} must hold q1, median and q3, "
                            f"{want} finite number(s) each")
    return RangeProfile(str(doc.get("name", os.path.basename(path))), doc)


def position(reading: BandReading, prof: RangeProfile, anchor: list[int] | None = None) -> dict:
    """Where the programme sits in the profile's range, band by band: for
    each field a row per band (value, q1, median, q3, "below" / "inside" /
    "above"), and the same for loudness and loudness range.

    Tone is compared level-free: band levels are relative to the integrated
    loudness, but no programme sits at the median in every band (the
    medians' powers do not add up to a loudness), so the mid's median
    offset from the profile over the nine bands is taken out of the mid
    and the side alike first ("level" in the result, dB). After moves the
    same programme is read with the level taken over ``anchor``, the mid
    bands that were inside before: the moves leave them alone, so what
    moves them is the loudness the moves changed, which this takes out."""
    out = {"profile": prof.name, "tracks": prof.tracks, "selection": prof.doc.get("selection", ""),
           "bands": list(NAMES)}
    off = reading.mid_db - prof.spread("mid_db")[1]
    level = float(np.median(off[anchor] if anchor else off))
    out["level"] = round(level, 2)
    for field in FIELDS:
        q1, med, q3 = prof.spread(field)
        values = getattr(reading, field) - (level if field != "side_to_mid_db" else 0.0)
        out[field] = [_row(v, a, m, b) for v, a, m, b in zip(values, q1, med, q3)]
    for field, v in (("integrated_lufs", reading.integrated_lufs), ("lra_lu", reading.lra_lu)):
        q1, med, q3 = (prof.doc[field][q][0] for q in ("q1", "median", "q3"))
        out[field] = _row(v, q1, med, q3)
    return out


def _row(v: float, q1: float, med: float, q3: float) -> dict:
    where = "below" if v < q1 else "above" if v > q3 else "inside"
    return {"value": round(float(v), 2), "q1": float(q1), "median": float(med), "q3": float(q3),
            "where": where}


def goals(pos: dict, field: str) -> np.ndarray:
    """Per band, how far (dB) to move a band outside the range: to its edge
    nearest the median and INTO of the way on to the median; 0 inside."""
    out = np.zeros(len(pos[field]))
    for i, r in enumerate(pos[field]):
        if r["where"] == "below":
            out[i] = r["q1"] + INTO * (r["median"] - r["q1"]) - r["value"]
        elif r["where"] == "above":
            out[i] = r["q3"] - INTO * (r["q3"] - r["median"]) - r["value"]
    return out


def summary_lines(pos: dict) -> list[str]:
    """The position as lines for the command line and the screens."""
    out = [f"against '{pos['profile']}' ({pos['tracks']} masters: {pos['selection']}); "
           f"tone level-free (the mid sits {pos['level']:+.1f} dB from the profile overall):"]
    for field, label in FIELDS.items():
        cells = []
        for band, r in zip(pos["bands"], pos[field]):
            mark = {"below": "v", "above": "^", "inside": "="}[r["where"]]
            cells.append(f"{band} {r['value']:+.1f}{mark}")
        out.append(f"  {label:11s} " + "  ".join(cells))
    for field, label in (("integrated_lufs", "loudness"), ("lra_lu", "LRA")):
        r = pos[field]
        out.append(f"  {label:11s} {r['value']:.1f} ({r['where']} {r['q1']:g}..{r['q3']:g}; "
                   "said, not proposed)")
    return out
