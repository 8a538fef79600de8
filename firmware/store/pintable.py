"""The pin table from a file, read like every other TOML file the box takes
(tomlfile: size, type and encoding checked first), then checked against the
wiring rules by ui/pins.py."""
from __future__ import annotations

from ui import pins

from ..errors import UserError
from . import tomlfile


def load(path: str | None = None) -> pins.PinTable:
    path = path or pins.DEFAULT_TABLE
    doc = tomlfile.read(path, "pin table")
    try:
        return pins.parse(doc, where=f"pin table {path}")
    except pins.PinError as e:
        raise UserError(str(e)) from None
