"""MIDI bindings (a controller's CC or NRPN -> a parameter and how it moves
it): learnt on the box or read from a map file, saved with the session.
Changed only here, under the session's lock and with a revision, so
autosave and every surface see a new binding when it is made."""
from __future__ import annotations

import types

from dsp import params

from ..errors import UserError
from .changes import Change


class BindingsTopic:
    @property
    def bindings(self) -> types.MappingProxyType:
        """key -> {"param", "mode"}: a read-only view (the MIDI reader looks
        bindings up per message; a change replaces the table whole)."""
        return types.MappingProxyType(self._bindings)

    def bind(self, table: dict, source: str) -> Change | None:
        """Add or replace bindings (``key -> {"param": pid, "mode": mode}``):
        one learnt control, or a map file's table. None if nothing changed."""
        with self._lock:
            self._guard()
            new = {}
            for key, b in table.items():
                if not isinstance(b, dict) or "param" not in b or "mode" not in b:
                    raise UserError(f"MIDI binding {key!r}: needs a param and a mode, got {b!r}")
                params.get(b["param"])           # an unknown parameter is refused by name
                if self._bindings.get(key) != b:
                    new[key] = {"param": b["param"], "mode": b["mode"]}
            if not new:
                return None
            self._bindings = {**self._bindings, **new}
            return self._emit(source, "bindings", {}, {"bound": sorted(new)})
