"""Profiles: a target sound learnt from a folder of the engineer's own
reference files, usable like a reference track (`masterbox assist
--learn-profile DIR OUT.json`, then `assist IN --profile OUT.json`; on the box
from the profiles folder in its state folder).

A profile is the mean of what analysis.py measures on each file's loudest
30 s: the loudness-normalised third-octave balance of mid and side, the
side-to-mid level per band, the integrated loudness, PLR and PSR. Averaging
level-free shapes in dB is what makes files mastered to different loudness
comparable.
"""
from __future__ import annotations

import json
import math
import os

import numpy as np

from ..errors import UserError
from ..offline import audiofile
from ..store.atomic import write_text
from .analysis import CENTRES, Analysis, analyse, loudest_stretch

FORMAT = 1
MIN_FILES = 1


def learn(paths: list[str], progress=None) -> dict:
    """A profile from these audio files (each read, checked and measured)."""
    if len(paths) < MIN_FILES:
        raise UserError("--learn-profile: no audio files in the folder (wav, flac, aiff, ogg, mp3)")
    rows = []
    for i, p in enumerate(paths):
        x, fs = audiofile.read(p)
        if x.shape[1] == 1:
            x = np.repeat(x, 2, axis=1)
        a = analyse(loudest_stretch(x, fs), fs)
        if not math.isfinite(a.integrated_lufs):
            raise UserError(f"{p}: silent (no loudness to learn from)")
        rows.append(a)
        if progress is not None:
            progress(i + 1, len(paths), p)
    mean = lambda f: np.mean([f(a) for a in rows], axis=0)  # noqa: E731
    return {"format": FORMAT, "name": "", "files": [os.path.basename(p) for p in paths],
            "bands_hz": [float(c) for c in CENTRES],
            "tonal_mid_db": _list(mean(lambda a: a.tonal_mid)),
            "tonal_side_db": _list(mean(lambda a: a.tonal_side)),
            "side_to_mid_db": _list(mean(lambda a: a.side_to_mid)),
            "integrated_lufs": round(float(mean(lambda a: a.integrated_lufs)), 2),
            "plr_lu": round(float(mean(lambda a: a.plr_lu)), 2),
            "psr_lu": round(float(mean(lambda a: a.psr_lu)), 2)}


def _list(a) -> list[float]:
    return [round(float(v), 2) for v in a]


def save(path: str, profile: dict, name: str) -> None:
    write_text(path, json.dumps(dict(profile, name=name), indent=1) + "\n")


def load(path: str) -> tuple[str, Analysis]:
    """(name, the profile as an Analysis to match against); one clear line
    for a file that is not a profile."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        raise UserError(f"profile {path}: no such file") from None
    except (OSError, ValueError) as e:
        raise UserError(f"profile {path}: not a profile ({e})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise UserError(f"profile {path}: not a masterbox profile (format {FORMAT})")
    n = len(CENTRES)
    arrays = {}
    for key in ("tonal_mid_db", "tonal_side_db", "side_to_mid_db"):
        v = doc.get(key)
        if not (isinstance(v, list) and len(v) == n and all(isinstance(x, (int, float)) and
                                                             math.isfinite(x) for x in v)):
            raise UserError(f"profile {path}: {key} must be {n} finite numbers (dB per band)")
        arrays[key] = np.array(v, float)
    figures = {}
    for key in ("integrated_lufs", "plr_lu", "psr_lu"):
        v = doc.get(key)
        if not (isinstance(v, (int, float)) and math.isfinite(v)):
            raise UserError(f"profile {path}: {key} must be a finite number")
        figures[key] = float(v)
    a = Analysis(fs=0, seconds=0.0, valid_seconds=0.0, integrated_lufs=figures["integrated_lufs"],
                 max_short_term_lufs=float("nan"), lra_lu=float("nan"),
                 true_peak_dbtp=figures["integrated_lufs"] + figures["plr_lu"],
                 plr_lu=figures["plr_lu"], psr_lu=figures["psr_lu"],
                 tonal_mid=arrays["tonal_mid_db"], tonal_side=arrays["tonal_side_db"],
                 side_to_mid=arrays["side_to_mid_db"],
                 side_to_mid_db=float(np.median(arrays["side_to_mid_db"])),
                 correlation=float("nan"), correlation_low=float("nan"), dc_dbfs=(float("nan"),) * 2,
                 clipped_runs=0)
    return str(doc.get("name") or os.path.splitext(os.path.basename(path))[0]), a
