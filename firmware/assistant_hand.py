"""The assistant's hand on the panel: what it can be asked (a reference, a
learnt profile, the target, a word), the asking on a worker thread, and the
answer given to the session as ghosts."""
from __future__ import annotations

import os
import threading

from ui.views import PositionView, ProposalsView

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
        from .assistant.ranges import names
        from .assistant.words import VAGUE, WORDS

        first = ["Match reference"] if self.session.references else []
        return (first + [PROFILE + n for n in names() + self._profiles()] + ["Target loudness"]
                + [w for w in WORDS if w != "to target"] + list(VAGUE))

    def _profiles(self) -> list[str]:
        try:
            names = sorted(os.listdir(self.profile_folder)) if self.profile_folder else []
        except OSError:
            return []
        return [n[:-5] for n in names if n.endswith(".json")]

    def ask(self, item: str, now: float) -> None:
        """Ask one of items() (the panel's Assistant page, the page's and
        OSC's ``ask`` verb); the answer reaches the session from a worker."""
        if item not in self.items():
            raise UserError(f"ask: {item!r} is not something the assistant can be asked here "
                            f"(use one of: {', '.join(self.items())})")
        if self.capture is None:
            raise UserError("the assistant has nothing to listen to here")
        if self.busy:
            raise UserError("the assistant is still listening")
        x, fs = self.capture()
        values = self.session.values
        target = self.session.target
        from .assistant.words import vague

        reference, profile, words, aspects = None, None, (), ("dynamics",)   # the target's loudness
        to_target = item == "Target loudness"
        asks_back = vague(item) is not None
        if item == "Match reference":
            reference, aspects = self._reference_audio(), ("tone", "dynamics", "width")
        elif item.startswith(PROFILE):
            from .assistant import profiles, ranges
            name = item[len(PROFILE):]
            profile = ranges.find(name) or profiles.load(os.path.join(self.profile_folder, name + ".json"))
            aspects = ("tone", "dynamics", "width")
        elif not to_target:
            words, aspects = (item,), ()
        self.note = ""

        def work():
            from .assistant.ask import offered, readings
            from .assistant.propose import propose
            try:
                kw = dict(reference=reference, target=target, aspects=aspects, profile=profile,
                          to_target=to_target)
                if asks_back:
                    offers = readings(item, x, fs, values, **kw)
                    self.session.offer_readings(item, offered(offers), "assistant")
                    out = (None, None, f"'{item}' can mean {len(offers)} things: choose one")
                else:
                    p = propose(x, fs, values, words=words, **kw)
                    out = (p, None, self._give(p))
            except Exception as e:          # said on the screen; the box runs on
                out = (None, str(e), None)
            with self._lock:
                self._result = out
                self.busy = False

        with self._lock:
            if self.busy:
                raise UserError("the assistant is still listening")
            self.busy = True
        threading.Thread(target=work, name="assistant", daemon=True).start()

    def _reference_audio(self):
        s = self.session
        from dsp.references import audio

        return audio(s.sink.reference_memory, s.references[s.reference_index].selector)

    def collect(self) -> str | None:
        """What the last ask came to, once (its answer is already with the
        session: ghosts or readings on offer); None while nothing has finished."""
        with self._lock:
            out, self._result = self._result, None
        if out is None:
            return None
        _, err, note = out
        if err is not None:
            self.note = err
            return f"assistant: {err}"
        self.note = note
        return note

    def _give(self, p) -> str:
        """The proposal to the session as ghosts (from the worker: the session
        serialises every hand); returns the line to show."""
        slot = lift_slot(self.session) if p.snapshot else None
        info = None if p.profile_position is None else {"profile_position": p.profile_position}
        self.session.propose([(m.param, m.new, m.reason) for m in p.moves], "assistant", slot, info)
        n = len(self.session.ghosts)
        return (f"{n} moves" + (f", {p.residual_db:.1f} dB off the reference" if p.residual_db
                                is not None else "")
                + (f" into {SLOTS[slot]}" if slot is not None else "")
                ) if n else (p.notes[-1] if p.notes else "nothing to do")


def lift_slot(session: Session) -> int:
    """Where a proposed snapshot goes: the first empty slot, else D."""
    return next((i for i, snap in enumerate(session.snapshots()) if snap.values is None), len(SLOTS) - 1)


def readings_view(readings, nav) -> ProposalsView:
    """The proposals page while a vague request's readings are on offer:
    one row a reading, its line as the reason; encoder 1's push chooses."""
    word, offered = readings
    nav.proposal_count = len(offered)
    cur = min(nav.proposal_cursor, max(len(offered) - 1, 0))
    return ProposalsView([(f"{i + 1}", r.word, "") for i, r in enumerate(offered)], cur,
                         offered[cur].says if offered else "", asking=word)


def position_view(position: dict | None) -> PositionView:
    """The profile page from a proposal's profile position: where the
    programme sat before the moves (ranges.position); empty without one."""
    pos = (position or {}).get("before")
    if not pos:
        return PositionView("no profile asked", [], [], 0)
    rows = lambda f: [(r["q1"], r["median"], r["q3"], r["value"]) for r in pos[f]]  # noqa: E731
    out = sum(r["where"] != "inside" for f in ("mid_db", "side_db") for r in pos[f])
    return PositionView(pos["profile"], rows("mid_db"), rows("side_db"), out)
