"""Atomic file writes: temp file in the same folder, fsync, rename, fsync the folder.

A power cut or a crash leaves the old file or the new one, never a torn one, and
a failed write leaves no partial file behind. Temp files are named
``.NAME.PID.RANDOM.tmp`` next to their target: the PID says whose they are, so
a later write to the same name removes the ones whose process is gone (killed
with SIGKILL, say), and never one that is still being written.

``check_writable`` says before long work starts whether an output can be
written at all (the folder exists and takes a file, the name fits), so a long
render does not fail at its end.
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import time

from ..errors import UserError, file_error

STALE_UNOWNED_S = 600        # a temp file without a PID (an older version's) is stale after this
_PREFIX_MAX = 120            # bytes of the target's name kept in a temp file's name


def _folder(path: str) -> str:
    return os.path.dirname(os.path.abspath(path)) or "."


def _stem(path: str) -> str:
    name = os.fsencode(os.path.basename(path))[:_PREFIX_MAX]
    return os.fsdecode(name)


def _temp_name(path: str, suffix: str) -> str:
    return f".{_stem(path)}.{os.getpid()}.{secrets.token_hex(4)}{suffix}.tmp"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temps(path: str) -> list[str]:
    """Remove temp files of ours next to ``path`` whose writer is gone: its PID
    is not running, or (a temp name without a PID) it has not been touched for
    STALE_UNOWNED_S. Returns what was removed."""
    folder = _folder(path)
    pat = re.compile(r"^\." + re.escape(_stem(path)) + r"\.(?:(\d+)\.[0-9a-f]{8}|[A-Za-z0-9_]{8})\..*\.?tmp$")
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for n in names:
        m = pat.match(n)
        if not m:
            continue
        full = os.path.join(folder, n)
        try:
            if m.group(1) is not None:
                stale = int(m.group(1)) != os.getpid() and not _alive(int(m.group(1)))
            else:
                stale = time.time() - os.stat(full).st_mtime > STALE_UNOWNED_S
            if stale:
                os.unlink(full)
                removed.append(full)
        except OSError:
            continue
    return removed


def check_writable(path: str) -> None:
    """Raise a UserError naming ``path`` and the reason if a file cannot be
    written there: a missing or non-folder parent, a path that is a folder or
    a device, a name too long, a read-only or full file system, no permission.
    Probes by creating (and removing) a temp file where the output will go."""
    if not path or path.endswith(os.sep):
        raise UserError(f"{path or repr(path)}: names a folder, not a file")
    if os.path.isdir(path):
        raise UserError(f"{path}: is a folder; give a file name")
    if os.path.lexists(path) and not os.path.isfile(path):
        raise UserError(f"{path}: exists and is not a regular file (a device, a pipe or a broken link)")
    folder = _folder(path)
    if not os.path.exists(folder):
        raise UserError(f"{path}: no such folder ({folder})")
    if not os.path.isdir(folder):
        raise UserError(f"{path}: {folder} is not a folder")
    try:
        name_max = os.pathconf(folder, "PC_NAME_MAX")
    except OSError:
        name_max = 255
    if len(os.fsencode(os.path.basename(path))) > name_max:
        raise UserError(f"{path}: name too long ({len(os.fsencode(os.path.basename(path)))} bytes; "
                        f"this file system takes {name_max})")
    probe = os.path.join(folder, _temp_name(path, ".probe"))
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise file_error(path, e, "write") from None


def _new_temp(path: str, suffix: str) -> str:
    """Create an empty temp file of ours next to ``path`` (stale ones of dead
    writers removed first); an OSError names ``path``."""
    remove_stale_temps(path)
    tmp = os.path.join(_folder(path), _temp_name(path, suffix))
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        os.close(fd)
    except OSError as e:
        raise file_error(path, e, "write") from None
    return tmp


@contextlib.contextmanager
def atomic_path(path: str, suffix: str = ""):
    """Yield a temporary path next to ``path``; on success it is fsynced and renamed
    over ``path``; on any exception it is removed and ``path`` is untouched. An
    OSError on the way (a full disk, a read-only file system) becomes a
    UserError that names ``path`` and the reason."""
    folder = _folder(path)
    tmp = _new_temp(path, suffix)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        if os.path.isdir(path):
            raise IsADirectoryError(errno.EISDIR, "is a folder", path)
        os.replace(tmp, path)
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError) and e.errno is not None:
            raise file_error(path, e, "write") from None
        raise


@contextlib.contextmanager
def scratch_path(path: str, suffix: str = ""):
    """Yield a temporary path next to ``path`` for intermediate data; it is
    always removed at the end (a killed process's is removed as stale by the
    next writer of ``path``, like atomic_path's)."""
    tmp = _new_temp(path, suffix)
    try:
        yield tmp
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def write_text(path: str, text: str) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)


def write_bytes(path: str, data: bytes) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
