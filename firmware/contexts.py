"""Playback contexts from files: the engineer's own measured impulse
responses of playback systems (a phone's speaker, earbuds, a car), read at
start from the box's context folder (config ``contexts``) and ``--context
FILE`` in the laptop mode.

A file is checked like a reference track (readable, mono or stereo, at most
1 s), converted to the box's rate and cut into the convolution's partition
spectra (dsp/contexts.py) on the control thread, then placed in the sink's
context memory; the audio thread only plays a slot that is whole. A bad
file is one message; the contexts already loaded stay. No context ships
with the box (docs/delivery.md says why).
"""
from __future__ import annotations

import os

from dsp.contexts import MAX_SECONDS, SLOTS, Context, ContextBank, prepare
from dsp.errors import DspError

from .errors import UserError
from .offline import audiofile
from .references import fill_slots


def title(path: str) -> str:
    """A context's name on the screen: the file's name without its extension."""
    return os.path.splitext(os.path.basename(path))[0]


def read(sink, path: str, slot: int, fs: int) -> Context:
    """Load ``path`` into ``slot`` of the sink's context memory; UserError
    names what is wrong."""
    memory, base = sink.context_memory
    if len(memory) == 0:
        raise UserError("this sink has no memory for playback contexts")
    name = title(path)
    info = audiofile.check_input(path)
    if info.frames > MAX_SECONDS * info.samplerate:
        raise UserError(f"{os.path.basename(path)}: {info.frames / info.samplerate:.2f} s long; "
                        f"an impulse response is at most {MAX_SECONDS:g} s")
    x, rate = audiofile.read(path)
    try:
        return ContextBank(memory, base, fs).place(slot, prepare(x, rate, fs, os.path.basename(path)), name)
    except DspError as e:
        raise UserError(str(e)) from None


def load_all(session, paths: list[str], fs: int) -> list[str]:
    """Load up to SLOTS impulse responses into the session's sink, in order;
    one message per file refused (and for files past the fourth)."""
    return fill_slots(paths, SLOTS, "playback contexts",
                      lambda p, slot: session.add_context(read(session.sink, p, slot, fs), "contexts"))
