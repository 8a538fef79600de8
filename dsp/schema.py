"""What a parameter is: the Param record, with the rules for its values
(check, parse, step along its taper, position on its travel), and the
builders the module slices (dsp/modules) declare their controls with. The
assembled table is in dsp/params.py.

Ids are ``module.param`` and carry their unit in the name (``threshold_db``,
``attack_ms``, ``freq_hz``). Values are floats; choice parameters (switches,
slopes, modes) hold the index of their choice.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import DspError

ONOFF = ("off", "on")
MODES = ("stereo", "mid", "side")
SLOPES = ("12", "24")


class ParamError(DspError):
    """A parameter id or value that the schema rejects."""


# units a typed value may carry, and their scale to the parameter's own unit
_SUFFIXES = (("khz", 1000.0), ("dbtp", 1.0), ("db", 1.0), ("hz", 1.0), ("ms", 1.0),
             ("%", 1.0), (":1", 1.0))


@dataclass(frozen=True)
class Param:
    id: str
    label: str          # short, for a 128x64 screen
    unit: str           # "dB", "Hz", "ms", "%", "" ...
    min: float
    max: float
    default: float
    taper: str = "linear"   # linear | log | db | choice
    step: float = 1.0       # coarse step, in units (or a ratio for log taper)
    fine_step: float = 0.1
    fmt: str = "{:.1f}"
    choices: tuple[str, ...] = ()
    detents: tuple[float, ...] = ()   # classic values a turn stops at
    doc: str = ""

    @property
    def module(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.id.split(".", 1)[1]

    @property
    def short(self) -> str:
        """The label in at most SHORT_MAX characters, for the module pages'
        list (the full label shows when the control is turned): each word
        through ABBREV."""
        return " ".join(ABBREV.get(w, w) for w in self.label.split())

    def check(self, value) -> float:
        """``value`` as a float if it is valid here (text is parsed); else
        ParamError naming the parameter, the value and the allowed range."""
        if isinstance(value, str):
            return self.parse(value)
        if isinstance(value, bool):
            value = float(value)
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ParamError(f"{self.id}: {value!r} is not a number") from None
        if not math.isfinite(v):
            raise ParamError(f"{self.id}: {value!r} is not a finite number (range {self.range_text})")
        if self.choices:
            if v != int(v) or not 0 <= v < len(self.choices):
                raise ParamError(f"{self.id}: {value!r} is not one of {', '.join(self.choices)}")
            return v
        if not self.min <= v <= self.max:
            raise ParamError(f"{self.id}: {self.with_unit(f'{v:g}')} is out of range {self.range_text}")
        return v

    def parse(self, text: str) -> float:
        """A value typed by a person (CLI ``--set``, OSC text): a number with
        or without its unit, or a choice label ('on', 'true', 'tube', '24')."""
        t = text.strip().lower()
        if self.choices:
            if t in self.choices:
                return float(self.choices.index(t))
            if self.choices == ONOFF and t in ("true", "false", "yes", "no", "1", "0"):
                return 1.0 if t in ("true", "yes", "1") else 0.0
            raise ParamError(f"{self.id}: '{text}' is not one of {', '.join(self.choices)}")
        scale = 1.0
        for suffix, k in _SUFFIXES:
            if t.endswith(suffix):
                t, scale = t[: -len(suffix)].strip(), k
                break
        try:
            v = float(t) * scale
        except ValueError:
            raise ParamError(f"{self.id}: '{text}' is not a number (range {self.range_text})") from None
        return self.check(v)

    @property
    def range_text(self) -> str:
        if self.choices:
            return ", ".join(self.choices)
        return self.with_unit(f"{self.min:g}..{self.max:g}")

    def stepped(self, value: float, clicks: int, fine: bool = False) -> float:
        """``value`` moved by encoder clicks along the taper, clamped to the
        range. A turn that would pass one of the detents (the classic ratios)
        stops on it; the next turn goes on from there."""
        if self.choices:
            return float(min(max(int(value) + clicks, 0), len(self.choices) - 1))
        s = self.fine_step if fine else self.step
        v = value * s ** clicks if self.taper == "log" else value + s * clicks
        crossed = [d for d in self.detents if value < d < v or v < d < value]
        if crossed:
            return min(crossed, key=lambda d: abs(d - value))
        return min(max(v, self.min), self.max)

    def fraction(self, v: float) -> float:
        """Position of a value along the control's taper, 0..1 (a bar on the
        screen, a MIDI knob's travel)."""
        if self.choices:
            return v / max(len(self.choices) - 1, 1)
        if self.taper == "log":
            return math.log(v / self.min) / math.log(self.max / self.min)
        return (v - self.min) / (self.max - self.min)

    def value_at(self, f: float) -> float:
        """The value at position f (0..1) along the control's taper: fraction's inverse."""
        f = min(max(f, 0.0), 1.0)
        if self.choices:
            return float(round(f * (len(self.choices) - 1)))
        if self.taper == "log":
            return self.min * math.exp(f * math.log(self.max / self.min))
        return self.min + f * (self.max - self.min)

    def format(self, value: float) -> str:
        if self.choices:
            return self.choices[int(value)]
        text = self.fmt.format(value)
        if "e" in text:                 # "{:.3g}" of 1200 ms: a screen wants 1200, not 1.2e+03
            text = f"{value:.0f}"
        return self.with_unit(text)

    def with_unit(self, text: str) -> str:
        """A number with this parameter's unit: "-18.0 dB", "2.0:1", "40 %"."""
        if not self.unit:
            return text
        return f"{text}{self.unit}" if self.unit.startswith(":") else f"{text} {self.unit}"

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in ("id", "label", "unit", "min", "max", "default",
                                           "taper", "step", "fine_step", "fmt", "doc")}
        d["choices"] = list(self.choices)
        d["detents"] = list(self.detents)
        return d


SHORT_MAX = 7     # characters of a label beside a value and a bar on a 128 px screen
VALUE_MAX = 8     # characters of a formatted value there
# words shortened for the module pages, one table for every label
ABBREV = {"Polarity": "Pol", "L/R": "LR", "block": "blk", "slope": "slp", "Auto": "Au",
          "Multiband": "MB", "X-over": "XO", "Lo": "L", "Mid": "M", "Hi": "H", "thresh": "thr",
          "attack": "att", "release": "rel", "bypass": "byp", "Saturation": "Sat",
          "Character": "Char", "bass": "lo", "below": "<", "Softness": "Soft", "ratio": "rat",
          "range": "rng", "De-esser": "DeEss"}


def choice(pid, label, choices, default=0, doc=""):
    return Param(pid, label, "", 0.0, float(len(choices) - 1), float(default), "choice",
                 1.0, 1.0, "{:.0f}", tuple(choices), (), doc)


def switch(pid, label, default=0, doc=""):
    return choice(pid, label, ONOFF, default, doc)


def db(pid, label, lo, hi, default=0.0, step=0.5, fine=0.1, doc=""):
    return Param(pid, label, "dB", lo, hi, default, "db", step, fine, "{:+.1f}", doc=doc)


def hz(pid, label, lo, hi, default, doc=""):
    # log taper: a coarse step multiplies by 2^(1/12) (a semitone), fine by 2^(1/48)
    return Param(pid, label, "Hz", lo, hi, default, "log", 2 ** (1 / 12), 2 ** (1 / 48),
                 "{:.0f}", doc=doc)


def ms(pid, label, lo, hi, default, doc=""):
    return Param(pid, label, "ms", lo, hi, default, "log", 2 ** (1 / 6), 2 ** (1 / 24),
                 "{:.3g}", doc=doc)


def pct(pid, label, lo, hi, default, doc=""):
    return Param(pid, label, "%", lo, hi, default, "linear", 5.0, 1.0, "{:.0f}", doc=doc)


def q(pid, label, lo, hi, default, doc=""):
    return Param(pid, label, "", lo, hi, default, "log", 2 ** (1 / 6), 2 ** (1 / 24),
                 "{:.2f}", doc=doc)


def ratio(pid, label, default=1.0, doc=""):
    return Param(pid, label, ":1", 1.0, 20.0, default, "log", 2 ** (1 / 4), 2 ** (1 / 16),
                 "{:.1f}", detents=(1.5, 2.0, 4.0, 10.0), doc=doc)
