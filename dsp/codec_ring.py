"""The live codec preview's memory (kernels/monitor.py, modes "codec" and
"codec difference"): a region of the sink's monitor memory R after the
playback contexts, float32.

    P      the processed output, (N, 2) frames, written by the audio thread at
           its absolute frame number mod N while the preview runs;
    DL, DR the decoded signal, per channel, each frame at p and p + N (so the
           safety limiter reads any window contiguously), written by the
           codec worker (firmware/codec_preview.py) at the absolute number of
           the processed frame it decodes;
    ST     a stamp per block of BLOCK decoded frames: the block's number + 1
           (mod 2^22), written after its frames, so the audio thread can tell
           a block that is there from one left over from a ring ago.

The monitor plays frame ``now - DELAY`` of the decoded signal: the worker has
that long to encode and decode it (ffmpeg through pipes answers in ~60 ms on
this machine); a block not there in time is played as silence and counted.
"""
from __future__ import annotations

import math

import numpy as np

from .errors import DspError
from .kernels.monitor import CODEC_BLOCK, CODEC_STAMP_MOD

DELAY_S = 0.5              # how late the preview is heard: the worker's deadline
BLOCK = CODEC_BLOCK        # frames per stamp
STAMP_MOD = CODEC_STAMP_MOD   # stamps stay exact in float32


def ring_frames(fs: int) -> int:
    """N: a power of 2 holding twice the delay."""
    return 1 << math.ceil(math.log2(2 * DELAY_S * fs))


def delay_frames(fs: int) -> int:
    return round(DELAY_S * fs)


def memory_words(fs: int) -> int:
    n = ring_frames(fs)
    return 2 * n + 4 * n + n // BLOCK


def stamp(block: int) -> float:
    return float(block % STAMP_MOD + 1)


class CodecRing:
    def __init__(self, memory: np.ndarray, base: int, fs: int):
        """``memory``: the region (float32), ``base``: its first value's index in R."""
        if memory.dtype != np.float32 or memory.ndim != 1:
            raise DspError("codec memory must be a flat float32 array")
        if len(memory) < memory_words(fs):
            raise DspError(f"codec memory of {len(memory)} values; {memory_words(fs)} are "
                           f"needed at {fs} Hz")
        n = self.n = ring_frames(fs)
        self.fs = fs
        self.delay = delay_frames(fs)
        self.p = memory[:2 * n].reshape(n, 2)
        self.dl = memory[2 * n:4 * n]
        self.dr = memory[4 * n:6 * n]
        self.st = memory[6 * n:6 * n + n // BLOCK]
        self.selector = (base, base + 2 * n, base + 4 * n, base + 6 * n, n, self.delay)

    def processed(self, a0: int, count: int) -> np.ndarray:
        """Processed frames a0 .. a0 + count - 1 (absolute numbers; count <= N), copied."""
        idx = (a0 + np.arange(count)) & (self.n - 1)
        return self.p[idx]

    def put(self, a0: int, frames: np.ndarray) -> None:
        """Decoded frames for processed frames a0 .. (absolute numbers, in
        order, count <= N, the first put of a preview at a block's start);
        stamps every block that ends within them."""
        count = len(frames)
        idx = (a0 + np.arange(count)) & (self.n - 1)
        for ch, ring in ((0, self.dl), (1, self.dr)):
            ring[idx] = frames[:, ch]
            ring[idx + self.n] = frames[:, ch]
        for b in range(a0 // BLOCK, (a0 + count) // BLOCK):
            self.st[b % len(self.st)] = stamp(b)

    def clear(self) -> None:
        """Forget every decoded block (a fresh preview must not play an old one)."""
        self.st[:] = 0.0
