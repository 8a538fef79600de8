"""Audio files through soundfile (libsndfile): WAV, FLAC, AIFF.

Reading validates what the chain can take and says plainly what is wrong;
writing quantises 16/24-bit output exactly (the chain's dither already put the
samples on the grid), counts what quantisation had to clip, and goes through
an atomic rename.

Files are opened by Python and handed to libsndfile as file objects, so any
name the file system holds works (libsndfile's own open needs the name in
UTF-8), and an OSError on the way (a full disk, a read error) is caught here
and reported with its reason instead of libsndfile's "System error.".
"""
from __future__ import annotations

import os
import stat

import numpy as np
import soundfile as sf

from ..errors import UserError, file_error, signals_held
from ..store.atomic import atomic_path

MIN_RATE, MAX_RATE = 32000, 192000
FORMATS = {".wav": "WAV", ".flac": "FLAC", ".aif": "AIFF", ".aiff": "AIFF"}
BITS = ("16", "24", "32f")


class _Guarded:
    """A binary file for libsndfile's virtual I/O that never lets an OSError
    escape into its C callbacks (cffi would print a traceback and carry on):
    the error is kept, the call reports nothing done, libsndfile fails, and
    the caller raises the kept error with its real reason."""

    def __init__(self, f):
        self.f = f
        self.error: OSError | None = None

    def _kept(self, call, failed, *args):
        try:
            return call(*args)
        except OSError as e:
            self.error = e
            return failed

    def read(self, n=-1):
        return self._kept(self.f.read, b"", n)

    def readinto(self, buf):
        return self._kept(self.f.readinto, 0, buf)

    def write(self, data):
        return self._kept(self.f.write, 0, data)

    def seek(self, offset, whence=0):
        try:
            return self.f.seek(offset, whence)
        except (OSError, ValueError) as e:     # a corrupt header can ask for a negative offset
            self.error = e if isinstance(e, OSError) else OSError(22, str(e))
            return -1

    def tell(self):
        return self._kept(self.f.tell, -1)

    def flush(self):
        self.f.flush()

    def close(self):
        self.f.close()


def _read_error(path: str, e: OSError) -> UserError:
    """A read that failed: an invalid position means a corrupt file, anything
    else is the file system's reason."""
    if e.errno == 22:
        return UserError(f"{path}: not a readable audio file (corrupt: it points outside itself)")
    return file_error(path, e, "read")


def _open_input(path: str):
    """The input as a guarded file object: a regular file, or a one-line error."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except OSError as e:
        raise file_error(path, e, "read") from None
    if stat.S_ISDIR(st.st_mode):
        raise UserError(f"{path}: is a folder, not an audio file")
    if not stat.S_ISREG(st.st_mode):
        raise UserError(f"{path}: not a regular file (a pipe, socket or device); give an audio file")
    try:
        return _Guarded(open(path, "rb"))
    except OSError as e:
        raise file_error(path, e, "read") from None


def info(path: str):
    g = _open_input(path)
    try:
        with signals_held():
            return sf.info(g)
    except Exception as e:  # libsndfile says why in its message
        if g.error is not None:
            raise _read_error(path, g.error) from None
        raise UserError(f"{path}: not a readable audio file ({_why(e)})") from None
    finally:
        g.close()


def check_input(path: str):
    i = info(path)
    if i.channels not in (1, 2):
        raise UserError(f"{path}: {i.channels} channels; masterbox takes mono or stereo (1 or 2)")
    if not MIN_RATE <= i.samplerate <= MAX_RATE:
        raise UserError(f"{path}: sample rate {i.samplerate} Hz is out of range "
                        f"{MIN_RATE}..{MAX_RATE} Hz")
    if i.frames == 0:
        raise UserError(f"{path}: the file holds no audio frames")
    return i


def blocks(path: str, frames: int):
    """Yield float32 (n, channels) blocks; corrupt data raises UserError."""
    g = _open_input(path)
    try:
        with signals_held():
            f = sf.SoundFile(g)
        with f:
            while True:
                with signals_held():
                    b = f.read(frames, dtype="float32", always_2d=True)
                if g.error is not None:
                    raise _read_error(path, g.error)
                if len(b) == 0:
                    return
                yield b
    except UserError:
        raise
    except Exception as e:
        if g.error is not None:
            raise _read_error(path, g.error) from None
        raise UserError(f"{path}: could not read audio ({_why(e)})") from None
    finally:
        g.close()


def read(path: str) -> tuple[np.ndarray, int]:
    i = check_input(path)
    data = np.concatenate(list(blocks(path, 1 << 16)))
    return data, i.samplerate


def promised_frames(path: str, info) -> int | None:
    """The frames a WAV file's header promises (its data chunk's size), which
    libsndfile quietly clamps to what the file holds; None when not a plain
    RIFF WAV or the header cannot be walked."""
    if info.format != "WAV":
        return None
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return None
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    pos, block_align = 12, None
    while pos + 8 <= len(head):
        cid, size = head[pos:pos + 4], int.from_bytes(head[pos + 4:pos + 8], "little")
        if cid == b"fmt " and pos + 22 <= len(head):
            block_align = int.from_bytes(head[pos + 20:pos + 22], "little")
        if cid == b"data":
            return size // block_align if block_align else None
        pos += 8 + size + (size & 1)
    return None


def truncation_note(path: str, promised: int | None, got: int) -> str | None:
    """A warning when a file held fewer frames than its header promised."""
    if promised is not None and got < promised:
        return (f"{os.path.basename(path)} is truncated: its header promises {promised} frames, "
                f"the file holds {got}; rendered what it holds")
    return None


def output_format(path: str, bits: str) -> tuple[str, str]:
    ext = os.path.splitext(path)[1].lower()
    if ext not in FORMATS:
        raise UserError(f"{path}: unknown output type '{ext}' (use .wav, .flac or .aiff)")
    fmt = FORMATS[ext]
    if bits not in BITS:
        raise UserError(f"--bits {bits}: use 16, 24 or 32f")
    if fmt == "FLAC" and bits == "32f":
        raise UserError(f"{path}: FLAC cannot hold 32-bit float; use --bits 16 or 24")
    subtype = {"16": "PCM_16", "24": "PCM_24", "32f": "FLOAT"}[bits]
    return fmt, subtype


FULL_SCALE = {"16": 32768.0, "24": 8388608.0}


def to_int(y: np.ndarray, bits: str) -> tuple[np.ndarray, int]:
    """Float samples to integers on the exact 2^-(bits-1) grid (round half away
    from zero, clipped), as int16 or as int32 with 24 bits in the top; and how
    many samples the clip changed (beyond full scale)."""
    k = FULL_SCALE[bits]
    r = np.round(y.astype(np.float64) * k)
    clipped = int(np.count_nonzero((r > k - 1) | (r < -k)))
    q = np.clip(r, -k, k - 1)
    if bits == "16":
        return q.astype(np.int16), clipped
    return (q.astype(np.int32) << 8), clipped


class Writer:
    """Write blocks to a temporary file; ``commit()`` renames it into place.
    ``peak`` is the largest magnitude written (after quantisation) and
    ``clipped`` how many samples quantisation had to clip."""

    def __init__(self, path: str, fs: int, channels: int, bits: str):
        self.path = path
        self.fmt, self.subtype = output_format(path, bits)
        self.bits = bits
        self.peak = 0.0
        self.clipped = 0
        self.frames = 0
        self._finished = False
        self._ctx = atomic_path(path, suffix=os.path.splitext(path)[1])
        self._tmp = self._ctx.__enter__()
        try:
            self._g = _Guarded(open(self._tmp, "wb+"))
            with signals_held():
                self._f = sf.SoundFile(self._g, "w", fs, channels, self.subtype, format=self.fmt)
        except Exception as e:
            self._ctx.__exit__(type(e), e, None)
            raise UserError(f"{path}: cannot write ({_why(e)})") from None

    @property
    def temp_path(self) -> str:
        """Where the file is being written (a finished one can be read there)."""
        return self._tmp

    def write(self, y: np.ndarray) -> None:
        if self.bits == "32f":
            data = y
            if len(y):
                self.peak = max(self.peak, float(np.max(np.abs(y))))
        else:
            data, clipped = to_int(y, self.bits)
            self.clipped += clipped
            if len(data):
                self.peak = max(self.peak, float(np.max(np.abs(data.astype(np.float64))))
                                / (2.0 ** 31 if self.bits == "24" else 32768.0))
        try:
            with signals_held():
                self._f.write(data)
        except (RuntimeError, OSError, AssertionError) as e:
            # soundfile asserts that libsndfile wrote every frame: a short
            # write (a full disk) surfaces as an AssertionError; the reason
            # is the OSError our file object kept
            self._fail(e)
        if self._g.error is not None:
            self._fail(self._g.error)
        self.frames += len(y)

    def _fail(self, e: BaseException):
        err = self._g.error if self._g.error is not None else e
        self.abort(err)
        if isinstance(err, OSError):
            raise file_error(self.path, err, "write") from None
        raise UserError(f"{self.path}: cannot write ({_why(err) or 'a short write'})") from None

    def finish(self) -> None:
        """Complete the temporary file (headers written, closed) without putting
        it in place yet: an album finishes every track before renaming any."""
        if self._finished:
            return
        try:
            with signals_held():
                self._f.close()
            self._g.close()
        except (RuntimeError, OSError) as e:
            self._fail(e)
        if self._g.error is not None:
            self._fail(self._g.error)
        self._finished = True

    def commit(self) -> None:
        """Finish, then rename into place."""
        self.finish()
        ctx, self._ctx = self._ctx, None
        ctx.__exit__(None, None, None)

    def abort(self, exc: BaseException | None = None) -> None:
        """Close and remove the temporary file (idempotent)."""
        if self._ctx is None:
            return
        ctx, self._ctx = self._ctx, None
        try:
            with signals_held():
                self._f.close()
        except (RuntimeError, OSError):
            pass        # thrown away: its close may fail the way its writes did
        try:
            self._g.close()
        except OSError:
            pass
        ctx.__exit__(_Discard, _Discard(), None)      # atomic_path removes the temp file


class _Discard(Exception):
    """Handed to atomic_path to make it throw the temp file away."""


def _why(e: BaseException) -> str:
    s = str(e).strip().splitlines()
    return s[-1] if s else type(e).__name__
