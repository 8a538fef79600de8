"""Navigation: named actions in, commands out. Pure state, no I/O, so every path
can be walked by a test, a keyboard or a MIDI map alike.

Pages: meters (home), menu, one page per module (its parameters four at a time,
one per encoder), target, snapshots. The controls:

  any page     compare: toggle processed / loudness-matched bypass
               compare long: snapshots page          back: up one level
               back long: home (meters)              bypass long: undo, double: redo
  meters       any encoder turn or push: the menu
  menu         encoder 1 turn: move, any push: open
  module       encoder k turn: parameter k (pushed in while turning: fine steps)
               encoder k push: next four parameters   encoder k long: parameter k to default
               bypass: the module on / off
  target       encoder 1 turn: the delivery target
  snapshots    encoder k push: recall A-D (heard loudness-matched)   encoder k long: store

A command is a tuple whose first item names it: ("step", pid, steps, fine),
("default", pid), ("toggle", pid), ("compare",), ("undo",), ("redo",),
("target", steps), ("recall", slot), ("store", slot), ("page", name).
"""
from __future__ import annotations

from dataclasses import dataclass

from .actions import ENCODERS, Action

SLOTS = ("A", "B", "C", "D")
FOCUS_S = 1.5        # the touched value stays big this long


@dataclass
class ModuleEntry:
    key: str             # module id, e.g. "glue"
    title: str
    on_id: str | None    # its on switch, toggled by the bypass button
    pages: list[list[str]]   # parameter ids, four per page


class Navigator:
    def __init__(self, modules: list[ModuleEntry]):
        if not modules:
            raise ValueError("navigator: no modules to show")
        self.modules = modules
        self.items = ["Meters"] + [m.title for m in modules] + ["Target", "Snapshots"]
        self.page = "meters"
        self.cursor = 0
        self.module = 0
        self.sub = 0
        self.focus: int | None = None
        self.focus_t = -1e9

    # ------------------------------------------------------------ state
    @property
    def entry(self) -> ModuleEntry:
        return self.modules[self.module]

    def params(self) -> list[str]:
        return self.entry.pages[self.sub]

    def focused(self, now: float) -> int | None:
        return self.focus if now - self.focus_t < FOCUS_S else None

    def open_item(self, i: int) -> list[tuple]:
        self.cursor = i
        name = self.items[i]
        if name == "Meters":
            self.page = "meters"
        elif name == "Target":
            self.page = "target"
        elif name == "Snapshots":
            self.page = "snapshots"
        else:
            self.page = "module"
            self.module = i - 1
            self.sub = 0
            self.focus = None
        return [("page", self.page)]

    def open_module(self, key: str) -> None:
        for i, m in enumerate(self.modules):
            if m.key == key:
                self.open_item(i + 1)
                return
        raise KeyError(f"no module page '{key}'")

    # ------------------------------------------------------------ actions
    def handle(self, a: Action, now: float = 0.0) -> list[tuple]:
        if a.control == "compare":
            if a.kind == "press":
                return [("compare",)]
            if a.kind == "long":
                self.page = "snapshots"
                return [("page", "snapshots")]
            return []
        if a.control == "back":
            if a.kind == "long":
                self.page = "meters"
                return [("page", "meters")]
            if a.kind == "press":
                self.page = "menu" if self.page != "menu" else "meters"
                return [("page", self.page)]
            return []
        if a.control == "bypass":
            if a.kind == "long":
                return [("undo",)]
            if a.kind == "double":
                return [("redo",)]
            if a.kind == "press" and self.page == "module" and self.entry.on_id:
                return [("toggle", self.entry.on_id)]
            return []
        k = ENCODERS.index(a.control)
        return getattr(self, "_" + self.page)(a, k, now)

    def _meters(self, a, k, now):
        self.page = "menu"
        return [("page", "menu")]

    def _menu(self, a, k, now):
        if a.kind == "turn" and k == 0:
            self.cursor = min(max(self.cursor + (1 if a.steps > 0 else -1), 0), len(self.items) - 1)
            return []
        if a.kind == "press":
            return self.open_item(self.cursor)
        return []

    def _module(self, a, k, now):
        ids = self.params()
        if a.kind == "press":
            self.sub = (self.sub + 1) % len(self.entry.pages)
            self.focus = None
            return []
        if k >= len(ids):
            return []
        if a.kind == "turn":
            self.focus, self.focus_t = k, now
            return [("step", ids[k], a.steps, a.fine)]
        if a.kind == "long":
            self.focus, self.focus_t = k, now
            return [("default", ids[k])]
        return []

    def _target(self, a, k, now):
        if a.kind == "turn" and k == 0:
            return [("target", 1 if a.steps > 0 else -1)]
        return []

    def _snapshots(self, a, k, now):
        if a.kind == "press":
            return [("recall", k)]
        if a.kind == "long":
            return [("store", k)]
        return []
