"""The parameter values and their undo history: every hand's move comes
through apply(); quick turns of one control merge into one undo step."""
from __future__ import annotations

from dsp import params

from .changes import Change, Step

UNDO_MERGE_S = 1.0        # turns of one control within this are one undo step
UNDO_DEPTH = 500


class ValuesTopic:
    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def apply(self, changes: dict, source: str, gesture: str | None = None) -> Change | None:
        """Set parameter values. Every value is checked first (a bad one raises
        ParamError and nothing changes); values equal to the current ones are
        left out; nothing left means no revision. ``gesture`` (a control's id)
        merges quick successive moves of one control into one undo step. A
        parameter move returns listening to plain processed, so the move is
        heard at its true level."""
        with self._lock:
            self._guard()
            checked = {pid: params.check_value(pid, v) for pid, v in changes.items()}
            self._end_audition()
            diff = {pid: (self._values[pid], v) for pid, v in checked.items() if self._values[pid] != v}
            if not diff:
                return None
            now = self._clock()
            self._commit_values(diff)
            last = self._undo[-1] if self._undo else None
            if (gesture is not None and last is not None and last.gesture == gesture
                    and now - last.time < UNDO_MERGE_S and set(last.changes) == set(diff)):
                last.changes = {pid: (last.changes[pid][0], new) for pid, (_, new) in diff.items()}
                last.time = now
            else:
                self._push_undo(Step(diff, gesture, now))
            self._redo.clear()
            detail = self._back_to_processed()
            return self._emit(source, "values", diff, detail)

    def undo(self, source: str) -> Change | None:
        return self._replay(self._undo, "undo", source)

    def redo(self, source: str) -> Change | None:
        return self._replay(self._redo, "redo", source)

    def _replay(self, stack: list, kind: str, source: str) -> Change | None:
        """Take the newest step off ``stack`` (undo: backwards; redo:
        forwards) as one change, and keep it on the other stack."""
        with self._lock:
            self._guard()
            if not stack:
                return None
            self._end_audition()
            step = stack.pop()
            if kind == "undo":
                diff = {pid: (new, old) for pid, (old, new) in step.changes.items()}
                self._commit_values(diff)
                self._redo.append(step)
            else:
                diff = dict(step.changes)
                self._commit_values(diff)
                step.gesture = None             # a redone step never merges with a new move
                self._push_undo(step)
            return self._emit(source, kind, diff, self._back_to_processed())

    def _commit_values(self, diff: dict, morph_s: float | None = None) -> None:
        """Publish first: if the sink refuses (an engine whose callback stopped),
        the session keeps its old values and the error goes to the caller."""
        if self.sink is not None:
            changes = {pid: new for pid, (_, new) in diff.items()}
            if morph_s is None:
                self.sink.set_checked(changes)
            else:
                self.sink.set_checked(changes, morph_s=morph_s)
        for pid, (_, new) in diff.items():
            self._values[pid] = new
            if pid in self._ghosts and self._ghosts[pid][0] == new and self._ghost_slot is None:
                del self._ghosts[pid]           # a hand took the control to its ghost

    def _push_undo(self, step: Step) -> None:
        self._undo.append(step)
        if len(self._undo) > UNDO_DEPTH:
            del self._undo[0]
