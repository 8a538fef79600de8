"""The monitor stage's float32 memory R, one array the kernel reads: the
reference tracks (dsp/references.py) first, then, where the sink listens
live, the previews' regions: the playback contexts' IR spectra and delay
line (dsp/contexts.py) and the codec preview's rings (dsp/codec_ring.py).
A render's chain has none of it."""
from __future__ import annotations

import numpy as np

from . import codec_ring, contexts


def preview_words(fs: int) -> int:
    """float32 values of the previews' regions at ``fs``."""
    return contexts.memory_words(fs) + codec_ring.memory_words(fs)


def regions(R: np.ndarray, first: int, fs: int) -> dict[str, tuple[np.ndarray, int]]:
    """The previews' regions of R from index ``first``: {"contexts": (view,
    first index), "codec": (view, first index)}; empty views where R ends
    before them (a sink without previews)."""
    c0 = first
    k0 = c0 + contexts.memory_words(fs)
    end = k0 + codec_ring.memory_words(fs)
    if len(R) < end:
        return {"contexts": (R[:0], c0), "codec": (R[:0], k0)}
    return {"contexts": (R[c0:k0], c0), "codec": (R[k0:end], k0)}
