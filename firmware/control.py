"""The panel's hands on the session, and the screen's view of it.

Named actions (from the encoders and buttons, the laptop's keys or a script)
go through ui/navigation.py, which says what they mean on the page at hand;
this module turns those commands into session operations (firmware/session.py)
and fills the view objects the screens draw from the session's state and the
meters. Nothing here runs on the audio thread, and nothing here holds state
the session should: undo, snapshots, target and listening mode live there.

Compare and snapshots are loudness-matched by the chain's monitor stage
(dsp/kernels/monitor.py); the session chooses what is heard.
"""
from __future__ import annotations

import math

from dsp import modules, params
from ui.actions import Action
from ui.navigation import ModuleEntry, Navigator
from ui.views import (Badge, MenuView, MeterView, ModuleView, ParamView, Screen, SnapshotView,
                      TargetView)

from .offline.targets import TARGETS
from .session import SLOTS, Session

GR_LABELS = (("glue", "G"), ("multiband.low", "L"), ("multiband.mid", "M"),
             ("multiband.high", "H"), ("clipper", "C"), ("limiter", "X"))


def module_entries() -> list[ModuleEntry]:
    """One page set per module, straight from the schema: its on switch goes on
    the bypass button, the rest four to a page in schema order."""
    out = []
    for m in modules.ALL:
        ids = [p.id for p in m.PARAMS]
        on_id = f"{m.NAME}.on" if f"{m.NAME}.on" in ids else None
        rest = [i for i in ids if i != on_id]
        pages = [rest[i:i + 4] for i in range(0, len(rest), 4)]
        out.append(ModuleEntry(m.NAME, m.TITLE, on_id, pages))
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


class Controller:
    def __init__(self, session: Session, meter=None, source: str = "panel"):
        self.session = session
        self.meter = meter
        self.source = source
        self.nav = Navigator(module_entries())
        self.status = ""
        self.alert_until = -1e9

    @property
    def sink(self):
        return self.session.sink

    # ------------------------------------------------------------ actions
    def handle(self, action: Action, now: float) -> list[tuple]:
        cmds = self.nav.handle(action, now)
        for c in cmds:
            self.apply(c, now)
        return cmds

    def apply(self, c: tuple, now: float) -> None:
        s = self.session
        kind = c[0]
        src = self.source
        if kind == "step":
            _, pid, steps, fine = c
            s.apply({pid: params.step_value(pid, s.value(pid), steps, fine)}, src, gesture=pid)
        elif kind == "default":
            s.apply({c[1]: params.get(c[1]).default}, src)
        elif kind == "toggle":
            s.apply({c[1]: 1.0 - s.value(c[1])}, src)
        elif kind == "compare":
            s.listen("processed" if s.listening[0] == "bypass" else "bypass", src)
        elif kind in ("undo", "redo"):
            ch = s.undo(src) if kind == "undo" else s.redo(src)
            if ch is not None and ch.values:
                labels = sorted({params.get(pid).label for pid in ch.values})
                self.flash(f"{kind} {labels[0]}" + (f" +{len(labels) - 1}" if len(labels) > 1 else ""), now)
        elif kind == "store":
            s.store(c[1], src)
            self.flash(f"stored {SLOTS[c[1]]}", now)
        elif kind == "recall":
            if s.recall(c[1], src) is None:
                self.flash(f"{SLOTS[c[1]]} is empty (long push stores)", now)
        elif kind == "target":
            names = list(TARGETS)
            s.set_target(names[(names.index(s.target) + c[1]) % len(names)], src)

    def flash(self, text: str, now: float, seconds: float = 2.0) -> None:
        self.status = text
        self.alert_until = now + seconds

    def tick(self, now: float) -> None:
        self.session.tick(now)

    # ------------------------------------------------------------ views
    def meter_view(self) -> MeterView:
        r = self.meter.results() if self.meter is not None else {}
        gr = self.sink.gain_reduction_db() if self.sink is not None else {}
        return MeterView(r.get("momentary_lufs", -math.inf), r.get("short_term_lufs", -math.inf),
                         r.get("integrated_lufs", -math.inf), r.get("true_peak_dbtp", -math.inf),
                         r.get("loudness_range_lu", math.nan), r.get("correlation"),
                         [(lab, gr.get(k, 0.0)) for k, lab in GR_LABELS])

    def screen(self, now: float) -> Screen:
        nav = self.nav
        s = self.session
        v = s.values
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
            t = TARGETS[s.target]
            r = self.meter.results() if self.meter is not None else {}
            body = TargetView(t.name, t.lufs, t.ceiling_dbtp, r.get("integrated_lufs", -math.inf),
                              r.get("true_peak_dbtp", -math.inf), t.tolerance_lu)
        else:
            body = SnapshotView([(SLOTS[i], snap.values is not None, snap.offset_db)
                                 for i, snap in enumerate(s.snapshots())],
                                s.active_slot, s.listening[0] == "matched")
        mode, ref = s.listening
        offset = self.sink.match_offset_db if self.sink is not None else 0.0
        badge = Badge(mode, offset if mode == "bypass" else
                      (min(ref - offset, 0.0) if mode == "matched" else 0.0))
        alert = now < self.alert_until
        return Screen(page, body, self.status if alert else "", alert, badge)
