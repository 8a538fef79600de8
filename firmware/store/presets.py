"""Presets and snapshots: TOML files with a schema_version, validated whole.

    schema_version = 1
    name = "default"
    [eq]
    hp_on = true
    hp_freq_hz = 25.0
    [limiter]
    ceiling_dbtp = -1.0

Keys are the schema's parameter ids split at the dot. Unknown tables or keys,
wrong types and out-of-range values are rejected with a message naming them and
the file; nothing partly loaded is ever applied. Choices may be written as their
label ("tube", "24") or index; switches as true/false.
"""
from __future__ import annotations

import os
import tomli_w

from dsp import params

from ..errors import UserError
from . import tomlfile
from .atomic import write_text

SCHEMA_VERSION = 1
BUILTIN_DIR = os.path.join(os.path.dirname(__file__), "builtin_presets")
META_KEYS = {"schema_version", "name", "description"}


def builtin_names() -> list[str]:
    return sorted(p[:-5] for p in os.listdir(BUILTIN_DIR) if p.endswith(".toml"))


def display_name(name_or_path: str) -> str:
    """What the screen calls a preset: its built-in name, or a file's name
    without folder and extension."""
    return os.path.splitext(os.path.basename(name_or_path))[0]


def resolve(name_or_path: str) -> str:
    if not name_or_path:
        raise UserError("--preset '': a preset needs a name or a .toml path "
                        f"(built-in: {', '.join(builtin_names())})")
    if os.path.sep in name_or_path or name_or_path.endswith(".toml"):
        return name_or_path
    path = os.path.join(BUILTIN_DIR, name_or_path + ".toml")
    if not os.path.exists(path):
        raise UserError(f"preset '{name_or_path}': no such built-in preset "
                        f"(built-in: {', '.join(builtin_names())}; or give a .toml path)")
    return path


def load(name_or_path: str) -> dict[str, float]:
    """Parameter values of a preset, complete (defaults for what it leaves out)."""
    path = resolve(name_or_path)
    doc = tomlfile.read(path, "preset")
    return params.check_values(from_document(doc, path))


def from_document(doc: dict, where: str = "preset") -> dict[str, float]:
    """The parameter values a preset document sets, each checked for its type
    and range; anything unknown or of the wrong type is refused by name."""
    ver = doc.get("schema_version")
    if ver is None:
        raise UserError(f"{where}: missing schema_version (this firmware writes {SCHEMA_VERSION})")
    if isinstance(ver, bool) or not isinstance(ver, int):
        raise UserError(f"{where}: schema_version = {ver!r} should be a whole number "
                        f"(this firmware reads {SCHEMA_VERSION})")
    if ver != SCHEMA_VERSION:
        raise UserError(f"{where}: schema_version {ver} is not supported "
                        f"(this firmware reads {SCHEMA_VERSION})")
    for key in ("name", "description"):
        if key in doc and not isinstance(doc[key], str):
            raise UserError(f"{where}: {key} = {doc[key]!r} should be text in quotes")
    values: dict[str, float] = {}
    for key, table in doc.items():
        if key in META_KEYS:
            continue
        if key not in params.MODULES:
            raise UserError(f"{where}: unknown section [{key}] "
                            f"(modules: {', '.join(params.MODULES)})")
        if not isinstance(table, dict):
            raise UserError(f"{where}: '{key}' must be a table like [{key}]")
        for name, raw in table.items():
            pid = f"{key}.{name}"
            try:
                values[pid] = _value(params.get(pid), raw)
            except params.ParamError as e:
                raise UserError(f"{where}: {e}") from None
    return values


def _value(p: params.Param, raw) -> float:
    """One preset value: a number for a number, true/false for a switch, a label
    (or the number a label spells, like 24) for a choice."""
    if isinstance(raw, str):
        return params.parse_value(p.id, raw)
    if isinstance(raw, bool):
        if p.choices != params.ONOFF:
            kind = "one of " + ", ".join(p.choices) if p.choices else "a number"
            raise params.ParamError(f"{p.id}: {str(raw).lower()} is a switch value; give {kind}")
        return float(raw)
    if isinstance(raw, (int, float)):
        if p.choices and p.choices != params.ONOFF:
            label = f"{raw:g}"
            if label in p.choices:
                return params.parse_value(p.id, label)
        return params.check_value(p.id, raw)
    raise params.ParamError(f"{p.id}: {raw!r} is not a number or a label")


def to_document(values: dict[str, float], name: str = "") -> dict:
    """The TOML document for ``values``: only what differs from the defaults."""
    doc: dict = {"schema_version": SCHEMA_VERSION}
    if name:
        doc["name"] = name
    for p in params.SCHEMA:
        v = values.get(p.id, p.default)
        if v == p.default:
            continue
        table = doc.setdefault(p.module, {})
        if p.choices == params.ONOFF:
            table[p.name] = bool(v)
        elif p.choices:
            table[p.name] = p.choices[int(v)]
        else:
            table[p.name] = float(v)
    return doc


def save(path: str, values: dict[str, float], name: str = "") -> None:
    write_text(path, tomli_w.dumps(to_document(params.check_values(values), name)))
