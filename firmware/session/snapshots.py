"""Snapshots A-D: store, recall (compared loudness-matched, or performed as
stored with a morph), and the recall mode."""
from __future__ import annotations

from ..errors import UserError
from .changes import Change, Snapshot, Step
from .listening import HOLD_LU

SLOTS = ("A", "B", "C", "D")
SETTLE_S = 3.5            # a snapshot's offset is trusted once a 3 s window holds only it
# Recall modes: "compare" hears a snapshot loudness-matched and at once (judging
# sound, not level); "perform" plays it as stored, morphing over morph_ms (a lift
# recalled by hand at the chorus must be heard louder, and must not jump).
RECALL_MODES = ("compare", "perform")
MORPH_MS = (50.0, 500.0)
MORPH_DEFAULT_MS = 200.0


def check_recall(mode, morph_ms) -> tuple[str, float]:
    """(mode, morph ms) checked: a recall mode and a morph time in range."""
    if mode not in RECALL_MODES:
        raise UserError(f"recall mode {mode!r}: use {' or '.join(RECALL_MODES)}")
    if isinstance(morph_ms, bool) or not isinstance(morph_ms, (int, float)) \
            or not MORPH_MS[0] <= morph_ms <= MORPH_MS[1]:
        raise UserError(f"morph time {morph_ms!r} ms: out of range {MORPH_MS[0]:g}..{MORPH_MS[1]:g} ms")
    return mode, float(morph_ms)


class SnapshotsTopic:
    @property
    def active_slot(self) -> int | None:
        return self._active_slot

    def snapshots(self) -> list[Snapshot]:
        with self._lock:
            return [Snapshot(None if s.values is None else dict(s.values), s.offset_db)
                    for s in self._snapshots]

    @property
    def recall_mode(self) -> tuple[str, float]:
        """(mode, morph time in ms): how a snapshot recall is heard."""
        return self._recall_mode, self._morph_ms

    def store(self, slot: int, source: str) -> Change:
        """Store the current values in snapshot ``slot`` (0-3), with the loudness
        offset the processing adds right now (when a sink measures it)."""
        self._check_slot(slot)
        with self._lock:
            self._guard()
            off = self.sink.match_offset_db if self.sink is not None else None
            self._snapshots[slot] = Snapshot(dict(self._values), off)
            self._active_slot = slot
            return self._emit(source, "store", {}, {"slot": slot, "offset_db": off})

    def recall(self, slot: int, source: str, mode: str | None = None) -> Change | None:
        """Recall snapshot ``slot`` as one undo step, heard the way ``mode``
        (default: the session's recall mode) says. "compare": at once and
        loudness-matched, lowered to the loudness of the quietest stored
        snapshot, so switching between them compares sound, not level.
        "perform": as stored (its level is part of it), every value moving
        along a straight line over the morph time. None if the slot is empty."""
        self._check_slot(slot)
        mode, _ = check_recall(self._recall_mode if mode is None else mode, self._morph_ms)
        with self._lock:
            self._guard()
            snap = self._snapshots[slot]
            if snap.values is None:
                return None
            self._end_audition()
            if mode == "perform":
                self._set_listen("processed", 0.0)    # first: a later publish would end the morph
            diff = {pid: (self._values[pid], v) for pid, v in snap.values.items()
                    if self._values[pid] != v}
            if diff:
                self._commit_values(diff, self._morph_ms / 1000.0 if mode == "perform" else None)
                self._push_undo(Step(diff, None, self._clock()))
                self._redo.clear()
            self._active_slot = slot
            self._recalled_at = self._clock()
            if mode == "perform":
                return self._emit(source, "recall", diff, {"slot": slot, "listen": "processed",
                                                           "morph_ms": self._morph_ms})
            offs = [s.offset_db for s in self._snapshots if s.values is not None and s.offset_db is not None]
            ref = min(offs) if offs else (self.sink.match_offset_db if self.sink is not None else 0.0)
            self._set_listen("matched", min(max(ref, -HOLD_LU), HOLD_LU))
            return self._emit(source, "recall", diff, {"slot": slot, "listen": "matched"})

    def set_recall_mode(self, mode: str | None, morph_ms: float | None, source: str) -> Change | None:
        """How recalls are heard: ``mode`` compare or perform, ``morph_ms``
        50-500 (None keeps either). Saved with the session."""
        with self._lock:
            self._guard()
            new = check_recall(self._recall_mode if mode is None else mode,
                               self._morph_ms if morph_ms is None else morph_ms)
            if new == (self._recall_mode, self._morph_ms):
                return None
            self._recall_mode, self._morph_ms = new
            return self._emit(source, "recall-mode", {}, {"mode": new[0], "morph_ms": new[1]})

    def tick(self, now: float | None = None) -> None:
        """Keep the playing snapshot's measured offset current once its 3 s
        window holds only it (a measurement, not a change: no revision)."""
        now = self._clock() if now is None else now
        with self._lock:
            if (self._listen[0] == "matched" and self._active_slot is not None
                    and self.sink is not None and now - self._recalled_at >= SETTLE_S):
                s = self._snapshots[self._active_slot]
                if s.values is not None:
                    s.offset_db = self.sink.match_offset_db

    def _check_slot(self, slot: int) -> None:
        if not (isinstance(slot, int) and 0 <= slot < len(SLOTS)):
            raise UserError(f"snapshot slot {slot!r}: use 0..{len(SLOTS) - 1} (A-D)")
