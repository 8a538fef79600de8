"""The one parameter schema: every control of the chain is declared here, once.

UI pages, presets, snapshots, the CLI's ``--set``, MIDI/OSC and the docs all read
this table; nothing else declares a parameter. Ids are ``module.param`` and carry
their unit in the name (``threshold_db``, ``attack_ms``, ``freq_hz``).

Values are floats. Choice parameters (on/off switches, slopes, modes) hold the
index of their choice as a float; their labels are accepted wherever a value is
parsed from text. Every value is checked at the boundary by :func:`check_value`,
whose error names the parameter, the value and the limit.
"""
from __future__ import annotations

from dataclasses import dataclass
import math

MODULES = ("input", "eq", "glue", "multiband", "saturation", "stereo",
           "clipper", "limiter", "output")

ONOFF = ("off", "on")
MODES = ("stereo", "mid", "side")
SLOPES = ("12", "24")


class ParamError(ValueError):
    """A parameter id or value that the schema rejects."""


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
    detents: tuple[float, ...] = ()   # classic values a knob snaps past
    doc: str = ""

    @property
    def module(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.id.split(".", 1)[1]

    def format(self, value: float) -> str:
        if self.choices:
            return self.choices[int(value)]
        text = self.fmt.format(value)
        return f"{text} {self.unit}".rstrip()

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in ("id", "label", "unit", "min", "max", "default",
                                           "taper", "step", "fine_step", "fmt", "doc")}
        d["choices"] = list(self.choices)
        d["detents"] = list(self.detents)
        return d


def _choice(pid, label, choices, default=0, doc=""):
    return Param(pid, label, "", 0.0, float(len(choices) - 1), float(default), "choice",
                 1.0, 1.0, "{:.0f}", tuple(choices), (), doc)


def _switch(pid, label, default=0, doc=""):
    return _choice(pid, label, ONOFF, default, doc)


def _db(pid, label, lo, hi, default=0.0, step=0.5, fine=0.1, doc=""):
    return Param(pid, label, "dB", lo, hi, default, "db", step, fine, "{:+.1f}", doc=doc)


def _hz(pid, label, lo, hi, default, doc=""):
    # log taper: a coarse step multiplies by 2^(1/12) (a semitone), fine by 2^(1/48)
    return Param(pid, label, "Hz", lo, hi, default, "log", 2 ** (1 / 12), 2 ** (1 / 48),
                 "{:.0f}", doc=doc)


def _ms(pid, label, lo, hi, default, doc=""):
    return Param(pid, label, "ms", lo, hi, default, "log", 2 ** (1 / 6), 2 ** (1 / 24),
                 "{:.3g}", doc=doc)


def _pct(pid, label, lo, hi, default, doc=""):
    return Param(pid, label, "%", lo, hi, default, "linear", 5.0, 1.0, "{:.0f}", doc=doc)


def _q(pid, label, lo, hi, default, doc=""):
    return Param(pid, label, "", lo, hi, default, "log", 2 ** (1 / 6), 2 ** (1 / 24),
                 "{:.2f}", doc=doc)


def _ratio(pid, label, default=1.0, doc=""):
    return Param(pid, label, ":1", 1.0, 20.0, default, "log", 2 ** (1 / 4), 2 ** (1 / 16),
                 "{:.1f}", detents=(1.5, 2.0, 4.0, 10.0), doc=doc)


def _eq_band(prefix, label, fmin, fmax, fdef, qdef, qmin=0.1, qmax=10.0):
    return [
        _db(f"eq.{prefix}_gain_db", f"{label} gain", -12.0, 12.0),
        _hz(f"eq.{prefix}_freq_hz", f"{label} freq", fmin, fmax, fdef),
        _q(f"eq.{prefix}_q", f"{label} Q", qmin, qmax, qdef),
        _choice(f"eq.{prefix}_mode", f"{label} on", MODES, 0,
                doc="which signal the band works on: stereo (L and R), mid or side"),
    ]


def _mb_band(band, label, thr, att, rel):
    return [
        _db(f"multiband.{band}_threshold_db", f"{label} thresh", -60.0, 0.0, thr),
        _ratio(f"multiband.{band}_ratio", f"{label} ratio"),
        _ms(f"multiband.{band}_attack_ms", f"{label} attack", 0.1, 100.0, att),
        _ms(f"multiband.{band}_release_ms", f"{label} release", 10.0, 2000.0, rel),
        _db(f"multiband.{band}_gain_db", f"{label} gain", -12.0, 12.0),
        _switch(f"multiband.{band}_bypass", f"{label} bypass"),
        _switch(f"multiband.{band}_solo", f"{label} solo"),
    ]


SCHEMA: tuple[Param, ...] = tuple([
    # 1. input
    _switch("input.on", "Input", 1),
    _db("input.trim_db", "Trim", -24.0, 24.0),
    _switch("input.invert_l", "Polarity L"),
    _switch("input.invert_r", "Polarity R"),
    _switch("input.swap", "Swap L/R"),
    _switch("input.dc_block", "DC block", 0, doc="first-order high-pass at 5 Hz"),
    # 2. EQ
    _switch("eq.on", "EQ", 1),
    _switch("eq.hp_on", "HP on"),
    _hz("eq.hp_freq_hz", "HP freq", 10.0, 300.0, 30.0),
    _choice("eq.hp_slope", "HP slope", SLOPES, 0, doc="12 or 24 dB/oct Butterworth"),
    *_eq_band("low_shelf", "LS", 20.0, 1000.0, 100.0, 0.707, 0.3, 2.0),
    *_eq_band("bell1", "B1", 20.0, 20000.0, 250.0, 1.0),
    *_eq_band("bell2", "B2", 20.0, 20000.0, 1000.0, 1.0),
    *_eq_band("bell3", "B3", 20.0, 20000.0, 4000.0, 1.0),
    *_eq_band("high_shelf", "HS", 1000.0, 20000.0, 10000.0, 0.707, 0.3, 2.0),
    _switch("eq.lp_on", "LP on"),
    _hz("eq.lp_freq_hz", "LP freq", 5000.0, 22000.0, 20000.0),
    _choice("eq.lp_slope", "LP slope", SLOPES, 0),
    # 3. glue (bus) compressor
    _switch("glue.on", "Glue", 1),
    _db("glue.threshold_db", "Thresh", -40.0, 0.0, -18.0),
    _ratio("glue.ratio", "Ratio", 1.0, doc="1:1 is idle"),
    _ms("glue.attack_ms", "Attack", 0.1, 30.0, 10.0),
    _ms("glue.release_ms", "Release", 50.0, 1200.0, 300.0),
    _switch("glue.auto_release", "Auto rel",
            doc="program dependent: fast back to the sustained level, then slow"),
    _db("glue.knee_db", "Knee", 0.0, 12.0, 6.0),
    _hz("glue.sc_hp_hz", "SC HP", 20.0, 300.0, 20.0),
    _pct("glue.link_pct", "Link", 0.0, 100.0, 100.0),
    _pct("glue.mix_pct", "Mix", 0.0, 100.0, 100.0),
    _db("glue.makeup_db", "Makeup", 0.0, 24.0),
    # 4. multiband compressor
    _switch("multiband.on", "Multiband", 0),
    _hz("multiband.xover_low_hz", "X-over lo", 40.0, 500.0, 200.0),
    _hz("multiband.xover_high_hz", "X-over hi", 1000.0, 10000.0, 3000.0),
    *_mb_band("low", "Lo", -20.0, 20.0, 250.0),
    *_mb_band("mid", "Mid", -20.0, 10.0, 150.0),
    *_mb_band("high", "Hi", -20.0, 5.0, 100.0),
    # 5. saturation
    _switch("saturation.on", "Saturation", 0),
    _db("saturation.drive_db", "Drive", 0.0, 24.0, 0.0),
    _choice("saturation.character", "Character", ("tape", "tube"), 0,
            doc="tape: symmetric soft curve (odd harmonics); tube: biased curve (even too)"),
    _pct("saturation.mix_pct", "Mix", 0.0, 100.0, 100.0),
    _switch("saturation.auto_gain", "Auto gain", 1,
            doc="keeps a -12 dBFS sine at its level whatever the drive"),
    # 6. stereo
    _switch("stereo.on", "Stereo", 1),
    _pct("stereo.width_pct", "Width", 0.0, 200.0, 100.0),
    _switch("stereo.mono_bass_on", "Mono bass"),
    _hz("stereo.mono_bass_hz", "Mono below", 40.0, 300.0, 120.0),
    _db("stereo.balance_db", "Balance", -6.0, 6.0, doc="positive: right louder"),
    # 7. clipper
    _switch("clipper.on", "Clipper", 0),
    _db("clipper.ceiling_db", "Ceiling", -12.0, 0.0, 0.0),
    _db("clipper.softness_db", "Softness", 0.0, 6.0, 2.0,
        doc="the curve leaves linear this far below the ceiling"),
    # 8. true-peak limiter
    _switch("limiter.on", "Limiter", 0),
    _db("limiter.ceiling_dbtp", "Ceiling", -3.0, 0.0, -1.0, step=0.1, fine=0.01),
    _db("limiter.drive_db", "Drive", 0.0, 24.0),
    _ms("limiter.release_ms", "Release", 1.0, 1000.0, 100.0),
    _switch("limiter.auto_release", "Auto rel"),
    # 9. output
    _switch("output.on", "Output", 1),
    _db("output.trim_db", "Trim", -24.0, 0.0,
        doc="after the limiter, so it can only lower the level"),
    _choice("output.dither", "Dither", ("off", "tpdf", "shaped"), 0),
    _choice("output.bits", "Bits", ("16", "24"), 1),
])

BY_ID: dict[str, Param] = {p.id: p for p in SCHEMA}


def get(pid: str) -> Param:
    try:
        return BY_ID[pid]
    except KeyError:
        mod = pid.split(".", 1)[0]
        known = [p.id for p in SCHEMA if p.module == mod] or list(MODULES)
        raise ParamError(f"unknown parameter '{pid}' (known: {', '.join(known)})") from None


def defaults() -> dict[str, float]:
    """Every parameter at its default: the chain is then transparent."""
    return {p.id: p.default for p in SCHEMA}


def check_value(pid: str, value) -> float:
    """Return ``value`` as a float if it is valid for ``pid``; raise ParamError naming
    the parameter, the value and the allowed range otherwise."""
    p = get(pid)
    if isinstance(value, str):
        return parse_value(pid, value)
    if isinstance(value, bool):
        value = float(value)
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ParamError(f"{pid}: {value!r} is not a number") from None
    if not math.isfinite(v):
        raise ParamError(f"{pid}: {value!r} is not a finite number (range {_range(p)})")
    if p.choices:
        if v != int(v) or not 0 <= v < len(p.choices):
            raise ParamError(f"{pid}: {value!r} is not one of {', '.join(p.choices)}")
        return v
    if not p.min <= v <= p.max:
        raise ParamError(f"{pid}: {v:g} {p.unit} is out of range {_range(p)}".replace("  ", " "))
    return v


def parse_value(pid: str, text: str) -> float:
    """Parse a value typed by a person (CLI ``--set``): a number, or a choice label
    ('on', 'off', 'true', 'false', 'tube', '24')."""
    p = get(pid)
    t = text.strip().lower()
    if p.choices:
        if t in p.choices:
            return float(p.choices.index(t))
        if p.choices == ONOFF and t in ("true", "false", "yes", "no", "1", "0"):
            return 1.0 if t in ("true", "yes", "1") else 0.0
        raise ParamError(f"{pid}: '{text}' is not one of {', '.join(p.choices)}")
    scale = 1.0
    for suffix, k in (("khz", 1000.0), ("dbtp", 1.0), ("db", 1.0), ("hz", 1.0), ("ms", 1.0),
                      ("%", 1.0), (":1", 1.0)):
        if t.endswith(suffix):
            t, scale = t[: -len(suffix)].strip(), k
            break
    try:
        v = float(t) * scale
    except ValueError:
        raise ParamError(f"{pid}: '{text}' is not a number (range {_range(p)})") from None
    return check_value(pid, v)


def check_values(values: dict) -> dict[str, float]:
    """Validate a whole mapping of id -> value; returns a complete set (defaults filled)."""
    out = defaults()
    for pid, v in values.items():
        out[pid] = check_value(pid, v)
    return out


def _range(p: Param) -> str:
    if p.choices:
        return ", ".join(p.choices)
    return f"{p.min:g}..{p.max:g} {p.unit}".rstrip()


def step_value(pid: str, value: float, clicks: int, fine: bool = False) -> float:
    """Move a value by encoder clicks along its taper, clamped to its range."""
    p = get(pid)
    if p.choices:
        return float(min(max(int(value) + clicks, 0), len(p.choices) - 1))
    s = p.fine_step if fine else p.step
    if p.taper == "log":
        v = value * s ** clicks
    else:
        v = value + s * clicks
    return min(max(v, p.min), p.max)


def schema_json() -> list[dict]:
    return [p.to_dict() for p in SCHEMA]
