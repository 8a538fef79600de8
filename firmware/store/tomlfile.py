"""Reading a TOML file as a person would want to hear about its problems.

Presets, snapshots, the machine config and the saved state are small files: a
path that is not a regular file (a folder, a device like /dev/zero, a pipe) or
a file over MAX_BYTES is refused before anything is read; the text must be
UTF-8 (a UTF-16 file is named as such); nesting deep enough to exhaust the
parser is refused in one line.
"""
from __future__ import annotations

import os
import stat
import tomllib

from ..errors import UserError, file_error

MAX_BYTES = 1 << 20


def read_bytes(path: str, what: str, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of a small regular file, or a UserError saying why not."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise UserError(f"{what} {path}: no such file") from None
    except OSError as e:
        raise file_error(f"{what} {path}", e, "read") from None
    if stat.S_ISDIR(st.st_mode):
        raise UserError(f"{what} {path}: is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise UserError(f"{what} {path}: not a regular file (a device, pipe or socket)")
    if st.st_size > max_bytes:
        raise UserError(f"{what} {path}: {st.st_size} bytes; a {what} is at most "
                        f"{max_bytes // 1024} KiB")
    try:
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as e:
        raise file_error(f"{what} {path}", e, "read") from None
    if len(data) > max_bytes:
        raise UserError(f"{what} {path}: over {max_bytes // 1024} KiB; a {what} is smaller")
    return data


def parse(data: bytes, where: str) -> dict:
    """A TOML document from bytes; ``where`` names it in errors."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise UserError(f"{where}: UTF-16 text; save it as UTF-8")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UserError(f"{where}: not UTF-8 text (byte {e.start} is {data[e.start]:#04x})") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise UserError(f"{where}: not valid TOML ({e})") from None
    except RecursionError:
        raise UserError(f"{where}: nested too deeply to be a preset or a config") from None


def read(path: str, what: str) -> dict:
    """The document at ``path``; a missing, oversized, special or malformed file
    is a UserError that says which ``what`` (config, preset) and which file."""
    return parse(read_bytes(path, what), f"{what} {path}")
