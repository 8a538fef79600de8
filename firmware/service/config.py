"""/etc/masterbox/config.toml: the box's machine settings (not the sound).

Every key, with its default:

    device = ""            # audio device name (part of it) or index; "" = first full-duplex stereo
    rate = 48000           # 44100, 48000, 88200 or 96000
    block = 128            # 64, 128, 256 or 512 frames
    rt_priority = 70       # SCHED_FIFO priority of the audio thread, 0 = off
    rt_cpu = -1            # pin the audio thread to this CPU (an isolated core), -1 = any
    preset = "neutral"     # the sound when no saved state can be restored (the box boots
                           # into the state it was left in: see state_dir)
    panel = "gpio"         # gpio: encoders, buttons and OLED from the pin table; none: headless
    pins = ""              # the pin table; "" = hardware/pins.toml of the installation
    state_dir = ""         # saved session and user presets; "" = the service's StateDirectory
                           # (/var/lib/masterbox), or ~/.local/state/masterbox elsewhere
    references = ""        # reference tracks (up to 4 audio files, read at start; a mounted
                           # USB stick, say); "" = the references folder in state_dir
    reference_memory_mb = 256   # memory for them: 4 slots of 1.9 min each at 48 kHz, 0 = none
    osc_port = 0           # OSC over UDP on this port; 0 = off (remote surfaces are off by default)
    osc_bind = "127.0.0.1" # the address it listens on: the box's LAN address to reach it
    remote_password = ""   # the pairing code remote surfaces must send; "" = a fresh code each
                           # start, shown on the Remote page
    midi_device = ""       # a MIDI controller: its ALSA rawmidi device (/dev/snd/midiC1D0); "" = off
    midi_map = ""          # a TOML file of bindings over the default map (docs/midi-map.md)
    web_port = 0           # the browser page on this TCP port; 0 = off
    web_bind = "127.0.0.1" # the address it listens on: the box's LAN address to reach it

Unknown keys and bad values are rejected with a message naming them.
"""
from __future__ import annotations

from ..errors import UserError
from ..store import tomlfile

DEFAULTS = {"device": "", "rate": 48000, "block": 128, "rt_priority": 70, "rt_cpu": -1, "preset": "neutral",
            "panel": "gpio", "pins": "", "state_dir": "", "references": "", "reference_memory_mb": 256,
            "osc_port": 0, "osc_bind": "127.0.0.1", "remote_password": "", "midi_device": "", "midi_map": "",
            "web_port": 0, "web_bind": "127.0.0.1"}
CHOICES = {"rate": (44100, 48000, 88200, 96000), "block": (64, 128, 256, 512),
           "panel": ("gpio", "none")}


def load(path: str) -> dict:
    doc = tomlfile.read(path, "config")
    out = dict(DEFAULTS)
    for key, value in doc.items():
        if key not in DEFAULTS:
            raise UserError(f"config {path}: unknown key '{key}' (known: {', '.join(DEFAULTS)})")
        want = type(DEFAULTS[key])
        if key == "device" and isinstance(value, int):
            value = str(value)
        if not isinstance(value, want) or isinstance(value, bool):
            raise UserError(f"config {path}: {key} = {value!r} should be a {want.__name__}")
        if key in CHOICES and value not in CHOICES[key]:
            raise UserError(f"config {path}: {key} = {value} is not one of "
                            f"{', '.join(map(str, CHOICES[key]))}")
        if key == "rt_priority" and not 0 <= value <= 99:
            raise UserError(f"config {path}: rt_priority = {value} is out of range 0..99")
        if key in ("osc_port", "web_port") and not 0 <= value <= 65535:
            raise UserError(f"config {path}: {key} = {value} is out of range 0..65535 (0 = off)")
        if key == "reference_memory_mb" and not 0 <= value <= 4096:
            raise UserError(f"config {path}: reference_memory_mb = {value} is out of range 0..4096")
        if key == "rt_cpu" and not -1 <= value <= 1023:
            raise UserError(f"config {path}: rt_cpu = {value} is out of range -1..1023 (-1 = any)")
        out[key] = value
    return out


def text() -> str:
    """The documented default file the installer writes."""
    return (__doc__.split("Every key, with its default:\n\n", 1)[1]
            .split("\n\nUnknown keys", 1)[0].replace("\n    ", "\n").strip() + "\n")
