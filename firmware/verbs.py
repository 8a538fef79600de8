"""The verbs: one table of everything a hand can ask the box to do, each with
its typed arguments and the session method it calls. The panel, OSC, MIDI
and the browser page translate their gestures or messages into a verb and
dispatch it here, so a new verb is one row here and, if it needs one, one
session method; every surface has it at once, and docs/remote.md is
generated from this table (``masterbox params --remote``).

    dispatch(hands, "recall", [2], "osc")                 # positional (OSC)
    dispatch(hands, "recall", {"slot": 2}, "page")         # named (the page)

One word per concept on every surface: ``compare`` is processed / bypass,
``solo`` is stereo / mono / mid / side / delta. Old names stay as aliases.
An error names the verb, the argument and what is allowed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from dsp import params
from dsp.modules.monitor import SOLOS

from .codec_preview import ALL as CODEC_ALL
from .codec_preview import VIEWS as CODEC_VIEWS
from .errors import UserError
from .session import MORPH_MS, RECALL_MODES, SLOTS
from .platforms import ORDER as PLATFORM_ORDER
from .targets import TARGETS


@dataclass(frozen=True)
class Arg:
    name: str
    kind: str                     # number | integer | text | switch | choice | param
    doc: str
    lo: float | None = None
    hi: float | None = None
    choices: tuple = ()
    optional: bool = False

    def allowed(self) -> str:
        if self.kind == "choice":
            return ", ".join(self.choices)
        if self.kind == "switch":
            return "0 or 1"
        if self.kind == "param":
            return "a parameter id (masterbox params)"
        if self.lo is not None:
            return f"{self.lo:g}..{self.hi:g}"
        return self.kind

    def check(self, verb: str, v: Any):
        """The value in its type, or a UserError naming verb, argument and what is allowed."""
        def bad(why=""):
            return UserError(f"{verb}: {self.name} ({self.doc}) {v!r}{why}: use {self.allowed()}")
        if self.kind in ("text", "param", "choice"):
            if not isinstance(v, str):
                raise bad()
            if self.kind == "choice" and v not in self.choices:
                raise bad()
            if self.kind == "param" and v not in params.BY_ID:
                raise bad(" is not a parameter")
            return v
        if isinstance(v, bool):
            v = int(v)
        if isinstance(v, str):
            try:
                v = float(v)
            except ValueError:
                raise bad() from None
        if not isinstance(v, (int, float)) or not math.isfinite(v):
            raise bad()
        if self.kind in ("integer", "switch"):
            if v != int(v):
                raise bad()
            v = int(v)
            if self.kind == "switch":
                if v not in (0, 1):
                    raise bad()
                return bool(v)
        if self.lo is not None and not self.lo <= v <= self.hi:
            raise bad(" is out of range")
        return v


@dataclass(frozen=True)
class Verb:
    name: str
    args: tuple[Arg, ...]
    call: Callable            # (hands, {arg: value}, source) -> Change | None
    doc: str
    aliases: tuple[str, ...] = ()


@dataclass
class Hands:
    """What a verb reaches: the session, the user's presets (or None) and
    the assistant's hand (firmware/assistant_hand.py; None where nothing
    captures what the box hears)."""
    session: Any
    presets: Any = None
    assistant: Any = None


def _load_preset(h: Hands, a: dict, src: str):
    from .store.presets import load

    name = a["name"]
    return h.session.load_preset(name, load(name, h.presets.folder if h.presets else None), src)


def _save_preset(h: Hands, a: dict, src: str):
    """UserPresets.save checks the name, refuses a built-in's and an existing
    one unless ``overwrite``, and writes atomically."""
    if h.presets is None:
        raise UserError("preset_save: no preset folder on this box (it runs without a state folder)")
    h.presets.save(a["name"], h.session.values, overwrite=a.get("overwrite", False))
    return h.session.saved_as_preset(a["name"], src)


def _reference(h: Hands, a: dict, src: str):
    s = h.session
    ch = None
    if a.get("index") is not None:
        ch = s.select_reference(a["index"], src)
    if a.get("on") is not None and a["on"] != (s.listening[0] == "reference"):
        ch = s.toggle_reference(src)
    return ch


def _ask(h: Hands, a: dict, src: str):
    """The answer comes later, from the assistant's worker, as the session's
    proposal (ghosts) or, for a word that asks back, its readings on offer."""
    if h.assistant is None:
        raise UserError("ask: no assistant here (it listens to what the box hears: a box with "
                        "its panel, or the laptop mode)")
    import time
    h.assistant.ask(a["what"], time.monotonic())
    return None


SLOT = Arg("slot", "integer", "snapshot slot, 0-3 (A-D)", 0, len(SLOTS) - 1)
ON = Arg("on", "switch", "1 on, 0 off")

VERBS: dict[str, Verb] = {v.name: v for v in (
    Verb("set", (Arg("param", "param", "parameter id, module.param"),
                 Arg("value", "number", "in the parameter's unit and range")),
         lambda h, a, src: h.session.apply({a["param"]: a["value"]}, src, gesture=f"{src}:{a['param']}"),
         "set a parameter (on OSC the address names it: /masterbox/MODULE/PARAM VALUE)"),
    Verb("compare", (ON,),
         lambda h, a, src: h.session.listen("bypass" if a["on"] else "processed", src),
         "compare: 1 hears the input loudness-matched (bypass), 0 the processed output"),
    Verb("solo", (Arg("mode", "choice", "what is heard after compare", choices=SOLOS),),
         lambda h, a, src: h.session.set_solo(a["mode"], src),
         "the listening mode after compare", aliases=("listen",)),
    Verb("recall", (SLOT,), lambda h, a, src: h.session.recall(a["slot"], src),
         "recall a snapshot, heard as the recall mode says", aliases=("snapshot/recall",)),
    Verb("store", (SLOT,), lambda h, a, src: h.session.store(a["slot"], src),
         "store the current values in a snapshot", aliases=("snapshot/store",)),
    Verb("recall_mode", (Arg("mode", "choice", "compare: matched, at once; perform: as stored, "
                             "morphing", choices=RECALL_MODES),
                         Arg("morph_ms", "number", "the morph time of a perform recall, ms",
                             *MORPH_MS, optional=True)),
         lambda h, a, src: h.session.set_recall_mode(a["mode"], a.get("morph_ms"), src),
         "how a snapshot recall is heard", aliases=("snapshot/mode",)),
    Verb("morph", (Arg("ms", "number", "the morph time of a perform recall, ms", *MORPH_MS),),
         lambda h, a, src: h.session.set_recall_mode(None, a["ms"], src),
         "the morph time of a perform recall (the mode stays)", aliases=("snapshot/morph",)),
    Verb("reference", (Arg("on", "switch", "1 hears the reference track", optional=True),
                       Arg("index", "integer", "which loaded reference, 0-3", 0, 3, optional=True)),
         _reference, "choose and hear a reference track (at the programme's loudness)"),
    Verb("platform", (Arg("name", "choice", "streaming platform to hear the master on, or off",
                          choices=("off", *PLATFORM_ORDER)),),
         lambda h, a, src: h.session.hear_platform(a["name"], src),
         "hear the processed output at the gain a streaming platform would apply (not matched)"),
    Verb("platform_step", (Arg("steps", "integer", "platforms on (negative: back), through off", -8, 8),),
         lambda h, a, src: h.session.step_platform(a["steps"], src),
         "the next or previous streaming platform to hear the master on"),
    Verb("codec", (Arg("name", "choice", "lossy codec to hear the master through, or off",
                       choices=("off", *(c.name for c in CODEC_ALL))),
                   Arg("view", "choice", "decoded: what a listener's decoder plays; difference: "
                       "what the codec changes", choices=CODEC_VIEWS, optional=True)),
         lambda h, a, src: h.session.hear_codec(a["name"], a.get("view", "decoded"), src),
         "hear the processed output encoded and decoded live (ffmpeg), or what the codec changes"),
    Verb("codec_step", (Arg("steps", "integer", "codec previews on (negative: back), through off", -8, 8),),
         lambda h, a, src: h.session.step_codec(a["steps"], src),
         "the next or previous codec preview (each codec decoded, then its difference)"),
    Verb("context", (Arg("index", "integer", "which loaded playback context, 0-3; -1 none", -1, 3),),
         lambda h, a, src: h.session.hear_context(None if a["index"] < 0 else a["index"], src),
         "hear everything through a measured playback system (a phone, earbuds, a car), "
         "loudness-matched"),
    Verb("context_step", (Arg("steps", "integer", "contexts on (negative: back), through none", -4, 4),),
         lambda h, a, src: h.session.step_context(a["steps"], src),
         "the next or previous playback context"),
    Verb("target", (Arg("name", "choice", "delivery target", choices=tuple(TARGETS)),),
         lambda h, a, src: h.session.set_target(a["name"], src), "the delivery target"),
    Verb("undo", (), lambda h, a, src: h.session.undo(src), "undo the last move"),
    Verb("redo", (), lambda h, a, src: h.session.redo(src), "redo"),
    Verb("accept", (Arg("param", "param", "a proposed parameter"),),
         lambda h, a, src: h.session.accept([a["param"]], "assistant-accept"),
         "accept one of the assistant's proposed moves"),
    Verb("reject", (Arg("param", "param", "a proposed parameter"),),
         lambda h, a, src: h.session.reject([a["param"]], src), "reject a proposed move"),
    Verb("reject_all", (), lambda h, a, src: h.session.reject(None, src),
         "drop the whole proposal (or the readings on offer)"),
    Verb("ask", (Arg("what", "text", "a word (masterbox assist --help), 'Target loudness', "
                     "'Match reference' or 'Profile: NAME'"),),
         _ask, "ask the assistant; nothing is applied, and a vague word offers its readings"),
    Verb("choose", (Arg("reading", "integer", "which reading of the vague word, from 1", 1, 4),),
         lambda h, a, src: h.session.choose_reading(a["reading"] - 1, src),
         "choose a reading of a vague word: its moves become the proposal"),
    Verb("preset_load", (Arg("name", "text", "a built-in or user preset"),), _load_preset,
         "load a preset (one undo step)"),
    Verb("preset_save", (Arg("name", "text", "a new preset's name"),
                         Arg("overwrite", "switch", "1 replaces an existing one", optional=True)),
         _save_preset, "save the current values as a user preset"),
)}
ALIASES = {alias: v.name for v in VERBS.values() for alias in v.aliases}


def find(name: str) -> Verb:
    v = VERBS.get(ALIASES.get(name, name))
    if v is None:
        raise UserError(f"unknown verb {name!r}: use one of {', '.join(VERBS)}")
    return v


def dispatch(hands: Hands, name: str, args, source: str):
    """Check ``args`` (a list in the table's order, or a dict by name) and
    call the verb. Returns the session's Change, or None when nothing changed."""
    verb = find(name)
    if isinstance(args, dict):
        extra = sorted(set(args) - {a.name for a in verb.args})
        if extra:
            raise UserError(f"{verb.name}: unknown argument {extra[0]!r} "
                            f"(takes {', '.join(a.name for a in verb.args) or 'none'})")
        given = {a.name: args[a.name] for a in verb.args if a.name in args}
    else:
        if len(args) > len(verb.args):
            raise UserError(f"{verb.name}: takes at most {len(verb.args)} argument(s), got {len(args)}")
        given = {a.name: v for a, v in zip(verb.args, args)}
    checked = {}
    for a in verb.args:
        if a.name in given:
            checked[a.name] = a.check(verb.name, given[a.name])
        elif not a.optional:
            raise UserError(f"{verb.name}: missing {a.name} ({a.doc}: {a.allowed()})")
    return verb.call(hands, checked, source)


def reference_markdown() -> str:
    """docs/remote.md: every verb as an OSC address and a page message."""
    out = ["# Remote reference: OSC addresses and page messages", "",
           "Generated from the verb table (`firmware/verbs.py`) by `masterbox params --remote`;",
           "a test keeps it current. Every verb is the same on every surface: the panel and",
           "MIDI dispatch through the same table. Nothing changes before pairing (OSC",
           "`/masterbox/pair CODE`, the page's pairing form); an error names the verb, the",
           "argument and what is allowed (OSC: `/masterbox/error TEXT`; the page:",
           "`{\"type\": \"error\", \"text\": ...}`).", "",
           "| verb | OSC | page message | arguments | what it does |", "|---|---|---|---|---|"]
    for v in VERBS.values():
        osc = "/masterbox/" + (v.name if v.name != "set" else "MODULE/PARAM")
        osc_args = " ".join(a.name.upper() for a in v.args if not (v.name == "set" and a.name == "param"))
        page = "{" + ", ".join([f'"type": "{v.name}"'] + [f'"{a.name}": ...' for a in v.args]) + "}"
        args = "; ".join(f"`{a.name}`{' (optional)' if a.optional else ''}: {a.doc}, {a.allowed()}"
                         for a in v.args) or "none"
        alias = f" (also: {', '.join(v.aliases)})" if v.aliases else ""
        out.append(f"| `{v.name}`{alias} | `{(osc + ' ' + osc_args).strip()}` | `{page}` | {args} | {v.doc} |")
    out += ["", "Transport only (not verbs): OSC `/masterbox/pair CODE`, `/masterbox/subscribe "
            "[PORT [RATE_HZ]]`, `/masterbox/unsubscribe [PORT]`, `/masterbox/heartbeat`, a parameter's "
            "address without a value (its value back); the page's `pair` and `resync`.", ""]
    return "\n".join(out)
