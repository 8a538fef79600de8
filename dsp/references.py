"""Reference tracks in the monitor's memory (kernels/monitor.py, mode 3).

The memory is one float32 array the audio thread reads (the engine's arena
holds it; a Chain owns its own), split into SLOTS equal slots. A slot holds a
reference as frames of (left, right, true peak of the frame interval): the
peak is computed here, on load, so the callback's safety limiter only reads
it. Everything here runs off the audio thread; ``place`` writes into a slot
that is not playing (the caller moves playback away first).

    bank = ReferenceBank(memory, fs)
    ref = bank.place(1, prepare(x, fs_in, fs))      # -> Reference
    sink.set_reference(ref.selector)                 # what the monitor design takes
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from .errors import DspError
from .kernels import safety
from .kernels.common import JIT
from .meters import measure
from .modules.monitor import safety_taps
from .resample import Resampler

SLOTS = 4
WORDS_PER_FRAME = 3        # float32 left, right, peak
SEAM_S = 0.005             # fade in and out at the loop point, so the loop cannot click
QUIETEST_LUFS = -70.0      # BS.1770's absolute gate: below it there is nothing to match


@dataclass(frozen=True)
class Prepared:
    frames: np.ndarray      # (n, 3) float32: left, right, peak
    lufs: float             # integrated loudness, measured once


@dataclass(frozen=True)
class Reference:
    name: str
    slot: int
    frames: int
    seconds: float
    lufs: float
    true_peak_dbtp: float
    selector: tuple         # (first frame, frames, LUFS): monitor.design's reference


def frames_for(memory_bytes: int) -> int:
    """Frames one slot holds in a memory of ``memory_bytes``."""
    return int(memory_bytes) // (4 * WORDS_PER_FRAME * SLOTS)


def memory_array(memory_bytes: int) -> np.ndarray:
    """The float32 memory for SLOTS slots (zeros are mapped lazily: an unused
    slot costs nothing)."""
    return np.zeros(frames_for(memory_bytes) * SLOTS * WORDS_PER_FRAME, np.float32)


@njit(**JIT)
def _frame_peaks(padded, out, A, B, H, scratch):
    """out[t] = the true peak of frame interval [t, t+1) of padded[HALF:]:
    the same measurement the safety limiter makes on the live input."""
    safety.reset(scratch, 0, 2)
    left = padded[:, 0].copy()
    right = padded[:, 1].copy()
    safety.fill(left, right, 0, A, scratch, 0)
    for t in range(out.shape[0]):
        out[t] = safety.frame_peak(left, right, t, A, B, H, scratch, 0)


def prepare(x: np.ndarray, fs_in: int, fs: int, max_frames: int, name: str = "reference") -> Prepared:
    """A stereo reference at the box's rate with its frame peaks and loudness.
    x is (n, 1 or 2) float32. Raises DspError naming what is wrong."""
    x = np.asarray(x, np.float32)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] not in (1, 2):
        raise DspError(f"{name}: {x.shape[-1]} channels; a reference is mono or stereo")
    if x.shape[1] == 1:
        x = np.repeat(x, 2, axis=1)
    if not np.all(np.isfinite(x)):
        raise DspError(f"{name}: holds non-finite samples")
    if fs_in != fs:
        # the length check first, so an hour-long file is refused before converting it
        if len(x) * fs / fs_in > max_frames:
            raise _too_long(name, len(x) * fs / fs_in, max_frames, fs)
        r = Resampler(fs_in, fs, 2)
        x = np.concatenate([r.process(x), r.finish()])
    n = len(x)
    if n > max_frames:
        raise _too_long(name, n, max_frames, fs)
    if n < fs:
        raise DspError(f"{name}: {n / fs:.2f} s long; a reference needs at least 1 s")
    lufs = float(measure(x, fs)["integrated_lufs"])
    if not lufs > QUIETEST_LUFS:
        raise DspError(f"{name}: integrated loudness {lufs:.1f} LUFS; nothing above "
                       f"{QUIETEST_LUFS:g} LUFS to match")
    k = max(1, round(SEAM_S * fs))
    ramp = (0.5 - 0.5 * np.cos(np.pi * (np.arange(k) + 0.5) / k)).astype(np.float32)
    x = x.copy()
    x[:k] *= ramp[:, None]
    x[-k:] *= ramp[::-1, None]
    # it loops: the peaks near either end see the other end
    h = safety.HALF
    padded = np.concatenate([x[-h:], x, x[:h + 1]])
    out = np.empty((n, 3), np.float32)
    out[:, :2] = x
    peaks = np.empty(n)
    _frame_peaks(padded, peaks, *safety_taps(), np.zeros(safety.S_SIZE))
    out[:, 2] = peaks
    return Prepared(out, lufs)


def _too_long(name: str, n: float, max_frames: int, fs: int) -> DspError:
    return DspError(f"{name}: {n / fs:.0f} s long; a reference slot holds {max_frames / fs:.0f} s "
                    f"at {fs} Hz (raise references.memory_mb)")


def audio(memory: np.ndarray, selector: tuple) -> np.ndarray:
    """A placed reference's audio, (frames, 2) float32, copied out of the memory."""
    first, n, _ = selector
    w = WORDS_PER_FRAME
    return memory[w * first:w * (first + n)].reshape(n, w)[:, :2].copy()


class ReferenceBank:
    def __init__(self, memory: np.ndarray, fs: int):
        if memory.dtype != np.float32 or memory.ndim != 1:
            raise DspError("reference memory must be a flat float32 array")
        self.memory = memory
        self.fs = fs
        self.slot_frames = len(memory) // (WORDS_PER_FRAME * SLOTS)

    def place(self, slot: int, prep: Prepared, name: str) -> Reference:
        """Write a prepared reference into ``slot`` (0..SLOTS-1, not the one
        playing)."""
        if not 0 <= slot < SLOTS:
            raise DspError(f"reference slot {slot}: use 0..{SLOTS - 1}")
        n = len(prep.frames)
        if n > self.slot_frames:
            raise _too_long(name, n, self.slot_frames, self.fs)
        first = slot * self.slot_frames
        w = WORDS_PER_FRAME
        self.memory[w * first:w * (first + n)] = prep.frames.ravel()
        tp = float(np.max(prep.frames[:, 2]))
        return Reference(name, slot, n, n / self.fs, prep.lufs, float(20 * np.log10(max(tp, 1e-12))),
                         (first, n, prep.lufs))
