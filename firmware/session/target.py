"""The delivery target the box works toward (the table of targets is
firmware/targets.py)."""
from __future__ import annotations

from ..errors import UserError
from ..targets import TARGETS
from .changes import Change


class TargetTopic:
    @property
    def target(self) -> str:
        return self._target

    def set_target(self, name: str, source: str) -> Change | None:
        with self._lock:
            self._guard()
            name = self._check_target(name)
            if name == self._target:
                return None
            old, self._target = self._target, name
            detail = self._back_to_processed() if self._listen[0] == "delivery" else {}
            return self._emit(source, "target", {}, {"target": name, "from": old, **detail})

    def _check_target(self, name: str) -> str:
        if name not in TARGETS:
            raise UserError(f"target {name!r}: unknown (known: {', '.join(TARGETS)})")
        return name
