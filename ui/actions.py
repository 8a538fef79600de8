"""Named actions: what every input source produces and the navigator consumes.

Encoders, buttons, the laptop's keyboard, a MIDI controller or a test script all
drive the box through the same few actions, so every path is exercised by all.
"""
from __future__ import annotations

from dataclasses import dataclass

ENCODERS = ("enc1", "enc2", "enc3", "enc4")
BUTTONS = ("bypass", "compare", "back")
CONTROLS = ENCODERS + BUTTONS
KINDS = ("turn", "press", "long", "double", "release")   # release: the end of a long push


class ActionError(ValueError):
    pass


@dataclass(frozen=True)
class Action:
    control: str           # one of CONTROLS
    kind: str              # one of KINDS
    steps: int = 0         # detents for a turn, after acceleration (signed)
    fine: bool = False     # a turn made while the encoder is pushed in

    def __post_init__(self):
        if self.control not in CONTROLS:
            raise ActionError(f"action control {self.control!r}: use one of {', '.join(CONTROLS)}")
        if self.kind not in KINDS:
            raise ActionError(f"action kind {self.kind!r}: use one of {', '.join(KINDS)}")
        if self.kind == "turn" and self.control not in ENCODERS:
            raise ActionError(f"{self.control} is a button: it cannot turn")


# The laptop keyboard (``masterbox run --sim``): four columns of keys are the four
# encoders (up, down, push); capitals are push-and-turn (fine) and long presses.
KEYMAP: dict[str, Action] = {}
for _n, (_up, _dn, _push) in enumerate(("qaz", "wsx", "edc", "rfv"), start=1):
    _c = f"enc{_n}"
    KEYMAP[_up] = Action(_c, "turn", +1)
    KEYMAP[_dn] = Action(_c, "turn", -1)
    KEYMAP[_up.upper()] = Action(_c, "turn", +1, fine=True)
    KEYMAP[_dn.upper()] = Action(_c, "turn", -1, fine=True)
    KEYMAP[_push] = Action(_c, "press")
    KEYMAP[_push.upper()] = Action(_c, "long")
KEYMAP.update({
    "b": Action("bypass", "press"), "B": Action("bypass", "long"),
    "u": Action("bypass", "long"), "U": Action("bypass", "double"),
    " ": Action("compare", "press"), "n": Action("compare", "long"),
    "m": Action("compare", "double"),
    "h": Action("back", "press"), "\x7f": Action("back", "press"),
    "H": Action("back", "long"), "t": Action("back", "double"),
})

KEY_HELP = ("keys: q/a w/s e/d r/f turn enc1-4 (capitals: fine)  z x c v push (capitals: long)  "
            "space compare  n snapshots  m listening mode  t reference  b bypass module  u undo  U redo  h back  H home  ctrl-c quit")
