"""The active preset and its modified mark, loading a preset, restoring a
saved state, and following a preset's save and rename."""
from __future__ import annotations

from dsp import params

from ..errors import UserError
from .changes import Change, Snapshot, Step
from .snapshots import MORPH_DEFAULT_MS, check_recall


class PresetsTopic:
    @property
    def preset(self) -> str | None:
        return self._preset

    @property
    def modified(self) -> bool:
        """The values differ from the active preset's as it was loaded."""
        return self._preset_values is not None and self._preset_values != self._values

    def load_preset(self, name: str, values: dict, source: str = "preset") -> Change:
        """Load a preset's complete values as one undoable step; it becomes the
        active preset, unmodified."""
        if not name:
            raise UserError("a preset needs a name")
        with self._lock:
            self._guard()
            full = params.check_values(values)
            self._end_audition()
            diff = {pid: (self._values[pid], v) for pid, v in full.items() if self._values[pid] != v}
            if diff:
                self._commit_values(diff)
                self._push_undo(Step(diff, None, self._clock()))
                self._redo.clear()
            self._preset = name
            self._preset_values = dict(self._values)
            return self._emit(source, "preset", diff, {"preset": name, **self._back_to_processed()})

    def restore(self, state: dict, source: str = "restore") -> Change:
        """Become a saved state (store/state.py's shape): values, snapshots with
        their offsets, target, active preset as loaded (so its modified mark
        is right), MIDI bindings. Listening goes back to plain processed; the
        undo history starts afresh."""
        with self._lock:
            self._guard()
            full = params.check_values(state["values"])
            self._end_audition()
            self._ghosts.clear()
            self._ghost_slot = None
            diff = {pid: (self._values[pid], v) for pid, v in full.items() if self._values[pid] != v}
            if diff:
                self._commit_values(diff)
            self._undo.clear()
            self._redo.clear()
            self._snapshots = [Snapshot(None if s["values"] is None else params.check_values(s["values"]),
                                        s["offset_db"]) for s in state["snapshots"]]
            self._active_slot = None
            self._target = self._check_target(state["target"])
            self._preset = state.get("preset")
            pv = state.get("preset_values")
            self._preset_values = (dict(params.check_values(pv)) if pv is not None
                                   else (dict(self._values) if self._preset else None))
            self._bindings = dict(state.get("bindings") or {})
            rec = state.get("recall") or {}
            self._recall_mode, self._morph_ms = check_recall(rec.get("mode", "compare"),
                                                             rec.get("morph_ms", MORPH_DEFAULT_MS))
            detail = self._back_to_processed()
            return self._emit(source, "restore", diff, {"preset": self._preset, **detail})

    def saved_as_preset(self, name: str, source: str) -> Change:
        """The current values were just saved as preset ``name``: it becomes
        the active preset, unmodified."""
        with self._lock:
            self._guard()
            self._preset = name
            self._preset_values = dict(self._values)
            return self._emit(source, "preset-saved", {}, {"preset": name})

    def preset_renamed(self, old: str, new: str, source: str) -> Change | None:
        """A preset's file was renamed: if it is the active one, its name follows."""
        with self._lock:
            self._guard()
            if self._preset != old:
                return None
            self._preset = new
            return self._emit(source, "preset-renamed", {}, {"preset": new, "from": old})
