"""Reading a TOML file as a person would want to hear about its problems."""
from __future__ import annotations

import tomllib

from ..errors import UserError


def read(path: str, what: str) -> dict:
    """The document at ``path``; a missing or malformed file is a UserError that
    says which ``what`` (config, preset) and which file."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise UserError(f"{what} {path}: no such file") from None
    except tomllib.TOMLDecodeError as e:
        raise UserError(f"{what} {path}: not valid TOML ({e})") from None
