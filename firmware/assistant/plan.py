"""What a proposal is made of while it is worked out: the moves with their
reasons, the plan of values they add up to, the EQ bands still free, and
the renders through the real chain that check it (propose.py decides)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dsp import params
from dsp.chain import Chain

from . import fit as F
from .analysis import CENTRES

REGIONS = ((60, "sub"), (250, "bass"), (500, "low mids"), (2000, "mids"), (5000, "upper mids"),
           (10000, "highs"), (1e9, "air"))


@dataclass
class Move:
    param: str
    old: float
    new: float
    reason: str

    def to_dict(self) -> dict:
        return {"param": self.param, "from": self.old, "to": self.new, "reason": self.reason}


@dataclass
class Proposal:
    analysis: dict
    reference: dict | None
    moves: list[Move]
    residual_db: float | None          # against the reference, after the moves (rendered)
    before_db: float | None            # the same before them
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0               # time from asking to the answer
    snapshot: bool = False             # a snapshot to store and recall by hand (a lift)
    profile_position: dict | None = None   # a built-in profile: where it sat, before and after

    def values(self, base: dict) -> dict:
        out = dict(base)
        for m in self.moves:
            out[m.param] = m.new
        return out

    def to_dict(self) -> dict:
        return {"analysis": self.analysis, "reference": self.reference,
                "proposals": [m.to_dict() for m in self.moves],
                "residual_db": self.residual_db, "before_db": self.before_db, "notes": self.notes,
                "snapshot": self.snapshot, "profile_position": self.profile_position}


def region(f: float) -> str:
    return next(name for top, name in REGIONS if f < top)


def _render(fs: int, values: dict, x: np.ndarray) -> tuple[np.ndarray, Chain]:
    c = Chain(fs, values)
    lat = c.latency
    y = c.process(np.concatenate([x, np.zeros((lat, 2), np.float32)]))
    return y[lat:], c


def render_with_gr(fs: int, values: dict, x: np.ndarray) -> tuple[np.ndarray, dict]:
    """x through the chain in 100 ms blocks (the output does not depend on
    the block size), and each reducing stage's mean gain reduction over the
    loudest half of the blocks (dB, positive = reduction)."""
    c = Chain(fs, values)
    hop = fs // 10
    lat = c.latency
    y = np.empty((len(x) + lat, 2), np.float32)
    grs, levels = [], []
    for i in range(0, len(x), hop):
        b = x[i:i + hop]
        y[i:i + len(b)] = c.process(b)
        if len(b) == hop:
            grs.append(c.gain_reduction_db())
            levels.append(float(np.mean(b.astype(np.float64) ** 2)))
    y[len(x):] = c.process(np.zeros((lat, 2), np.float32))
    grs, levels = grs[5:], np.array(levels[5:])            # past the first half second
    out = {}
    if len(grs):
        loud = levels >= np.median(levels)
        for stage in grs[0]:
            out[stage] = float(np.mean([g.get(stage, 0.0) for g, keep in zip(grs, loud) if keep]))
    return y[lat:], out


def loud_part_gr(fs: int, values: dict, x: np.ndarray, stage: str = "glue") -> float:
    """Mean gain reduction of a stage over the loudest half of x's 100 ms
    blocks, rendered through the chain (dB, positive = reduction)."""
    return render_with_gr(fs, values, x)[1].get(stage, 0.0)


class _Plan:
    """The moves being assembled: the current values, what changes, why."""

    def __init__(self, values: dict):
        self.base = dict(values)
        self.now = dict(values)
        self.why: dict[str, str] = {}

    def set(self, pid: str, value: float, reason: str) -> None:
        p = params.get(pid)
        value = float(min(max(value, p.min), p.max))
        self.now[pid] = params.check_value(pid, float(round(value)) if p.choices else value)
        if self.now[pid] != self.base[pid]:
            self.why[pid] = reason
        else:
            self.why.pop(pid, None)

    def moves(self) -> list[Move]:
        return [Move(pid, self.base[pid], self.now[pid], self.why[pid])
                for pid in params.defaults() if pid in self.why and self.now[pid] != self.base[pid]]


def _free_bands(values: dict) -> tuple[str, ...]:
    from dsp.modules.eq import BANDS
    return tuple(b for b in BANDS if values[f"eq.{b}_gain_db"] == 0.0)


def _band_number(band: str) -> str:
    return {"low_shelf": "low shelf", "high_shelf": "high shelf"}.get(band, f"bell {band[-1]}")


class _EqBook:
    """The EQ bands being proposed: where each sits and the gain each reason
    asks of it (the fit against a reference, then words); placed into the
    plan at the end with every reason in one line."""

    def __init__(self, values: dict):
        self.values = values
        self.shape: dict[str, tuple[float, float, str]] = {}   # band -> (freq, q, mode)
        self.parts: dict[str, list[list]] = {}                  # band -> [[why, gain, from_fit]]

    def add(self, band: str, freq: float, q: float, mode: str, why: str, gain: float,
            from_fit: bool = False) -> None:
        self.shape.setdefault(band, (freq, q, mode))
        self.parts.setdefault(band, []).append([why, gain, from_fit])

    def gain(self, band: str) -> float:
        g = self.values[f"eq.{band}_gain_db"] + sum(p[1] for p in self.parts.get(band, []))
        return round(float(np.clip(g, -F.MAX_DB, F.MAX_DB)), 1)

    def bands(self, fitted_only: bool = False) -> list[F.Band]:
        out = []
        for b, (freq, q, mode) in self.shape.items():
            if not fitted_only or any(p[2] for p in self.parts[b]):
                out.append(F.Band(b, freq, self.gain(b), q, mode))
        return out

    def in_use(self, band: str) -> bool:
        return band in self.shape or self.values[f"eq.{band}_gain_db"] != 0.0

    def place(self, plan: "_Plan") -> None:
        for b in self.bands():
            name = _band_number(b.band)
            reason = "; ".join(p[0] for p in self.parts[b.band]) + (
                f" -> {name} at {b.freq_hz:.0f} Hz, {b.gain_db:+.1f} dB, Q {b.q:.2g}"
                + (f", on the {b.mode}" if b.mode != "stereo" else ""))
            e = f"eq.{b.band}"
            plan.set(f"{e}_gain_db", b.gain_db, reason)
            plan.set(f"{e}_freq_hz", b.freq_hz, f"{name}'s frequency for its move")
            plan.set(f"{e}_q", b.q, f"{name}'s width for its move")
            plan.set(f"{e}_mode", ("stereo", "mid", "side").index(b.mode), f"{name} works on the {b.mode}")
            plan.set("eq.on", 1.0, "the EQ carries the moves")


def _measured(band: str, freq: float, mode: str, d: np.ndarray, against: str) -> str:
    """The measurement behind a fitted band: the difference where it acts,
    its level-free part (a uniform offset is level, not tone)."""
    if band == "low_shelf":
        sel = (CENTRES >= F.FIT_LO) & (CENTRES <= freq)
        where = f"below {freq:.0f} Hz"
    elif band == "high_shelf":
        sel = (CENTRES >= freq) & (CENTRES <= F.FIT_HI)
        where = f"above {freq / 1000:.3g} kHz"
    else:
        sel = np.isclose(CENTRES, freq)
        where = f"around {freq:.0f} Hz" if freq < 1000 else f"around {freq / 1000:.3g} kHz"
    w = F.weights()
    level = float(np.sum(d * w) / w.sum())
    diff = float(np.mean(d[sel])) - level if sel.any() else 0.0
    side = " in the side" if mode == "side" else ""
    return f"{region(freq)}{side} {abs(diff):.1f} dB {'below' if diff > 0 else 'above'} {against} {where}"
