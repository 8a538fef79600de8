"""The panel's pin table (hardware/pins.toml): read, checked, and turned into the
list of input lines the GPIO backends set up.

The checks are the wiring rules of the reference hardware: BCM 0-27 only, no pin
used twice, nothing on I2S (18-21), I2C (2, 3) or the HAT EEPROM (0, 1), nothing
on SPI0's lines while SPI0 is on (GPIO 7 is free with ``spi0 = "one-cs"``), not
the display's own DC/RST pins, and GPIO 14/15 only with the serial console off.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import os
import sys
import tomllib

from .actions import BUTTONS, ENCODERS

RESERVED = {0: "HAT EEPROM (ID_SD)", 1: "HAT EEPROM (ID_SC)", 2: "I2C SDA", 3: "I2C SCL",
            18: "I2S BCLK", 19: "I2S LRCLK", 20: "I2S DIN", 21: "I2S DOUT"}
SPI0 = {7: "SPI0 CE1", 8: "SPI0 CE0", 9: "SPI0 MISO", 10: "SPI0 MOSI", 11: "SPI0 SCLK"}
UART = {14: "UART TX (serial console)", 15: "UART RX (serial console)"}
DISPLAYS = ("ssd1309", "ssd1306", "sh1106", "ssd1322")
# the repository's hardware/ (a checkout), else the one scripts/install.sh copies
# next to the service's virtual environment (/opt/masterbox/hardware)
_CANDIDATES = (
    os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "hardware", "pins.toml"),
    os.path.join(os.path.dirname(sys.prefix), "hardware", "pins.toml"),
)
DEFAULT_TABLE = next((p for p in _CANDIDATES if os.path.exists(p)), _CANDIDATES[0])


class PinError(ValueError):
    pass


@dataclass
class PinTable:
    name: str
    description: str
    display: dict
    encoders: dict[str, dict[str, int]]      # enc1 -> {"a": 17, "b": 27, "push": 22}
    buttons: dict[str, int]                  # bypass -> 4
    system: dict = field(default_factory=dict)

    def lines(self) -> list[tuple[int, str, str]]:
        """Every input as (gpio, control, role): role is a, b or push/button."""
        out = []
        for enc in ENCODERS:
            for role in ("a", "b", "push"):
                out.append((self.encoders[enc][role], enc, role))
        for b in BUTTONS:
            out.append((self.buttons[b], b, "button"))
        return out


def _int(where, v):
    if isinstance(v, bool) or not isinstance(v, int):
        raise PinError(f"{where}: {v!r} is not a GPIO number (BCM 0-27)")
    if not 0 <= v <= 27:
        raise PinError(f"{where}: GPIO {v} is out of range 0-27 (BCM numbering)")
    return v


def parse(doc: dict, where: str = "pin table") -> PinTable:
    known = {"schema_version", "name", "description", "system", "display", "encoders", "buttons"}
    for k in doc:
        if k not in known:
            raise PinError(f"{where}: unknown key '{k}' (known: {', '.join(sorted(known))})")
    if doc.get("schema_version") != 1:
        raise PinError(f"{where}: schema_version {doc.get('schema_version')!r}: this firmware reads 1")
    system = dict(doc.get("system", {}))
    spi0 = system.get("spi0", "on")
    if spi0 not in ("on", "one-cs", "off"):
        raise PinError(f"{where}: system.spi0 {spi0!r}: use on, one-cs or off")
    console = system.get("serial_console", True)
    disp = dict(doc.get("display", {}))
    kind = disp.get("kind")
    if kind not in DISPLAYS:
        raise PinError(f"{where}: display.kind {kind!r}: use one of {', '.join(DISPLAYS)}")
    iface = disp.get("interface")
    if iface not in ("spi", "i2c"):
        raise PinError(f"{where}: display.interface {iface!r}: use spi or i2c")
    if iface == "spi" and spi0 == "off":
        raise PinError(f"{where}: the display is on SPI but system.spi0 is off")
    used: dict[int, str] = {}
    if iface == "spi":
        for role in ("dc", "rst"):
            if role in disp:
                used[_int(f"{where}: display.{role}", disp[role])] = f"display {role.upper()}"
        if "dc" not in disp:
            raise PinError(f"{where}: an SPI display needs display.dc (its data/command pin)")
    encs = doc.get("encoders", {})
    buttons = doc.get("buttons", {})
    for e in encs:
        if e not in ENCODERS:
            raise PinError(f"{where}: unknown encoder '{e}' (use {', '.join(ENCODERS)})")
    for b in buttons:
        if b not in BUTTONS:
            raise PinError(f"{where}: unknown button '{b}' (use {', '.join(BUTTONS)})")
    enc_out = {}
    for e in ENCODERS:
        if e not in encs:
            raise PinError(f"{where}: encoder '{e}' is missing (the panel has {len(ENCODERS)})")
        roles = encs[e]
        for r in roles:
            if r not in ("a", "b", "push"):
                raise PinError(f"{where}: encoders.{e}.{r}: unknown line (use a, b, push)")
        enc_out[e] = {r: _int(f"{where}: encoders.{e}.{r}", roles.get(r)) for r in ("a", "b", "push")}
    but_out = {}
    for b in BUTTONS:
        if b not in buttons:
            raise PinError(f"{where}: button '{b}' is missing (the panel has {', '.join(BUTTONS)})")
        but_out[b] = _int(f"{where}: buttons.{b}", buttons[b])
    table = PinTable(doc.get("name", ""), doc.get("description", ""), disp, enc_out, but_out, system)
    for gpio, control, role in table.lines():
        what = f"{control}.{role}" if role != "button" else control
        if gpio in used:
            raise PinError(f"{where}: GPIO {gpio} is used twice ({used[gpio]} and {what})")
        if gpio in RESERVED:
            raise PinError(f"{where}: {what} on GPIO {gpio}, which is {RESERVED[gpio]}")
        if gpio in SPI0 and not (spi0 == "off" or (spi0 == "one-cs" and gpio == 7)):
            raise PinError(f"{where}: {what} on GPIO {gpio}, which is {SPI0[gpio]} "
                           f"(system.spi0 = {spi0!r})")
        if gpio in UART and console:
            raise PinError(f"{where}: {what} on GPIO {gpio}, which is {UART[gpio]}; "
                           f"set system.serial_console = false and disable the console")
        used[gpio] = what
    return table


def load(path: str | None = None) -> PinTable:
    path = path or DEFAULT_TABLE
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except FileNotFoundError:
        raise PinError(f"pin table {path}: file not found") from None
    except tomllib.TOMLDecodeError as e:
        raise PinError(f"pin table {path}: not valid TOML ({e})") from None
    return parse(doc, where=f"pin table {path}")
