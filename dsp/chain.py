"""The mastering chain: a Python wrapper that validates and allocates, around the
numba chain kernel that only computes into caller-owned arrays.

    chain = Chain(48000, {"glue.ratio": 2.0, "limiter.on": 1})
    y = chain.process(x)          # x: (n, 2) float32, any n
    chain.set({"eq.bell2_gain_db": -1.5})   # click-free: ramps over ~20 ms

Order: input -> EQ -> glue -> multiband -> [saturation -> stereo -> clipper at 4x]
-> true-peak limiter -> output -> monitor. Latency is constant (``latency``
frames) whatever is bypassed; every module at its default is transparent: the
output equals the input delayed by ``latency``. A change redesigns only the
modules it touches (dsp/design.py).
"""
from __future__ import annotations

import numpy as np

from . import modules, params
from .design import Controls, Designer, initial_state, latency_frames
from .errors import DspError
from .kernels import chain as K
from .kernels import monitor
from .monitor_memory import preview_words, regions
from .references import memory_array

MIN_RATE = 32000
MAX_RATE = 192000


class ChainError(DspError):
    pass


class Chain(Controls):
    error = ChainError

    def __init__(self, fs: float, values: dict | None = None, reference_bytes: int = 0,
                 monitor: bool = True, previews: bool = False):
        """``reference_bytes``: memory for reference tracks (dsp/references.py),
        0 for none (renders); ``previews``: memory for the live previews
        after them, playback contexts and the codec preview
        (dsp/monitor_memory.py). ``monitor`` False leaves the monitor stage out
        (a render: what it does serves listening; its processed mode leaves
        the output as it is, so the result is the same, sooner)."""
        if not (isinstance(fs, (int, float)) and MIN_RATE <= fs <= MAX_RATE):
            raise ChainError(f"sample rate {fs!r} Hz is out of range {MIN_RATE}..{MAX_RATE} Hz")
        self.fs = float(fs)
        self._design = Designer(self.fs, params.check_values(values or {}))
        self._seq = 1
        self.T = self._design.T            # the kernel reads the designer's set in place
        self.T[K.T_SEQ] = self._seq
        self.T[K.T_MONITOR] = 1.0 if monitor else 0.0
        self.S = initial_state(self.T)
        self.W = np.zeros((K.CHUNK, K.W_COLS))
        refs = memory_array(reference_bytes) if reference_bytes else np.zeros(3, np.float32)
        self._refs = len(refs)
        self.R = np.concatenate([refs, np.zeros(preview_words(int(fs)) if previews else 0, np.float32)])
        self._attach_previews(regions(self.R, self._refs, int(fs)))

    @property
    def reference_memory(self) -> np.ndarray:
        return self.R[:self._refs]

    def _monitor_state(self) -> np.ndarray:
        return self.S[K.SB_MON:K.SB_MON + monitor.S_SIZE]

    def _store(self) -> None:
        self._seq += 1                     # the kernel reads the set in place: a new number
        self.T[K.T_SEQ] = self._seq

    def reset(self) -> None:
        """Empty every filter, delay and envelope (coefficients stay)."""
        self.S = initial_state(self.T)

    @property
    def latency(self) -> int:
        """Input-to-output delay in frames, constant whatever is bypassed."""
        return latency_frames(self.fs)

    # ------------------------------------------------------------ audio
    def process(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Process n stereo frames (float32, shape (n, 2)); returns (n, 2) float32."""
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != 2:
            raise ChainError(f"audio block must have shape (frames, 2), got {x.shape}")
        if x.dtype != np.float32 or not x.flags.c_contiguous:
            x = np.ascontiguousarray(x, dtype=np.float32)
        if out is None:
            out = np.empty_like(x)
        K.process(x, out, x.shape[0], self.T, self.S, self.W, self.R)
        return out

    # ------------------------------------------------------------ readouts
    @property
    def nonfinite_samples(self) -> int:
        """Input samples that were NaN or infinite and were replaced by silence."""
        return int(self.S[K.S_NONFINITE])

    @property
    def faults(self) -> int:
        """Blocks in which a module's state went non-finite; the kernel silenced
        that output and reset every module's state."""
        return int(self.S[K.S_FAULTS])

    @property
    def match_offset_db(self) -> float:
        """Short-term loudness of the processed output minus that of the input
        (LU, 3 s window): what the processing adds, and what compare removes."""
        return match_offset_db(self.S)

    @property
    def reference_offset_db(self) -> float:
        """What the playing reference is raised by to match the programme, dB."""
        return reference_offset_db(self.S, self.T)

    def gain_reduction_db(self) -> dict[str, float]:
        """The dynamics stages' current gain reduction, dB (positive = reduction)."""
        return gain_reduction_db(self.S)

    def boosts(self) -> dict[str, float]:
        """The upward stages' current gain, dB (positive = raised)."""
        return gain_reduction_db(self.S, "boosts")


def gain_reduction_db(S: np.ndarray, readout: str = "readouts") -> dict[str, float]:
    """Per-stage gain reduction read from a chain state array (the engine's too),
    in chain order, from each module's readouts (``readout`` "boosts": the
    upward gains instead, dB, positive = raised)."""
    out = {}
    for m in modules.ALL:
        if hasattr(m, readout):
            b = K.S_BASE[m.STAGE]
            out.update(getattr(m, readout)(S[b:b + dict(K.STAGES)[m.STAGE].S_SIZE]))
    return out


def match_offset_db(S: np.ndarray) -> float:
    return float(S[K.SB_MON + monitor.S_D])


def reference_offset_db(S: np.ndarray, T: np.ndarray) -> float:
    return float(monitor.reference_offset(T[K.TB_MON:K.TB_MON + monitor.T_SIZE],
                                          S[K.SB_MON:K.SB_MON + monitor.S_SIZE]))
