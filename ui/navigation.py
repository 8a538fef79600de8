"""Navigation: named actions in, commands out. Pure state, no I/O, so every path
can be walked by a test, a keyboard or a MIDI map alike.

Pages: meters (home), menu, loudness (the last minute), reduction (gain
reduction per stage), phase (correlation, balance), one page per module (its
parameters four at a time, one per encoder), target, snapshots, references,
presets. The controls:

  any page     compare: toggle processed / loudness-matched bypass
               compare double: next listening mode (stereo, mono, mid, side, delta,
                 and the taps of the dynamic EQ bands and de-esser that are on)
               compare long: snapshots page          back: up one level
               back long: home (meters)              bypass long: undo, double: redo
               back double: REF, the chosen reference track / the programme
  meters       any encoder turn or push: the menu (so on loudness, reduction, phase)
  menu         encoder 1 turn: move, any push: open
  module       encoder k turn: parameter k (pushed in while turning: fine steps)
               encoder k push: next four parameters   encoder k long: parameter k to default
               encoder k double: MIDI learn (the next MIDI control that moves drives it)
               bypass: the module on / off
  target       encoder 1 turn: the delivery target
               encoder 2 turn: hear it on a streaming platform (off, Spotify, ...)
               encoder 3 turn: hear it through a playback context (off, then the loaded IRs)
               encoder 4 turn: hear it through a codec, live (off, AAC, AAC difference, MP3, ...)
               any encoder push: DELIVERY on / off: hear what a render to the target
               writes (the page says which: a plain gain, or drive added)
  snapshots    encoder k push: recall A-D   encoder k long: store
               encoder k double: save snapshot k as a preset (a name first)
               any encoder turn: how a recall is heard: compare (loudness-matched, at
               once) or perform (as stored, morphing over 50-500 ms: a lift at the chorus)
  references   encoder 1 turn: choose the reference (heard at once if one plays)
               any encoder push: REF
  assistant    encoder 1 turn: what to ask (match the reference, the target, a word), push: ask
  proposals    encoder 1 turn: choose a move, push: accept it (one undo step), long: accept
               its module's moves; encoder 2 held: audition while held (matched, applies
               nothing), push: audition on/off;
               encoder 4 push: reject the move, long: reject them all
  module       a proposed value shows as a hollow tick on its bar; turning stops there
  remote       the pairing code and who is connected (any encoder: the menu)
  presets      encoder 1 turn: choose, push: load   encoder 2 push: save as new (a name first)
               encoder 3 push: overwrite the chosen one (asks)   encoder 3 long: rename it
               encoder 4 push: delete the chosen one (asks)
  name         encoder 1 turn: the character   push: the next one   long: done
               encoder 2 push: delete a character   back: cancel
  confirm      any encoder push: yes   back: no

A command is a tuple whose first item names it: ("step", pid, steps, fine),
("default", pid), ("toggle", pid), ("compare",), ("undo",), ("redo",),
("target", steps), ("platform", steps), ("context", steps), ("codec", steps), ("delivery",), ("ref",), ("ref_step", steps), ("assist", i), ("accept", i),
("accept_module", i), ("reject", i), ("reject_all",), ("audition",), ("audition_hold", on),
("learn", pid),
("recall", slot), ("store", slot), ("recall_mode", steps), ("page", name),
("preset_load", i), ("preset_overwrite", i), ("preset_rename", i),
("preset_delete", i), ("snapshot_to_preset", slot), ("name_done", mode, text, arg),
and whatever command a confirm page was asked to give on yes.
"""
from __future__ import annotations

from dataclasses import dataclass

from .actions import ENCODERS, Action

SLOTS = ("A", "B", "C", "D")
VIEWS = {"Loudness": "loudness", "Reduction": "reduction", "Phase": "phase"}   # meters over time
# the menu's items that open a page of their own (the modules open "module")
PAGES = {"Meters": "meters", "Target": "target", "Snapshots": "snapshots", "Presets": "presets",
         "References": "references", "Assistant": "assist", "Proposals": "proposals",
         "Remote": "remote", **VIEWS}
FOCUS_S = 1.5        # the touched value stays big this long
# (encoder, gesture) on the proposals and presets pages: the command for the item under the cursor
PROPOSAL_GESTURES = {(0, "press"): "accept", (0, "long"): "accept_module", (3, "press"): "reject"}
PRESET_GESTURES = {(0, "press"): "preset_load", (2, "press"): "preset_overwrite",
                   (2, "long"): "preset_rename", (3, "press"): "preset_delete"}
# the character wheel of the name page: the order a turn walks through
NAME_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -_."
NAME_MAX = 24


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
        # the meters over time after the modules, so a module keeps its place
        # in the menu (hands and scripts count turns to reach it)
        self.items = (["Meters"] + [m.title for m in modules]
                      + ["Target", *VIEWS, "Snapshots", "References", "Assistant", "Proposals",
                         "Presets", "Remote"])
        self.page = "meters"
        self.cursor = 0
        self.module = 0
        self.sub = 0
        self.focus: int | None = None
        self.focus_t = -1e9
        self.preset_cursor = 0
        self.preset_count = 0          # set by whoever lists the presets
        self.assist_cursor = 0
        self.assist_count = 0          # set by whoever lists what the assistant can be asked
        self.proposal_cursor = 0
        self.proposal_count = 0        # set by whoever lists the proposal
        self.name_mode = ""            # new | rename | snapshot
        self.name_arg = None
        self.name_text: list[str] = []
        self.name_pos = 0
        self.question = ""
        self.on_yes: tuple | None = None
        self._back_to = "menu"

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
        if name in PAGES:
            self.page = PAGES[name]
        else:
            self.page = "module"
            self.module = i - 1
            self.sub = 0
            self.focus = None
        return [("page", self.page)]

    def begin_name(self, mode: str, initial: str = "", arg=None) -> None:
        """The name page, for a new preset, a rename or a snapshot's preset."""
        self._back_to = self.page if self.page not in ("name", "confirm") else self._back_to
        self.page = "name"
        self.name_mode = mode
        self.name_arg = arg
        self.name_text = list(initial[:NAME_MAX]) or ["A"]
        self.name_pos = len(self.name_text) - 1

    def ask(self, question: str, on_yes: tuple) -> None:
        """A yes/no page; ``on_yes`` is the command a push gives."""
        self._back_to = self.page if self.page not in ("name", "confirm") else self._back_to
        self.page = "confirm"
        self.question = question
        self.on_yes = on_yes

    def leave(self) -> None:
        """Back from a name or confirm page to where it was opened."""
        self.page = self._back_to

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
            if a.kind == "double":
                return [("solo",)]
            if a.kind == "long":
                self.page = "snapshots"
                return [("page", "snapshots")]
            return []
        if a.control == "back":
            if a.kind == "double":
                return [("ref",)]
            if a.kind == "long":
                self.page = "meters"
                return [("page", "meters")]
            if a.kind == "press":
                if self.page in ("name", "confirm"):
                    self.leave()                  # cancel
                    return [("page", self.page)]
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
        if a.kind == "release" and self.page != "proposals":
            return []                 # only audition listens for the end of a hold
        return getattr(self, "_" + self.page)(a, k, now)

    def _meters(self, a, k, now):
        self.page = "menu"
        return [("page", "menu")]

    _loudness = _reduction = _phase = _remote = _meters

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
        if a.kind == "double":
            return [("learn", ids[k])]
        return []

    def _target(self, a, k, now):
        if a.kind == "turn" and k == 0:
            return [("target", 1 if a.steps > 0 else -1)]
        if a.kind == "turn" and k == 1:
            return [("platform", 1 if a.steps > 0 else -1)]
        if a.kind == "turn" and k == 2:
            return [("context", 1 if a.steps > 0 else -1)]
        if a.kind == "turn" and k == 3:
            return [("codec", 1 if a.steps > 0 else -1)]
        if a.kind == "press":
            return [("delivery",)]
        return []

    def _references(self, a, k, now):
        if a.kind == "turn" and k == 0:
            return [("ref_step", 1 if a.steps > 0 else -1)]
        if a.kind == "press":
            return [("ref",)]
        return []

    @staticmethod
    def _move(cursor: int, count: int, steps: int) -> int:
        return min(max(cursor + (1 if steps > 0 else -1), 0), max(count - 1, 0))

    def _assist(self, a, k, now):
        if a.kind == "turn" and k == 0:
            self.assist_cursor = self._move(self.assist_cursor, self.assist_count, a.steps)
            return []
        if a.kind == "press" and self.assist_count:
            return [("assist", min(self.assist_cursor, self.assist_count - 1))]
        return []

    def _proposals(self, a, k, now):
        n = self.proposal_count
        self.proposal_cursor = min(max(self.proposal_cursor, 0), max(n - 1, 0))
        if a.kind == "turn" and k == 0:
            self.proposal_cursor = self._move(self.proposal_cursor, n, a.steps)
            return []
        if k == 1 and a.kind == "press":
            return [("audition",)]
        if k == 1 and a.kind in ("long", "release"):
            return [("audition_hold", a.kind == "long")]
        if n == 0:
            return []
        if k == 3 and a.kind == "long":
            return [("reject_all",)]
        verb = PROPOSAL_GESTURES.get((k, a.kind))
        return [(verb, self.proposal_cursor)] if verb else []

    def _position(self, a, k, now):
        if a.kind == "press":              # on to the moves, to accept or reject them
            self.page = "proposals"
            self.proposal_cursor = 0
            return [("page", "proposals")]
        return []

    def _snapshots(self, a, k, now):
        if a.kind == "turn":
            return [("recall_mode", 1 if a.steps > 0 else -1)]
        if a.kind == "press":
            return [("recall", k)]
        if a.kind == "long":
            return [("store", k)]
        if a.kind == "double":
            return [("snapshot_to_preset", k)]
        return []

    def _presets(self, a, k, now):
        n = self.preset_count
        self.preset_cursor = min(max(self.preset_cursor, 0), max(n - 1, 0))
        if a.kind == "turn" and k == 0:
            self.preset_cursor = min(max(self.preset_cursor + (1 if a.steps > 0 else -1), 0),
                                     max(n - 1, 0))
            return []
        if k == 1 and a.kind == "press":
            self.begin_name("new")
            return [("page", "name")]
        if n == 0:
            return []
        verb = PRESET_GESTURES.get((k, a.kind))
        return [(verb, self.preset_cursor)] if verb else []

    def _name(self, a, k, now):
        t, p = self.name_text, self.name_pos
        if k == 0 and a.kind == "turn":
            c = NAME_CHARS.find(t[p])
            t[p] = NAME_CHARS[(max(c, 0) + a.steps) % len(NAME_CHARS)]
            return []
        if k == 0 and a.kind == "press":
            if len(t) < NAME_MAX:
                t.insert(p + 1, t[p])             # the next character starts as this one
                self.name_pos = p + 1
            return []
        if k == 0 and a.kind == "long":
            text = "".join(t).strip()
            self.leave()
            return [("name_done", self.name_mode, text, self.name_arg)]
        if k == 1 and a.kind == "press":
            if len(t) > 1:
                del t[p]
                self.name_pos = max(p - 1, 0)
            return []
        return []

    def _confirm(self, a, k, now):
        if a.kind == "press":
            cmd = self.on_yes
            self.leave()
            return [cmd] if cmd is not None else []
        return []
