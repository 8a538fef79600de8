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

Built-in presets ship in builtin_presets/; user presets live in the state
folder's presets/ (UserPresets), as the same TOML the command line reads. A
name is looked up among the built-ins first, then the user's; a path (with a
folder or ending .toml) is read as it is.
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


def resolve(name_or_path: str, user_dir: str | None = None) -> str:
    if not name_or_path:
        raise UserError("--preset '': a preset needs a name or a .toml path "
                        f"(built-in: {', '.join(builtin_names())})")
    if os.path.sep in name_or_path or name_or_path.endswith(".toml"):
        return name_or_path
    path = os.path.join(BUILTIN_DIR, name_or_path + ".toml")
    if os.path.exists(path):
        return path
    if user_dir is not None:
        upath = os.path.join(user_dir, name_or_path + ".toml")
        if os.path.exists(upath):
            return upath
    users = UserPresets(user_dir).names() if user_dir else []
    raise UserError(f"preset '{name_or_path}': no such preset (built-in: {', '.join(builtin_names())}"
                    + (f"; yours: {', '.join(users)}" if users else "") + "; or give a .toml path)")


def load(name_or_path: str, user_dir: str | None = None) -> dict[str, float]:
    """Parameter values of a preset, complete (defaults for what it leaves out)."""
    path = resolve(name_or_path, user_dir)
    doc = tomlfile.read(path, "preset")
    return params.check_values(from_document(doc, path))


NAME_CHARS = ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -_.")
NAME_MAX = 24


def check_name(name: str) -> str:
    """A preset name a person can type on the encoders and a file system can
    hold: 1 to 24 of letters, digits, space, - _ . and not starting with a dot
    or a space."""
    if not name or len(name) > NAME_MAX:
        raise UserError(f"preset name {name!r}: 1 to {NAME_MAX} characters")
    bad = sorted({c for c in name if c not in NAME_CHARS})
    if bad:
        raise UserError(f"preset name {name!r}: {bad[0]!r} is not allowed "
                        "(letters, digits, space, - _ .)")
    if name[0] in ". " or name.endswith(" "):
        raise UserError(f"preset name {name!r}: may not start with a dot or a space, or end with a space")
    return name


class UserPresets:
    """The user's presets: one TOML file each in a folder (the state folder's
    presets/). Built-in names are taken: a user preset cannot shadow one."""

    def __init__(self, folder: str):
        self.folder = folder

    def path(self, name: str) -> str:
        return os.path.join(self.folder, check_name(name) + ".toml")

    def names(self) -> list[str]:
        try:
            files = os.listdir(self.folder)
        except OSError:
            return []
        out = []
        for f in files:
            if f.endswith(".toml") and not f.startswith("."):
                try:
                    out.append(check_name(f[:-5]))
                except UserError:
                    continue            # a file a person put there by hand: not shown
        return sorted(out, key=str.lower)

    def all(self) -> list[tuple[str, bool]]:
        """(name, built in?) for every preset, built-ins first."""
        return [(n, True) for n in builtin_names()] + [(n, False) for n in self.names()]

    def load(self, name: str) -> dict[str, float]:
        return load(name, self.folder)

    def save(self, name: str, values: dict[str, float], overwrite: bool = False) -> str:
        name = check_name(name)
        if name in builtin_names():
            raise UserError(f"preset '{name}' is built in; choose another name")
        path = self.path(name)
        if os.path.exists(path) and not overwrite:
            raise UserError(f"preset '{name}' exists; overwrite it or choose another name")
        try:
            os.makedirs(self.folder, exist_ok=True)
        except OSError as e:
            from ..errors import file_error

            raise file_error(self.folder, e, "create the presets folder") from None
        save(path, values, name)
        return path

    def rename(self, old: str, new: str) -> str:
        new = check_name(new)
        if old in builtin_names():
            raise UserError(f"preset '{old}' is built in; it cannot be renamed")
        if new in builtin_names():
            raise UserError(f"preset '{new}' is built in; choose another name")
        src, dst = self.path(old), self.path(new)
        if not os.path.exists(src):
            raise UserError(f"preset '{old}': no such preset of yours")
        if os.path.exists(dst) and new != old:
            raise UserError(f"preset '{new}' exists; choose another name")
        values = load(src)
        save(dst, values, new)
        if dst != src:
            os.unlink(src)
        return dst

    def delete(self, name: str) -> None:
        if name in builtin_names():
            raise UserError(f"preset '{name}' is built in; it cannot be deleted")
        path = self.path(name)
        if not os.path.exists(path):
            raise UserError(f"preset '{name}': no such preset of yours")
        os.unlink(path)


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
