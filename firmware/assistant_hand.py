"""The assistant's hand on the panel: what it can be asked (a reference, a
learnt profile, the target, a word), the asking on a worker thread, and the
answer given to the session as ghosts."""
from __future__ import annotations

import os
import threading

from .errors import UserError
from .session import SLOTS, Session


PROFILE = "Profile: "


class AssistantHand:
    """The panel's way to ask the assistant: the asking runs on a worker
    thread (a proposal takes seconds: the panel stays live), the answer is
    collected by the UI loop and handed to the session as ghosts. Nothing is
    applied."""

    def __init__(self, session: Session, capture=None, profile_folder: str = ""):
        """``capture()`` returns (audio, rate): what the box heard lately (the
        engine's capture ring) or the laptop mode's source."""
        self.session = session
        self.capture = capture
        self.profile_folder = profile_folder
        self.busy = False
        self.note = ""
        self._result = None
        self._lock = threading.Lock()

    def items(self) -> list[str]:
        from .assistant.words import WORDS

        first = ["Match reference"] if self.session.references else []
        return first + [PROFILE + n for n in self._profiles()] + ["Target loudness"] + list(WORDS)

    def _profiles(self) -> list[str]:
        try:
            names = sorted(os.listdir(self.profile_folder)) if self.profile_folder else []
        except OSError:
            return []
        return [n[:-5] for n in names if n.endswith(".json")]

    def ask(self, item: str, now: float) -> None:
        if self.busy:
            raise UserError("the assistant is still listening")
        if self.capture is None:
            raise UserError("the assistant has nothing to listen to here")
        x, fs = self.capture()
        values = self.session.values
        target = self.session.target
        reference, profile, words, aspects = None, None, (), ("dynamics",)   # the target's loudness
        if item == "Match reference":
            reference, aspects = self._reference_audio(), ("tone", "dynamics", "width")
        elif item.startswith(PROFILE):
            from .assistant import profiles
            profile = profiles.load(os.path.join(self.profile_folder, item[len(PROFILE):] + ".json"))
            aspects = ("tone", "dynamics", "width")
        elif item != "Target loudness":
            words, aspects = (item,), ()
        self.busy = True
        self.note = ""

        def work():
            from .assistant.propose import propose
            try:
                p = propose(x, fs, values, reference=reference, words=words, target=target,
                            aspects=aspects, profile=profile)
                out = (p, None)
            except Exception as e:          # said on the screen; the box runs on
                out = (None, str(e))
            with self._lock:
                self._result = out

        threading.Thread(target=work, name="assistant", daemon=True).start()

    def _reference_audio(self):
        s = self.session
        from dsp.references import audio

        return audio(s.sink.reference_memory, s.references[s.reference_index].selector)

    def collect(self) -> str | None:
        """The finished answer, once: given to the session as ghosts; returns
        a line to flash, or None while nothing has finished."""
        with self._lock:
            out, self._result = self._result, None
        if out is None:
            return None
        self.busy = False
        p, err = out
        if err is not None:
            self.note = err
            return f"assistant: {err}"
        slot = lift_slot(self.session) if p.snapshot else None
        self.session.propose([(m.param, m.new, m.reason) for m in p.moves], "assistant", slot)
        n = len(self.session.ghosts)
        self.note = (f"{n} moves" + (f", {p.residual_db:.1f} dB off the reference" if p.residual_db
                                     is not None else "")
                     + (f" into {SLOTS[slot]}" if slot is not None else "")
                     ) if n else (p.notes[-1] if p.notes else "nothing to do")
        return self.note


def lift_slot(session: Session) -> int:
    """Where a proposed snapshot goes: the first empty slot, else D."""
    return next((i for i, snap in enumerate(session.snapshots()) if snap.values is None), len(SLOTS) - 1)
