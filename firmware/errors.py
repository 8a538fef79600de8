"""The firmware's errors, and the one place that turns them into what a person
reads and the exit code a script sees.

- UserError: bad input from a person or a file (a bad value, a corrupt file,
  an unwritable path, a full disk). One line, exit code 2, nothing written.
- DeviceError: the hardware failed (an audio device that will not open or has
  gone silent, a display or GPIO that cannot be reached). One line, exit 3.
- anything else is a bug: its traceback is shown, never swallowed.

dsp/ refuses bad values with DspError; at this boundary that is a user error.
"""
from __future__ import annotations

import contextlib
import errno
import os

from dsp.errors import DspError

EXIT_FAIL = 1        # the work ran and its verdict is no (check, loopcheck)
EXIT_USER = 2
EXIT_DEVICE = 3


class MasterboxError(Exception):
    """Something the firmware reports in one line."""
    exit_code = EXIT_USER


class UserError(MasterboxError):
    """Bad input from a person or a file: reported as one clear line, exit code 2."""
    exit_code = EXIT_USER


class DeviceError(MasterboxError):
    """A device fault (audio, display, GPIO): one line, exit code 3."""
    exit_code = EXIT_DEVICE


class Refused(MasterboxError):
    """The work was asked not to do what it would need (a render told not to
    add drive to a master quieter than its target): one line, exit code 1,
    nothing written."""
    exit_code = EXIT_FAIL


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the work is, like Ctrl-C: whatever was
    half written is removed on the way out (or, for a recording, finished and
    kept), and the command exits with 128 + the signal's number."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        import signal

        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


_held = {"depth": 0, "pending": None}


@contextlib.contextmanager
def signals_held():
    """A region where Ctrl-C, SIGTERM and SIGHUP wait: libsndfile calls back
    into Python (our file objects), and an exception raised inside such a
    callback is printed and swallowed by cffi, leaving a short write behind. A
    signal that arrives in here is raised when the region ends."""
    _held["depth"] += 1
    try:
        yield
    finally:
        _held["depth"] -= 1
        signum = _held["pending"]
        if _held["depth"] == 0 and signum is not None:
            _held["pending"] = None
            _raise_for(signum)


def _raise_for(signum: int):
    import signal

    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Stopped(signum)


def stop_on_signals() -> None:
    """Turn SIGTERM and SIGHUP into Stopped, and Ctrl-C into KeyboardInterrupt,
    in the main thread; held back inside signals_held()."""
    import signal

    def on_signal(signum, frame):
        if _held["depth"]:
            _held["pending"] = signum
            return
        _raise_for(signum)

    for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(s, on_signal)


# what an OSError means to a person, by errno
_REASONS = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOENT: "no such file or folder",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.EISDIR: "is a folder",
    errno.ENAMETOOLONG: "name too long",
    errno.EEXIST: "already exists",
    errno.EIO: "input/output error",
    errno.ELOOP: "too many symbolic links",
    errno.EFBIG: "file too large",
    errno.EINVAL: "invalid argument",
}


def os_reason(e: OSError) -> str:
    """A short reason for an OSError, in words ('disk full')."""
    if e.errno in _REASONS:
        return _REASONS[e.errno]
    return e.strerror or os.strerror(e.errno or 0) or type(e).__name__


def file_error(path: str, e: OSError, doing: str = "") -> UserError:
    """A UserError that names the path and the reason: 'out.wav: cannot write
    (disk full)'."""
    what = f"cannot {doing} " if doing else ""
    return UserError(f"{path}: {what}({os_reason(e)})".replace(": (", ": "))


def describe(e: BaseException) -> tuple[str, int] | None:
    """(one-line message, exit code) for an error a person should read as one
    line, or None for a bug (whose traceback must be shown)."""
    if isinstance(e, MasterboxError):
        return str(e), e.exit_code
    if isinstance(e, DspError):
        return str(e), EXIT_USER
    if isinstance(e, OSError) and e.errno is not None:
        where = e.filename if e.filename is not None else ""
        msg = f"{where}: {os_reason(e)}" if where else os_reason(e)
        return msg, EXIT_USER
    return None
