"""The one parameter schema: every control of the chain, assembled from the
module slices (dsp/modules), which declare them.

UI pages, presets, snapshots, the session, the CLI's ``--set``, MIDI/OSC and
the docs all read this table. Values are checked at the boundary by
:func:`check_value`, whose error names the parameter, the value and the limit.
Choice parameters hold the index of their choice as a float; their labels are
accepted wherever a value is parsed from text.
"""
from __future__ import annotations

import math

from . import modules
from .errors import DspError
from .schema import MODES, ONOFF, SLOPES, Param  # noqa: F401  (re-exported)

MODULES = tuple(m.NAME for m in modules.ALL)
SCHEMA: tuple[Param, ...] = tuple(p for m in modules.ALL for p in m.PARAMS)


class ParamError(DspError):
    """A parameter id or value that the schema rejects."""


BY_ID: dict[str, Param] = {p.id: p for p in SCHEMA}


def get(pid: str) -> Param:
    try:
        return BY_ID[pid]
    except KeyError:
        mod = pid.split(".", 1)[0]
        known = [p.id for p in SCHEMA if p.module == mod] or list(MODULES)
        raise ParamError(f"unknown parameter '{pid}' (known: {', '.join(known)})") from None


def defaults() -> dict[str, float]:
    """Every parameter at its default: the chain is then transparent."""
    return {p.id: p.default for p in SCHEMA}


def check_value(pid: str, value) -> float:
    """Return ``value`` as a float if it is valid for ``pid``; raise ParamError naming
    the parameter, the value and the allowed range otherwise."""
    p = get(pid)
    if isinstance(value, str):
        return parse_value(pid, value)
    if isinstance(value, bool):
        value = float(value)
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ParamError(f"{pid}: {value!r} is not a number") from None
    if not math.isfinite(v):
        raise ParamError(f"{pid}: {value!r} is not a finite number (range {_range(p)})")
    if p.choices:
        if v != int(v) or not 0 <= v < len(p.choices):
            raise ParamError(f"{pid}: {value!r} is not one of {', '.join(p.choices)}")
        return v
    if not p.min <= v <= p.max:
        raise ParamError(f"{pid}: {p.with_unit(f'{v:g}')} is out of range {_range(p)}")
    return v


def parse_value(pid: str, text: str) -> float:
    """Parse a value typed by a person (CLI ``--set``): a number, or a choice label
    ('on', 'off', 'true', 'false', 'tube', '24')."""
    p = get(pid)
    t = text.strip().lower()
    if p.choices:
        if t in p.choices:
            return float(p.choices.index(t))
        if p.choices == ONOFF and t in ("true", "false", "yes", "no", "1", "0"):
            return 1.0 if t in ("true", "yes", "1") else 0.0
        raise ParamError(f"{pid}: '{text}' is not one of {', '.join(p.choices)}")
    scale = 1.0
    for suffix, k in (("khz", 1000.0), ("dbtp", 1.0), ("db", 1.0), ("hz", 1.0), ("ms", 1.0),
                      ("%", 1.0), (":1", 1.0)):
        if t.endswith(suffix):
            t, scale = t[: -len(suffix)].strip(), k
            break
    try:
        v = float(t) * scale
    except ValueError:
        raise ParamError(f"{pid}: '{text}' is not a number (range {_range(p)})") from None
    return check_value(pid, v)


def check_values(values: dict) -> dict[str, float]:
    """Validate a whole mapping of id -> value; returns a complete set (defaults filled)."""
    out = defaults()
    for pid, v in values.items():
        out[pid] = check_value(pid, v)
    return out


def _range(p: Param) -> str:
    if p.choices:
        return ", ".join(p.choices)
    return p.with_unit(f"{p.min:g}..{p.max:g}")


def step_value(pid: str, value: float, clicks: int, fine: bool = False) -> float:
    """Move a value by encoder clicks along its taper, clamped to its range. A
    turn that would pass one of the parameter's detents (the classic ratios)
    stops on it; the next turn goes on from there."""
    p = get(pid)
    if p.choices:
        return float(min(max(int(value) + clicks, 0), len(p.choices) - 1))
    s = p.fine_step if fine else p.step
    if p.taper == "log":
        v = value * s ** clicks
    else:
        v = value + s * clicks
    crossed = [d for d in p.detents if value < d < v or v < d < value]
    if crossed:
        return min(crossed, key=lambda d: abs(d - value))
    return min(max(v, p.min), p.max)


def schema_json() -> list[dict]:
    return [p.to_dict() for p in SCHEMA]
