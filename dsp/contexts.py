"""Playback contexts' impulse responses in the monitor's memory
(kernels/context.py).

An IR (mono or stereo, at most MAX_SECONDS) is converted to the box's rate,
cut into partitions of context.B frames and kept as their spectra (the
2B-point transform of each partition followed by B zeros), float32, in a
region of the sink's reference memory R after the reference tracks: SLOTS
IRs, then the convolution's frequency-domain delay line. Everything here runs
off the audio thread; ``place`` writes a slot the monitor is not playing.

    bank = ContextBank(memory, base, fs)     # memory: the region, base: its first float32 in R
    ctx = bank.place(0, prepare(h, fs_in, fs, "phone"))
    sink.set_context(ctx.selector)
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .bs1770 import k_weighting
from .errors import DspError
from .kernels import context as C
from .modules.monitor import NO_CONTEXT, context_delay_s  # noqa: F401 (NO_CONTEXT: re-exported)
from .resample import Resampler

SLOTS = 4
MAX_SECONDS = 1.0
PINK_FROM_HZ = 20.0             # G0: the IR's K-weighted gain on pink noise from here to 20 kHz


def partitions_for(fs: int, seconds: float = MAX_SECONDS) -> int:
    return max(1, math.ceil(seconds * fs / C.B))


def slot_words(fs: int) -> int:
    """float32 values one IR of MAX_SECONDS takes (and the delay line)."""
    return partitions_for(fs) * 4 * C.K


def memory_words(fs: int) -> int:
    """The float32 values of the whole context region at ``fs``."""
    return (SLOTS + 1) * slot_words(fs)


@dataclass(frozen=True)
class Prepared:
    spectra: np.ndarray     # (partitions, 4 K) float32: per partition left re, im, right re, im
    frames: int
    g0_db: float


@dataclass(frozen=True)
class Context:
    name: str
    slot: int
    seconds: float
    g0_db: float
    delay_s: float          # how late it is heard (modules.monitor.context_delay_s)
    selector: tuple


def loudness_gain_db(h: np.ndarray, fs: int) -> float:
    """dB that bring pink noise through ``h`` (frames x 2) back to its own
    K-weighted loudness: the context's matching gain before the first
    measurement (power spectra on a ~1 Hz grid, pink = 1/f)."""
    n = 1 << max(len(h), fs).bit_length()
    f = np.arange(n // 2 + 1) * fs / n
    band = (f >= PINK_FROM_HZ) & (f <= min(20000.0, 0.49 * fs))
    z = np.exp(-1j * np.pi * f[band] / (fs / 2))          # e^(-jw), w = 2 pi f / fs
    kw = np.ones(band.sum())
    for b0, b1, b2, a1, a2 in k_weighting(fs):
        kw *= np.abs((b0 + b1 * z + b2 * z * z) / (1 + a1 * z + a2 * z * z)) ** 2
    pink = kw / f[band]
    through = np.mean(np.abs(np.fft.rfft(h, n, axis=0)[band]) ** 2, axis=1)
    return float(-10.0 * np.log10(np.sum(pink * through) / np.sum(pink)))


def prepare(x: np.ndarray, fs_in: int, fs: int, name: str = "context") -> Prepared:
    """An IR's partition spectra at the box's rate. x is (n, 1 or 2). Raises
    DspError naming what is wrong."""
    x = np.asarray(x, np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] not in (1, 2):
        raise DspError(f"{name}: {x.shape[-1]} channels; an impulse response is mono or stereo")
    if x.shape[0] == 0:
        raise DspError(f"{name}: holds no samples")
    if x.shape[0] > MAX_SECONDS * fs_in:
        raise DspError(f"{name}: {x.shape[0] / fs_in:.2f} s long; an impulse response "
                       f"is at most {MAX_SECONDS:g} s")
    if not np.all(np.isfinite(x)):
        raise DspError(f"{name}: holds non-finite samples")
    if x.shape[1] == 1:
        x = np.repeat(x, 2, axis=1)
    if fs_in != fs:
        r = Resampler(fs_in, fs, 2)
        x = np.concatenate([r.process(x.astype(np.float32)), r.finish()]).astype(np.float64)
        x = x[:partitions_for(fs) * C.B]
    if not np.any(np.abs(x) > 1e-9):
        raise DspError(f"{name}: is silent; nothing to play through")
    g0 = loudness_gain_db(x, fs)
    if not abs(g0) <= C.HOLD_DB:
        raise DspError(f"{name}: passes pink noise at {-g0:+.1f} dB; a context is matched "
                       f"within +-{C.HOLD_DB:g} dB")
    parts = math.ceil(len(x) / C.B)
    padded = np.zeros((parts, C.M, 2))
    padded[:, :C.B] = np.pad(x, ((0, parts * C.B - len(x)), (0, 0))).reshape(parts, C.B, 2)
    spec = np.fft.rfft(padded, axis=1).transpose(0, 2, 1)     # (parts, channel, K)
    out = np.empty((parts, 2, 2, C.K), np.float32)            # [part][channel][re, im][bin]
    out[:, :, 0] = spec.real
    out[:, :, 1] = spec.imag
    return Prepared(out.reshape(parts, 4 * C.K), len(x), g0)


class ContextBank:
    def __init__(self, memory: np.ndarray, base: int, fs: int):
        """``memory``: the context region (float32), ``base``: its first value's index in R."""
        if memory.dtype != np.float32 or memory.ndim != 1:
            raise DspError("context memory must be a flat float32 array")
        if len(memory) < memory_words(fs):
            raise DspError(f"context memory of {len(memory)} values; {memory_words(fs)} "
                           f"are needed at {fs} Hz")
        self.memory = memory
        self.base = int(base)
        self.fs = int(fs)
        self.slot = slot_words(fs)

    def place(self, slot: int, prep: Prepared, name: str) -> Context:
        """Write a prepared IR into ``slot`` (0..SLOTS-1, not the one playing)."""
        if not 0 <= slot < SLOTS:
            raise DspError(f"context slot {slot}: use 0..{SLOTS - 1}")
        words = prep.spectra.size
        if words > self.slot:
            raise DspError(f"{name}: {prep.frames / self.fs:.2f} s long; a context slot "
                           f"holds {MAX_SECONDS:g} s")
        at = slot * self.slot
        self.memory[at:at + words] = prep.spectra.ravel()
        fdl = self.base + SLOTS * self.slot
        return Context(name, slot, prep.frames / self.fs, prep.g0_db, context_delay_s(self.fs),
                       (self.base + at, len(prep.spectra), fdl, prep.g0_db))
