"""The built-in profiles, derived from published data (scripts/derive_profiles.py
runs this on a copy of the data; the results are the JSON files in
builtin_profiles/, with their sources, selection and spread).

Source 2: phaselimiter's analysis data (github.com/ai-mastering/phaselimiter,
resource/analysis_data/, MIT licence; notice in builtin_profiles/NOTICE): 568
masters, one JSON file each, with nine bands (firmware/assistant/bands.py
measures a programme the same way). Per track: the integrated loudness and
loudness range, and per band the mid and side levels relative to that
loudness and the side-to-mid level. Grouped by the data itself:

- balanced modern: loud and dense, integrated loudness at or above the
  median of all 568 and loudness range at or below theirs; its mid tone is
  source 1's mean LTAS (ltas.py) instead, K-weighted into the same bands and
  placed at the group's mean level, with the group's spread around it;
- bass-heavy: the lowest band's mid level in the top quarter of all 568;
- acoustic/dynamic: quiet and wide, integrated loudness in the bottom
  quarter and loudness range at or above the median.

A group's spread is its quartiles (numpy's linear percentiles) per band.
"""
from __future__ import annotations

import glob
import json
import math
import os

import numpy as np

from . import ltas
from .bands import EDGES, NAMES

FORMAT = 2
SOURCE_1 = ("Elowsson, A. and Friberg, A. (2017), Long-term average spectrum in popular music "
            "and its relation to the level of the percussion, AES 142nd Convention, paper 9762 "
            "(KTH DiVA diva2:1108529): the mean LTAS of 12,345 tracks, two quadratic fits")
SOURCE_2 = ("phaselimiter analysis data, github.com/ai-mastering/phaselimiter "
            "resource/analysis_data (MIT licence, (c) 2020 Shin Fukuse): 568 masters")
FIELDS = ("mid_db", "side_db", "side_to_mid_db")
TOP_HZ = ltas.HI_HZ          # the highest band is open above; the LTAS fit ends here


class DataError(ValueError):
    pass


def read_track(path: str) -> dict:
    """One analysed master: loudness, LRA and the three per-band fields."""
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    try:
        bands = d["bands"]
        lufs, lra = float(d["loudness"]), float(d["loudness_range"])
        if len(bands) != len(EDGES) + 1:
            raise DataError(f"{path}: {len(bands)} bands, not {len(EDGES) + 1}")
        row = {"lufs": lufs, "lra": lra,
               "mid_db": [b["mid_mean"] - lufs for b in bands],
               "side_db": [b["side_mean"] - lufs for b in bands],
               "side_to_mid_db": [b["mid_to_side_loudness"] for b in bands]}
    except (KeyError, TypeError, ValueError) as e:
        raise DataError(f"{path}: not a phaselimiter analysis file ({e})") from None
    if not all(math.isfinite(v) for k in FIELDS for v in row[k]):
        raise DataError(f"{path}: a band value is not finite")
    return row


def read_folder(folder: str) -> list[dict]:
    paths = sorted(glob.glob(os.path.join(folder, "*.json")))
    if not paths:
        raise DataError(f"{folder}: no .json analysis files")
    return [read_track(p) for p in paths]


def groups(rows: list[dict]) -> dict[str, tuple[str, np.ndarray]]:
    """name -> (the selection rule in words, a mask over rows)."""
    lufs = np.array([r["lufs"] for r in rows])
    lra = np.array([r["lra"] for r in rows])
    low = np.array([r["mid_db"][0] for r in rows])
    l50, l25, r50, b75 = (np.percentile(lufs, 50), np.percentile(lufs, 25),
                          np.percentile(lra, 50), np.percentile(low, 75))
    n = len(rows)
    return {
        "balanced modern": (f"integrated loudness >= {l50:.1f} LUFS (the median of {n}) and loudness "
                            f"range <= {r50:.1f} LU (their median)", (lufs >= l50) & (lra <= r50)),
        "bass-heavy": (f"mid level below 148 Hz >= {b75:.1f} dB re the integrated loudness "
                       f"(the top quarter of {n})", low >= b75),
        "acoustic/dynamic": (f"integrated loudness <= {l25:.1f} LUFS (the bottom quarter of {n}) and "
                             f"loudness range >= {r50:.1f} LU (their median)", (lufs <= l25) & (lra >= r50)),
    }


def spread(values: np.ndarray) -> dict:
    q1, med, q3 = np.percentile(values, [25, 50, 75], axis=0)
    r = lambda a: np.round(np.atleast_1d(a), 2).tolist()  # noqa: E731
    return {"q1": r(q1), "median": r(med), "q3": r(q3)}


def k_weight_db(f):
    """BS.1770's K-weighting as a gain in dB at f (its biquads at 48 kHz)."""
    from scipy.signal import sosfreqz

    from dsp.bs1770 import k_weighting_sos
    _, h = sosfreqz(k_weighting_sos(48000), worN=np.atleast_1d(np.asarray(f, float)), fs=48000)
    return 20 * np.log10(np.abs(h))


def ltas_bands(per_hz: bool = True) -> np.ndarray:
    """Source 1's LTAS, K-weighted, as power in the nine bands (dB, level
    arbitrary): the lowest from the fit's 30 Hz, the highest to its 15.7 kHz."""
    lo = (ltas.LO_HZ,) + EDGES
    hi = EDGES + (TOP_HZ,)
    return np.array([ltas.band_db(a, b, k_weight_db, per_hz) for a, b in zip(lo, hi)])


def readings_compared(rows: list[dict]) -> dict[str, float]:
    """How far each reading of source 1's y (ltas.py) is from the shape of
    source 2's balanced-modern group, level-free: the largest band difference, dB."""
    mask = groups(rows)["balanced modern"][1]
    med = np.median(np.array([r["mid_db"] for r, m in zip(rows, mask) if m]), axis=0)
    med = med - med.mean()
    out = {}
    for name, per_hz in (("density per Hz", True), ("power per bin", False)):
        v = ltas_bands(per_hz)
        out[name] = round(float(np.max(np.abs(v - v.mean() - med))), 1)
    return out


def profile(name: str, rule: str, rows: list[dict]) -> dict:
    out = {"format": FORMAT, "name": name, "kind": "built-in", "sources": [SOURCE_2],
           "selection": rule, "tracks": len(rows), "bands_hz": list(EDGES), "band_names": list(NAMES),
           "integrated_lufs": spread(np.array([r["lufs"] for r in rows])),
           "lra_lu": spread(np.array([r["lra"] for r in rows]))}
    for k in FIELDS:
        out[k] = spread(np.array([r[k] for r in rows]))
    return out


def with_ltas_mid(p: dict, centres) -> dict:
    """The balanced-modern mid: source 1's shape, at the group's mean level,
    with the group's quartile distances around it; and source 1's
    third-octave tone for the EQ fit (level-free)."""
    group = p["mid_db"]
    shape = ltas_bands()
    med = shape - shape.mean() + float(np.mean(group["median"]))
    lo = np.array(group["median"]) - np.array(group["q1"])
    hi = np.array(group["q3"]) - np.array(group["median"])
    r = lambda a: np.round(a, 2).tolist()  # noqa: E731
    p = dict(p, sources=[SOURCE_1, SOURCE_2])
    p["mid_db"] = {"q1": r(med - lo), "median": r(med), "q3": r(med + hi),
                   "from": "source 1's mean LTAS (K-weighted into these bands, at the group's mean "
                           "level); quartile distances from the group"}
    c = [float(v) for v in centres if 31.5 <= v <= 12500]
    third = ltas.third_octaves(c)
    curve = ltas.ltas_db(c)
    p["third_octave_mid_db"] = {
        "bands_hz": c, "db": r(third - third.mean()), "curve_db": r(curve - curve.mean()),
        "from": "source 1's mean LTAS: db, its density integrated over each third octave; "
                "curve_db, the fit itself at each centre; both with the level removed"}
    return p


def derive(folder: str) -> dict[str, dict]:
    """Every built-in profile from a folder of phaselimiter analysis files."""
    from .analysis import CENTRES

    rows = read_folder(folder)
    out = {}
    for name, (rule, mask) in groups(rows).items():
        picked = [r for r, m in zip(rows, mask) if m]
        if len(picked) < 3:
            raise DataError(f"{name}: only {len(picked)} tracks match ({rule}); need 3 for quartiles")
        p = profile(name, rule + f"; {len(picked)} of {len(rows)} tracks", picked)
        out[name] = with_ltas_mid(p, CENTRES) if name == "balanced modern" else p
    return out


def file_name(name: str) -> str:
    return name.replace("/", "-").replace(" ", "-") + ".json"
