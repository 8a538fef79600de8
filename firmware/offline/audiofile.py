"""Audio files through soundfile (libsndfile): WAV, FLAC, AIFF.

Reading validates what the chain can take and says plainly what is wrong;
writing quantises 16/24-bit output exactly (the chain's dither already put the
samples on the grid) and goes through an atomic rename.
"""
from __future__ import annotations

import os

import numpy as np
import soundfile as sf

from ..errors import UserError
from ..store.atomic import atomic_path

MIN_RATE, MAX_RATE = 32000, 192000
BOX_RATES = (44100, 48000, 88200, 96000)
FORMATS = {".wav": "WAV", ".flac": "FLAC", ".aif": "AIFF", ".aiff": "AIFF"}
BITS = ("16", "24", "32f")


def info(path: str):
    if not os.path.exists(path):
        raise UserError(f"{path}: no such file")
    try:
        return sf.info(path)
    except Exception as e:  # libsndfile says why in its message
        raise UserError(f"{path}: not a readable audio file ({_why(e)})") from None


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
    try:
        with sf.SoundFile(path) as f:
            while True:
                b = f.read(frames, dtype="float32", always_2d=True)
                if len(b) == 0:
                    return
                yield b
    except UserError:
        raise
    except Exception as e:
        raise UserError(f"{path}: could not read audio ({_why(e)})") from None


def read(path: str) -> tuple[np.ndarray, int]:
    i = check_input(path)
    data = np.concatenate(list(blocks(path, 1 << 16)))
    return data, i.samplerate


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


def to_int(y: np.ndarray, bits: str) -> np.ndarray:
    """Float samples to integers on the exact 2^-(bits-1) grid (round half away
    from zero, clipped), as int16 or as int32 with 24 bits in the top."""
    if bits == "16":
        q = np.clip(np.round(y.astype(np.float64) * 32768.0), -32768, 32767)
        return q.astype(np.int16)
    q = np.clip(np.round(y.astype(np.float64) * 8388608.0), -8388608, 8388607)
    return (q.astype(np.int32) << 8)


class Writer:
    """Write blocks to a temporary file; ``commit()`` renames it into place."""

    def __init__(self, path: str, fs: int, channels: int, bits: str):
        self.path = path
        self.fmt, self.subtype = output_format(path, bits)
        self.bits = bits
        self._ctx = atomic_path(path, suffix=os.path.splitext(path)[1])
        self._tmp = self._ctx.__enter__()
        try:
            self._f = sf.SoundFile(self._tmp, "w", fs, channels, self.subtype, format=self.fmt)
        except Exception as e:
            self._ctx.__exit__(type(e), e, None)
            raise UserError(f"{path}: cannot write ({_why(e)})") from None

    def write(self, y: np.ndarray) -> None:
        self._f.write(y if self.bits == "32f" else to_int(y, self.bits))

    def commit(self) -> None:
        self._f.close()
        self._ctx.__exit__(None, None, None)

    def abort(self, exc: BaseException | None = None) -> None:
        try:
            self._f.close()
        finally:
            self._ctx.__exit__(type(exc) if exc else RuntimeError, exc or RuntimeError(), None)


def _why(e: Exception) -> str:
    s = str(e).strip().splitlines()
    return s[-1] if s else type(e).__name__
