"""Walk an operator through every control of the panel (the HIL suite's last
check, ``masterbox panelcheck``): turn each encoder both ways, push it, press
each button, and say what the box saw. A step passes only when exactly the
asked-for action arrives; anything else names the likely wiring fault (A and B
swapped, two controls crossed, a dead line).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from ui.actions import BUTTONS, ENCODERS, Action

STEP_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Step:
    control: str
    kind: str            # turn or press
    direction: int = 0   # for turns: +1 clockwise, -1 counter-clockwise

    @property
    def prompt(self) -> str:
        name = self.control.upper()
        if self.kind == "turn":
            way = "clockwise" if self.direction > 0 else "counter-clockwise"
            return f"turn {name} one detent {way}"
        return f"push {name}'s knob and let go" if self.control in ENCODERS else f"press {name}"


def steps() -> list[Step]:
    out = []
    for enc in ENCODERS:
        out += [Step(enc, "turn", +1), Step(enc, "turn", -1), Step(enc, "press")]
    out += [Step(b, "press") for b in BUTTONS]
    return out


def judge(step: Step, got: Action) -> tuple[bool, str]:
    """Did ``got`` answer ``step``? (passed, what to tell the operator)."""
    if got.control != step.control:
        return False, (f"asked for {step.control}, got a {got.kind} of {got.control}: "
                       "the two controls' wires are crossed (check the pin table)")
    if step.kind == "turn":
        if got.kind != "turn":
            return False, f"asked to turn {step.control}, got a {got.kind}: its push line is on A or B"
        if (got.steps > 0) != (step.direction > 0):
            return False, f"{step.control} counts the wrong way: its A and B lines are swapped"
        return True, f"{step.control} turned {got.steps:+d}"
    if got.kind == "turn":
        return False, f"asked to press {step.control}, it turned: its push line is on A or B"
    return True, f"{step.control}: {got.kind}"


def walk(panel, prompt=print, timeout: float = STEP_TIMEOUT_S, clock=time.monotonic,
         poll_s: float = 0.005) -> list[tuple[Step, bool, str]]:
    """Prompt for each step and wait for the panel's answer. Returns
    (step, passed, detail) for every step; a step nobody answers times out
    (a dead line, a missing pull-up, or no operator)."""
    results = []
    for step in steps():
        panel.poll(clock())            # drop anything left over from the last step
        prompt(step.prompt)
        t_end = clock() + timeout
        verdict = None
        while verdict is None:
            for action in panel.poll(clock()):
                verdict = judge(step, action)
                break
            if verdict is None:
                if clock() > t_end:
                    verdict = (False, f"nothing from {step.control} within {timeout:g} s: "
                                      "a dead line or a missing pull-up")
                else:
                    time.sleep(poll_s)
        results.append((step, *verdict))
        prompt(("  ok: " if verdict[0] else "  FAULT: ") + verdict[1])
        if step.kind == "press":
            time.sleep(0.35)           # let a double-press window close before the next step
    return results
