"""Reference tracks from files: the box's reference folder (config
``references``, for instance a mounted USB stick) and ``--reference FILE`` in
the laptop mode.

A file is checked (readable, mono or stereo, short enough for a slot of the
configured memory), converted to the box's rate, measured and placed in the
sink's reference memory (dsp/references.py) by the control thread; the audio
thread only ever reads a slot that is whole. A bad file is one message; the
references already loaded stay as they were.
"""
from __future__ import annotations

import os

from dsp.errors import DspError
from dsp.references import SLOTS, ReferenceBank, prepare, Reference

from .errors import UserError
from .offline import audiofile

EXTENSIONS = (".wav", ".flac", ".aif", ".aiff", ".ogg", ".mp3")
DEFAULT_MEMORY_MB = 256      # four slots of 1.9 min each at 48 kHz (12 bytes a frame);
                             # an empty slot costs nothing (its pages are never touched)


def folder_files(folder: str) -> list[str]:
    """The audio files in ``folder`` in name order (not its subfolders); an
    absent folder has none."""
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return []
    except OSError as e:
        raise UserError(f"reference folder {folder}: {e.strerror}") from None
    return [os.path.join(folder, n) for n in names
            if n.lower().endswith(EXTENSIONS) and not n.startswith(".")
            and os.path.isfile(os.path.join(folder, n))]


class Shelf:
    """The references loaded into one sink's memory (an Engine or a Chain:
    anything with ``reference_memory``)."""

    def __init__(self, sink, fs: int):
        self.bank = ReferenceBank(sink.reference_memory, int(fs))
        self.fs = int(fs)

    @property
    def max_seconds(self) -> float:
        return self.bank.slot_frames / self.fs

    def read(self, path: str, slot: int) -> Reference:
        """Load ``path`` into ``slot``; UserError names what is wrong."""
        if self.bank.slot_frames < self.fs:
            raise UserError("no memory for reference tracks (reference_memory_mb = 0)")
        name = os.path.basename(path)
        info = audiofile.check_input(path)
        if info.frames * self.fs / info.samplerate > self.bank.slot_frames:
            raise UserError(f"{name}: {info.frames / info.samplerate:.0f} s long; a reference slot "
                            f"holds {self.max_seconds:.0f} s (raise reference_memory_mb)")
        x, rate = audiofile.read(path)
        try:
            prep = prepare(x, rate, self.fs, self.bank.slot_frames, name)
            return self.bank.place(slot, prep, name)
        except DspError as e:
            raise UserError(str(e)) from None


def fill_slots(paths: list[str], slots: int, what: str, place) -> list[str]:
    """``place(path, slot)`` for up to ``slots`` files, in order, a slot for
    each that loads; one message per file refused (a UserError, or past the
    last slot: "only 4 <what> are held")."""
    problems = []
    slot = 0
    for p in paths:
        if slot >= slots:
            problems.append(f"{os.path.basename(p)}: only {slots} {what} are held")
            continue
        try:
            place(p, slot)
            slot += 1
        except UserError as e:
            problems.append(str(e))
    return problems


def load_all(session, paths: list[str], fs: int) -> list[str]:
    """Load up to SLOTS reference files into the session's sink, in order.
    Returns one message per file that was refused (and for files past the
    fourth); the others are loaded."""
    shelf = Shelf(session.sink, fs)
    return fill_slots(paths, SLOTS, "reference tracks",
                      lambda p, slot: session.add_reference(shelf.read(p, slot), "references"))
