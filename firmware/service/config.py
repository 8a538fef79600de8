"""The box's machine settings (not the sound): one table, read by the config
file (/etc/masterbox/config.toml), the `masterbox run` flags and the
default file the installer writes (``text()``). Each setting has its key,
type (its default's), default, range or choices, the flag that overrides
it, and one line of doc; the choice lists come from the code that owns
them (the engine's rates and blocks, the panel kinds). A flag wins over the
config file, which wins over the default; every value, whichever way it
comes, is checked here, and an error names the key (or flag), the value
and what is allowed. Unknown keys are refused.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..engine.engine import BLOCKS, RATES
from ..errors import UserError
from ..store import tomlfile

PANELS = ("gpio", "keys", "none")      # service/box.open_panel's kinds


@dataclass(frozen=True)
class Setting:
    key: str
    default: object             # its type is the setting's type
    doc: str
    flag: str | None = None     # the `masterbox run` flag that overrides it
    lo: int | None = None
    hi: int | None = None
    choices: tuple = ()
    more: str = ""              # a second line of doc in the default file

    def check(self, value, where: str):
        """``value`` as this setting's type, or a UserError naming it."""
        want = type(self.default)
        if self.key == "device" and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)                  # a device index
        if not isinstance(value, want) or isinstance(value, bool):
            raise UserError(f"{where} = {value!r} should be a {want.__name__}")
        if self.choices and value not in self.choices:
            raise UserError(f"{where} = {value} is not one of {', '.join(map(str, self.choices))}")
        if self.lo is not None and not self.lo <= value <= self.hi:
            raise UserError(f"{where} = {value} is out of range {self.lo}..{self.hi}")
        return value


SETTINGS = (
    Setting("device", "", 'audio device name (part of it) or index; "" = first full-duplex stereo',
            "--device"),
    Setting("rate", 48000, "sample rate, Hz: " + ", ".join(map(str, RATES)), "--rate", choices=RATES),
    Setting("block", 128, "frames per period: " + ", ".join(map(str, BLOCKS)), "--block",
            choices=BLOCKS),
    Setting("rt_priority", 70, "SCHED_FIFO priority of the audio thread, 0 = off", "--rt-priority",
            0, 99),
    Setting("rt_cpu", -1, "pin the audio thread to this CPU (an isolated core), -1 = any",
            "--rt-cpu", -1, 1023),
    Setting("preset", "neutral", "the sound when no saved state can be restored (the box boots",
            more="into the state it was left in: see state_dir)"),
    Setting("panel", "gpio", "gpio: encoders, buttons and OLED from the pin table; keys: this "
            "terminal; none: headless", "--panel", choices=PANELS),
    Setting("pins", "", '"" = hardware/pins.toml of the installation', "--pins"),
    Setting("state_dir", "", 'saved session and user presets; "" = the service\'s StateDirectory',
            "--state-dir", more="(/var/lib/masterbox), or ~/.local/state/masterbox elsewhere"),
    Setting("references", "", "reference tracks (up to 4 audio files, read at start; a mounted",
            more='USB stick, say); "" = the references folder in state_dir'),
    Setting("contexts", "", "playback contexts: up to 4 impulse responses (mono or stereo, at most",
            more='1 s each, read at start) to hear the master through; "" = the contexts folder in state_dir'),
    Setting("reference_memory_mb", 256, "memory for them: 4 slots of 1.9 min each at 48 kHz, 0 = none",
            "--reference-memory-mb", 0, 4096),
    Setting("osc_port", 0, "OSC over UDP on this port; 0 = off (remote surfaces are off by default)",
            "--osc", 0, 65535),
    Setting("osc_bind", "127.0.0.1", "the address it listens on: the box's LAN address to reach it",
            "--osc-bind"),
    Setting("remote_password", "", 'the pairing code remote surfaces must send; "" = a fresh code each',
            more="start, shown on the Remote page"),
    Setting("midi_device", "", 'a MIDI controller: its ALSA rawmidi device (/dev/snd/midiC1D0), or '
            'jack; "" = off', "--midi"),
    Setting("midi_map", "", "a TOML file of bindings over the default map (docs/midi-map.md)"),
    Setting("web_port", 0, "the browser page on this TCP port; 0 = off", "--web", 0, 65535),
    Setting("web_bind", "127.0.0.1", "the address it listens on: the box's LAN address to reach it",
            "--web-bind"),
)
BY_KEY = {s.key: s for s in SETTINGS}
DEFAULTS = {s.key: s.default for s in SETTINGS}


def load(path: str) -> dict:
    """The config file's settings over the defaults, every value checked."""
    doc = tomlfile.read(path, "config")
    out = dict(DEFAULTS)
    for key, value in doc.items():
        if key not in BY_KEY:
            raise UserError(f"config {path}: unknown key '{key}' (known: {', '.join(BY_KEY)})")
        out[key] = BY_KEY[key].check(value, f"config {path}: {key}")
    return out


def add_flags(parser) -> None:
    """The flags of every setting that has one; their default is None, so
    that resolve() can tell a flag given from one left out."""
    for s in SETTINGS:
        if s.flag is None:
            continue
        kind = type(s.default)
        parser.add_argument(s.flag, type=kind, default=None,
                            choices=s.choices or None, metavar=None if s.choices else s.key.upper(),
                            help=f"{s.doc} (default {s.default!r}, or the config's {s.key})")


def resolve(args, cfg: dict | None) -> dict:
    """Every setting: the flag if given, else the config file's, else the
    default; a flag's value checked like the file's."""
    out = dict(cfg or DEFAULTS)
    for s in SETTINGS:
        if s.flag is None:
            continue
        v = getattr(args, s.flag[2:].replace("-", "_"), None)
        if v is not None:
            out[s.key] = s.check(v, s.flag)
    return out


def text() -> str:
    """The documented default file the installer writes: every key, its
    default and its doc."""
    lines = []
    for s in SETTINGS:
        left = f"{s.key} = {_toml(s.default)}"
        lines.append(f"{left:22s} # {s.doc}")
        if s.more:
            lines.append(f"{'':22s} # {s.more}")
    return "\n".join(lines) + "\n"


def _toml(v) -> str:
    return f'"{v}"' if isinstance(v, str) else str(v)
