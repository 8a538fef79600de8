"""The one parameter schema: every control of the chain, assembled from the
module slices (dsp/modules), which declare them.

UI pages, presets, snapshots, the session, the CLI's ``--set``, MIDI/OSC and
the docs all read this table. Values are checked once, where they enter
(Param.check, through :func:`check_value`), whose error names the parameter,
the value and the limit.
Choice parameters hold the index of their choice as a float; their labels are
accepted wherever a value is parsed from text.
"""
from __future__ import annotations

from . import modules
from .schema import MODES, ONOFF, SLOPES, Param, ParamError  # noqa: F401  (re-exported)

MODULES = tuple(m.NAME for m in modules.ALL)
SCHEMA: tuple[Param, ...] = tuple(p for m in modules.ALL for p in m.PARAMS)


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
    """``value`` as a float if it is valid for ``pid`` (Param.check)."""
    return get(pid).check(value)


def parse_value(pid: str, text: str) -> float:
    """A value for ``pid`` typed by a person (Param.parse)."""
    return get(pid).parse(text)


def check_values(values: dict) -> dict[str, float]:
    """Validate a whole mapping of id -> value; returns a complete set (defaults filled)."""
    out = defaults()
    for pid, v in values.items():
        out[pid] = check_value(pid, v)
    return out


def schema_json() -> list[dict]:
    return [p.to_dict() for p in SCHEMA]
