"""The controller: named actions from the panel (or keys, or a script) become
parameter moves, compare switches and snapshot recalls, and the state becomes the
view objects the screens draw.

It sits between ui/ (navigation, screens) and the audio (a ``Chain`` for files
and the laptop, the real-time ``Engine`` on the box): both offer ``values``,
``set``, ``set_monitor``, ``match_offset_db`` and ``gain_reduction_db``. Nothing
here runs on the audio thread.

Every move is undoable: turns of one control within UNDO_MERGE_S are one step.
Compare and snapshots are loudness-matched by the chain's monitor stage
(dsp/kernels/monitor.py); this module only chooses what is heard:

- compare: processed <-> the input, raised or lowered to the processed
  loudness. The offset removed is on screen.
- snapshots A-D: a recalled snapshot plays lowered to the loudness of the
  quietest stored one (offsets are measured over the input, live), so
  switching between them compares sound, not level. Any parameter move returns
  to plain processed listening, so the move itself is heard at its true level.
"""
from __future__ import annotations

import math

from dsp import params
from ui.actions import Action
from ui.navigation import SLOTS, ModuleEntry, Navigator
from ui.views import (Badge, MenuView, MeterView, ModuleView, ParamView, Screen, SnapshotView,
                      TargetView)

from .targets import TARGETS

UNDO_MERGE_S = 1.0
SETTLE_S = 3.5            # a snapshot's offset is trusted once a 3 s window holds only it
TITLES = {"input": "Input", "eq": "EQ", "glue": "Glue", "multiband": "Multiband",
          "saturation": "Saturation", "stereo": "Stereo", "clipper": "Clipper",
          "limiter": "Limiter", "output": "Output"}
GR_LABELS = (("glue", "G"), ("multiband.low", "L"), ("multiband.mid", "M"),
             ("multiband.high", "H"), ("clipper", "C"), ("limiter", "X"))


def module_entries() -> list[ModuleEntry]:
    """One page set per module, straight from the schema: its on switch goes on
    the bypass button, the rest four to a page in schema order."""
    out = []
    for mod in params.MODULES:
        ids = [p.id for p in params.SCHEMA if p.module == mod]
        on_id = f"{mod}.on" if f"{mod}.on" in ids else None
        rest = [i for i in ids if i != on_id]
        pages = [rest[i:i + 4] for i in range(0, len(rest), 4)]
        out.append(ModuleEntry(mod, TITLES.get(mod, mod.title()), on_id, pages))
    return out


def fraction(p: params.Param, v: float) -> float:
    """Position of a value along its control's taper, 0..1."""
    if p.choices:
        return v / max(len(p.choices) - 1, 1)
    if p.taper == "log":
        return math.log(v / p.min) / math.log(p.max / p.min)
    return (v - p.min) / (p.max - p.min)


def param_view(pid: str, v: float) -> ParamView:
    p = params.get(pid)
    origin = fraction(p, 0.0) if (p.unit == "dB" and p.min < 0 < p.max) else 0.0
    return ParamView(pid, p.label, p.format(v), fraction(p, v), origin)


class Snapshot:
    def __init__(self):
        self.values: dict | None = None
        self.offset: float | None = None


class Controller:
    def __init__(self, sink, meter=None, target: str = "streaming"):
        self.sink = sink
        self.meter = meter
        self.nav = Navigator(module_entries())
        self.undo: list[tuple[str, float, float, float]] = []   # (pid, old, new, time)
        self.redo: list[tuple[str, float, float, float]] = []
        self.snapshots = [Snapshot() for _ in SLOTS]
        self.active_slot: int | None = None
        self.recalled_at = -1e9
        self.mode = "processed"
        self.target = target if target in TARGETS else "streaming"
        self.status = ""
        self.alert_until = -1e9

    # ------------------------------------------------------------ actions
    def handle(self, action: Action, now: float) -> list[tuple]:
        cmds = self.nav.handle(action, now)
        for c in cmds:
            self.apply(c, now)
        return cmds

    def apply(self, c: tuple, now: float) -> None:
        kind = c[0]
        v = self.sink.values
        if kind == "step":
            _, pid, steps, fine = c
            self._move(pid, params.step_value(pid, v[pid], steps, fine), now)
        elif kind == "default":
            self._move(c[1], params.get(c[1]).default, now, merge=False)
        elif kind == "toggle":
            self._move(c[1], 1.0 - v[c[1]], now, merge=False)
        elif kind == "compare":
            self._listen("processed" if self.mode == "bypass" else "bypass")
        elif kind == "undo" and self.undo:
            pid, old, new, _ = self.undo.pop()
            self.redo.append((pid, old, new, now))
            self._set({pid: old})
            self.flash(f"undo {params.get(pid).label}", now)
        elif kind == "redo" and self.redo:
            pid, old, new, _ = self.redo.pop()
            self.undo.append((pid, old, new, -1e9))
            self._set({pid: new})
            self.flash(f"redo {params.get(pid).label}", now)
        elif kind == "store":
            s = self.snapshots[c[1]]
            s.values = dict(v)
            s.offset = self.sink.match_offset_db
            self.active_slot = c[1]
            self.flash(f"stored {SLOTS[c[1]]}", now)
        elif kind == "recall":
            s = self.snapshots[c[1]]
            if s.values is None:
                self.flash(f"{SLOTS[c[1]]} is empty (long push stores)", now)
                return
            changes = {k: x for k, x in s.values.items() if v.get(k) != x}
            for pid, x in changes.items():
                self.undo.append((pid, v[pid], x, -1e9))
            self.redo.clear()
            self._set(changes)
            self.active_slot = c[1]
            self.recalled_at = now
            self._listen("matched")
        elif kind == "target":
            names = list(TARGETS)
            i = (names.index(self.target) + c[1]) % len(names)
            self.target = names[i]

    def _move(self, pid: str, new: float, now: float, merge: bool = True) -> None:
        old = self.sink.values[pid]
        if new == old:
            return
        last = self.undo[-1] if self.undo else None
        if merge and last and last[0] == pid and now - last[3] < UNDO_MERGE_S:
            self.undo[-1] = (pid, last[1], new, now)
        else:
            self.undo.append((pid, old, new, now))
        self.redo.clear()
        if self.mode != "processed":
            self._listen("processed")      # hear the move at its true level
        self._set({pid: new})

    def _set(self, changes: dict) -> None:
        if changes:
            self.sink.set(changes)

    def _listen(self, mode: str) -> None:
        ref = 0.0
        if mode == "matched":
            offs = [s.offset for s in self.snapshots if s.values is not None and s.offset is not None]
            ref = min(offs) if offs else self.sink.match_offset_db
            ref = min(max(ref, -24.0), 24.0)
        self.sink.set_monitor(mode, ref)
        self.mode = mode

    def flash(self, text: str, now: float, seconds: float = 2.0) -> None:
        self.status = text
        self.alert_until = now + seconds

    def tick(self, now: float) -> None:
        """Keep the playing snapshot's measured offset current (once settled)."""
        if self.mode == "matched" and self.active_slot is not None \
                and now - self.recalled_at >= SETTLE_S:
            self.snapshots[self.active_slot].offset = self.sink.match_offset_db

    # ------------------------------------------------------------ views
    def meter_view(self) -> MeterView:
        r = self.meter.results() if self.meter is not None else {}
        gr = self.sink.gain_reduction_db()
        return MeterView(r.get("momentary_lufs", -math.inf), r.get("short_term_lufs", -math.inf),
                         r.get("integrated_lufs", -math.inf), r.get("true_peak_dbtp", -math.inf),
                         r.get("loudness_range_lu", math.nan), r.get("correlation"),
                         [(lab, gr[k]) for k, lab in GR_LABELS])

    def screen(self, now: float) -> Screen:
        nav = self.nav
        v = self.sink.values
        page = nav.page
        if page == "meters":
            body = self.meter_view()
        elif page == "menu":
            body = MenuView(nav.items, nav.cursor)
        elif page == "module":
            e = nav.entry
            body = ModuleView(e.key, e.title, nav.sub + 1, len(e.pages),
                              None if e.on_id is None else bool(v[e.on_id]),
                              [param_view(pid, v[pid]) for pid in nav.params()],
                              nav.focused(now))
        elif page == "target":
            t = TARGETS[self.target]
            r = self.meter.results() if self.meter is not None else {}
            body = TargetView(t.name, t.lufs, t.ceiling_dbtp, r.get("integrated_lufs", -math.inf),
                              r.get("true_peak_dbtp", -math.inf), t.tolerance_lu)
        else:
            body = SnapshotView([(SLOTS[i], s.values is not None, s.offset)
                                 for i, s in enumerate(self.snapshots)],
                                self.active_slot, self.mode == "matched")
        offset = self.sink.match_offset_db
        badge = Badge(self.mode, offset if self.mode == "bypass" else
                      (min(self.sink.monitor[1] - offset, 0.0) if self.mode == "matched" else 0.0))
        alert = now < self.alert_until
        return Screen(page, body, self.status if alert else "", alert, badge)
