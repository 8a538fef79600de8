"""MIDI in and out: a controller's knobs, encoders and buttons as hands on the
session, and every change sent back so LED rings and motor faders follow.

Transport: raw MIDI bytes. On the box a USB controller is an ALSA rawmidi
device (/dev/snd/midiC1D0): the file is read and written as it is, so nothing
needs compiling on the Pi and no MIDI library is involved (RawMidiPort). In
the laptop mode and the tests, a JACK MIDI port on the JACK server
(JackMidiPort, through JACK-Client, which the tests already use). Both hand
bytes to the same parser.

Messages, read from raw bytes: running status, system real-time bytes
interleaved anywhere, system exclusive skipped, stray data bytes ignored.
Controls (the default map, generated from the schema, overridable in TOML):

- NRPN, parameter number MSB = the module's block (NRPN_BLOCKS), LSB = the
  parameter's place in its module (see `masterbox params --midi-map`), so a
  module or parameter added later never moves a number; 14-bit absolute over the control's taper (CC 99/98
  select, 6/38 data MSB/LSB, 96/97 increment/decrement, 101/100 = 127 the null
  that ends a burst). A 7-bit CC on +-12 dB is 0.19 dB a step: too coarse for
  mastering; 14 bits are 0.0015 dB.
- CC 21-24: relative, two's complement (1..63 up, 127..65 down), as the panel's
  four encoders: the box's own steps and acceleration on whatever page is up.
  CC 25-27: the bypass, compare and back buttons (value > 63 presses);
  CC 28/29: the next / previous streaming platform heard (platforms.py).
  CC 30/31: the next / previous playback context heard through (contexts.py).
  CC 14/15: the next / previous codec preview (codec_preview.py).
- Program change 0-3: recall snapshot A-D; after bank select (CC 0) 1, program
  change N loads the user's preset N (in the presets page's order).
- Learned bindings (a double push on a control's encoder, then move the
  controller's knob): 7-bit CC absolute, a 14-bit CC pair (CC n and n+32),
  relative CC (two's complement or offset 64) or NRPN; kept with the session.

Absolute controls pick up (soft takeover): a knob whose position disagrees
with the box moves nothing until it reaches or passes the box's value.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from dsp import params

from ..verbs import Hands, dispatch

if TYPE_CHECKING:
    from ..session import Session

log = logging.getLogger("masterbox.midi")

ENCODER_CC = (21, 22, 23, 24)
BUTTON_CC = {25: "bypass", 26: "compare", 27: "back"}
PLATFORM_CC = {28: 1, 29: -1}   # value > 63: the next / previous platform heard (platforms.py)
CONTEXT_CC = {30: 1, 31: -1}    # value > 63: the next / previous playback context (contexts.py)
CODEC_CC = {14: 1, 15: -1}      # value > 63: the next / previous codec preview (codec_preview.py)
PICKUP = 1.5 / 128              # an absolute control is taken within this of the box's value
FEEDBACK_HZ = 50.0              # at most this many feedback bursts a second
MODES = ("abs", "abs14", "rel2c", "rel64", "nrpn")


# ---------------------------------------------------------------- parsing
class Parser:
    """Raw MIDI bytes in, channel messages out: (kind, channel, a, b) with
    kind "cc" (controller a, value b), "pc" (program a), "note" (a, b velocity).
    Keeps running status across calls."""

    def __init__(self):
        self.status = 0
        self.data: list[int] = []
        self.in_sysex = False
        self.garbage = 0

    def feed(self, data: bytes) -> list[tuple]:
        out = []
        for b in data:
            if b >= 0xF8:
                continue                        # real-time: clock, start, stop, active sensing
            if b == 0xF0:
                self.in_sysex = True
                continue
            if self.in_sysex:
                if b == 0xF7 or b >= 0x80:
                    self.in_sysex = False
                if b < 0x80 or b == 0xF7:
                    continue
            if b >= 0xF0:
                self.status = 0                 # system common: ends running status
                self.data = []
                continue
            if b >= 0x80:
                self.status = b
                self.data = []
                continue
            if not self.status:
                self.garbage += 1               # a data byte with nothing to belong to
                continue
            self.data.append(b)
            kind = self.status & 0xF0
            need = 1 if kind in (0xC0, 0xD0) else 2
            if len(self.data) < need:
                continue
            ch = self.status & 0x0F
            if kind == 0xB0:
                out.append(("cc", ch, self.data[0], self.data[1]))
            elif kind == 0xC0:
                out.append(("pc", ch, self.data[0], 0))
            elif kind == 0x90:
                out.append(("note", ch, self.data[0], self.data[1]))
            self.data = []                      # running status: the next data byte starts anew
        return out


def relative(value: int, mode: str) -> int:
    """Steps from a relative encoder's value."""
    if mode == "rel64":
        return value - 64
    return value if value < 64 else value - 128    # two's complement


class Nrpn:
    """NRPN bursts per channel: (parameter, value14) on each data entry,
    (parameter, +-1) on increment/decrement."""

    def __init__(self):
        self.param = [None] * 16
        self.msb = [0] * 16
        self.sel = [[None, None] for _ in range(16)]

    def cc(self, ch: int, num: int, val: int):
        s = self.sel[ch]
        if num == 99:
            s[0] = val
        elif num == 98:
            s[1] = val
        elif num in (101, 100):
            if val == 127:
                s[0] = s[1] = None              # the null: the burst is over
            return None
        elif s[0] is None or s[1] is None:
            return None
        elif num == 6:
            self.msb[ch] = val
            return ("set", s[0] << 7 | s[1], val << 7)
        elif num == 38:
            return ("set", s[0] << 7 | s[1], self.msb[ch] << 7 | val)
        elif num in (96, 97):
            return ("step", s[0] << 7 | s[1], 1 if num == 96 else -1)
        return None


# each module's NRPN block (the number's MSB), in the order the modules came:
# a new module takes the next block and a new parameter its module's next
# LSB, so what a controller was set up with keeps working
NRPN_BLOCKS = ("input", "eq", "glue", "multiband", "saturation", "stereo", "clipper", "limiter",
               "output", "dyneq", "deess")


def _module_ids(module: str) -> list[str]:
    return [p.id for p in params.SCHEMA if p.module == module]


def nrpn_number(pid: str) -> int:
    p = params.get(pid)
    return NRPN_BLOCKS.index(p.module) << 7 | _module_ids(p.module).index(pid)


def pid_of_nrpn(n: int) -> str | None:
    block, at = n >> 7, n & 127
    ids = _module_ids(NRPN_BLOCKS[block]) if 0 <= block < len(NRPN_BLOCKS) else []
    return ids[at] if at < len(ids) else None


def fraction_value(pid: str, f: float) -> float:
    """The value at position f (0..1) along a control's taper."""
    return params.get(pid).value_at(f)


def value_fraction(pid: str, v: float) -> float:
    return params.get(pid).fraction(v)


# ---------------------------------------------------------------- the surface
class MidiSurface:
    """Messages in -> session changes (and panel actions), session changes ->
    messages out. ``act(action)`` is the panel's hand (the Controller's
    handle), for the encoder and button CCs; ``presets()`` lists the user's
    presets for bank-selected program changes."""

    def __init__(self, session: Session, send=None, act=None, presets=None, clock=time.monotonic):
        self.session = session
        self.send = send or (lambda b: None)
        self.act = act
        self.presets = presets
        self.clock = clock
        self.parser = Parser()
        self.nrpn = Nrpn()
        self.bank = [0] * 16
        self.msb14: dict = {}
        self.picked: dict[str, bool] = {}
        self.learning: str | None = None
        self.learned: str = ""
        self._batch: dict[str, float] = {}
        self._last_in: dict[str, float] = {}      # each absolute control's last position
        self._lock = threading.Lock()
        self._dirty: set[str] = set()
        self._next_feedback = 0.0
        self._unsub = session.subscribe(self._changed)

    def close(self) -> None:
        self._unsub()

    # ------------------------------------------------------------ in
    def receive(self, data: bytes) -> None:
        """Everything in ``data``: the moves of one read go to the session as
        one change (the latest value of each control), so a dense stream
        costs one redesign per read, not one per message; order is kept
        around program changes and panel actions, which go as they come."""
        self._batch = {}
        for msg in self.parser.feed(data):
            try:
                self._message(*msg)
            except Exception as e:              # a bad value is said in the log, not fatal
                log.warning("MIDI %s: %s", msg, e)
        self._apply_batch()

    def _value(self, pid: str) -> float:
        return self._batch.get(pid, self.session.value(pid))

    def _set(self, pid: str, value: float) -> None:
        self._batch[pid] = params.check_value(pid, value)

    def _apply_batch(self) -> None:
        if self._batch:
            batch, self._batch = self._batch, {}
            self.session.apply(batch, "midi", gesture="midi:" + ",".join(sorted(batch)))

    def learn(self, pid: str) -> None:
        """Bind the next control that moves to ``pid``."""
        params.get(pid)
        self.learning = pid

    def _message(self, kind: str, ch: int, a: int, b: int) -> None:
        if kind == "pc":
            if self.learning:
                return
            self._apply_batch()
            self._program(ch, a)
            return
        if kind != "cc":
            return
        got = self.nrpn.cc(ch, a, b)
        if got is not None:
            what, number, v = got
            self._nrpn(ch, number, what, v)
            return
        if a in (99, 98, 6, 38, 96, 97, 101, 100):
            return
        if a == 0:
            self.bank[ch] = b
            return
        key = f"cc:{ch}:{a}"
        if self.learning:
            self._learn(key, a, b)
            return
        binding = self.session.bindings.get(key)
        if binding is None and 32 <= a < 64:
            lsb_of = self.session.bindings.get(f"cc:{ch}:{a - 32}")
            if lsb_of is not None and lsb_of["mode"] == "abs14":
                self._absolute(lsb_of["param"], (self.msb14.get((ch, a - 32), 0) << 7 | b) / 16383.0)
            return
        if binding is not None:
            self._bound(binding, ch, a, b)
        elif a in ENCODER_CC and self.act is not None:
            self._panel("enc%d" % (ENCODER_CC.index(a) + 1), "turn", relative(b, "rel2c"))
        elif a in BUTTON_CC and b > 63 and self.act is not None:
            self._panel(BUTTON_CC[a], "press", 0)
        elif a in PLATFORM_CC and b > 63:
            self._apply_batch()
            dispatch(Hands(self.session, self.presets), "platform_step", [PLATFORM_CC[a]], "midi")
        elif a in CONTEXT_CC and b > 63:
            self._apply_batch()
            dispatch(Hands(self.session, self.presets), "context_step", [CONTEXT_CC[a]], "midi")
        elif a in CODEC_CC and b > 63:
            self._apply_batch()
            dispatch(Hands(self.session, self.presets), "codec_step", [CODEC_CC[a]], "midi")

    def _panel(self, control: str, kind: str, steps: int) -> None:
        from ui.actions import Action

        if kind == "turn" and steps == 0:
            return
        self._apply_batch()
        self.act(Action(control, kind, steps))

    def _bound(self, binding: dict, ch: int, a: int, b: int) -> None:
        pid, mode = binding["param"], binding["mode"]
        if mode in ("rel2c", "rel64"):
            steps = relative(b, mode)
            if steps:
                self._set(pid, params.get(pid).stepped(self._value(pid), steps))
        elif mode == "abs14":
            self.msb14[(ch, a)] = b                 # the LSB (CC a + 32) completes it
            self._absolute(pid, (b << 7) / 16383.0)
        else:
            self._absolute(pid, b / 127.0)

    def _nrpn(self, ch: int, number: int, what: str, v: int) -> None:
        key = f"nrpn:{ch}:{number}"
        if self.learning and what == "set":
            self._learn(key, number, v, mode="nrpn")
            return
        binding = self.session.bindings.get(key)
        pid = binding["param"] if binding else pid_of_nrpn(number)
        if pid is None:
            return
        if what == "step":
            self._set(pid, params.get(pid).stepped(self._value(pid), v, fine=True))
        else:
            self._absolute(pid, v / 16383.0)

    def _absolute(self, pid: str, f: float) -> None:
        """Soft takeover: the control moves the value once it is at it."""
        cur = value_fraction(pid, self._value(pid))
        prev = self._last_in.get(pid)
        self._last_in[pid] = f
        if not self.picked.get(pid):
            # taken when it comes within PICKUP of the box's value, or passes it
            crossed = prev is not None and min(prev, f) <= cur <= max(prev, f)
            if abs(f - cur) > PICKUP and not crossed:
                return
            self.picked[pid] = True
        self._set(pid, fraction_value(pid, f))

    def _program(self, ch: int, prog: int) -> None:
        """Bank 0: program 0-3 recalls snapshot A-D; bank 1: program N loads
        the Nth preset (built-ins first, then the user's)."""
        hands = Hands(self.session, self.presets)
        if self.bank[ch] == 0:
            if prog < 4:
                dispatch(hands, "recall", [prog], "midi")
            return
        if self.presets is None:
            return
        names = [n for n, _builtin in self.presets.all()]
        if prog < len(names):
            dispatch(hands, "preset_load", [names[prog]], "midi")

    def _learn(self, key: str, num: int, value: int, mode: str | None = None) -> None:
        pid = self.learning
        if mode is None:
            # a knob that sends values around the middle and steps (1, 127, 63, 65)
            # is an encoder; anything else an absolute knob
            mode = "rel2c" if value in (1, 2, 3, 125, 126, 127) else "abs"
        self.session.bind({key: {"param": pid, "mode": mode}}, "midi")
        self.learning = None
        self.learned = f"{key.replace(':', ' ')} -> {params.get(pid).label}"
        self.picked.pop(pid, None)

    # ------------------------------------------------------------ out
    def _changed(self, change) -> None:
        # a subscriber: quick, no I/O here (the session is locked); the values
        # go out from flush()
        if change.source == "midi":
            return
        with self._lock:
            self._dirty.update(change.values)
        for pid in change.values:
            self.picked[pid] = False            # moved by another hand: pick up again

    def flush(self) -> None:
        """Send the changed values to every bound absolute control and the
        NRPN map, at most FEEDBACK_HZ times a second."""
        now = self.clock()
        if now < self._next_feedback:
            return
        with self._lock:
            dirty, self._dirty = self._dirty, set()
        if not dirty:
            return
        self._next_feedback = now + 1.0 / FEEDBACK_HZ
        out = bytearray()
        by_param = {b["param"]: (k, b) for k, b in self.session.bindings.items()}
        for pid in sorted(dirty):
            f = value_fraction(pid, self.session.value(pid))
            if pid in by_param:
                key, b = by_param[pid]
                kind, ch, num = key.split(":")
                ch, num = int(ch), int(num)
                if b["mode"] == "abs":
                    out += bytes((0xB0 | ch, num, round(f * 127)))
                elif b["mode"] == "abs14":
                    v = round(f * 16383)
                    out += bytes((0xB0 | ch, num, v >> 7, 0xB0 | ch, num + 32, v & 127))
                elif kind == "nrpn":
                    out += _nrpn_bytes(ch, num, round(f * 16383))
            else:
                out += _nrpn_bytes(0, nrpn_number(pid), round(f * 16383))
        self.send(bytes(out))


def _nrpn_bytes(ch: int, number: int, v: int) -> bytes:
    s = 0xB0 | ch
    return bytes((s, 99, number >> 7, s, 98, number & 127, s, 6, v >> 7, s, 38, v & 127,
                  s, 101, 127, s, 100, 127))


def load_map(path: str) -> dict:
    """Bindings from a TOML map file, in the session's form ({"cc:CH:NUM" or
    "nrpn:CH:NUM": {"param", "mode"}}, channels 0-15 inside, 1-16 in the file):

        [[binding]]
        channel = 1            # 1-16
        cc = 70                # or nrpn = 300
        mode = "abs"           # abs | abs14 | rel2c | rel64 (nrpn for an NRPN)
        param = "limiter.drive_db"
    """
    from ..errors import UserError
    from ..store import tomlfile

    doc = tomlfile.read(path, "MIDI map")
    extra = set(doc) - {"binding"}
    if extra:
        raise UserError(f"MIDI map {path}: unknown key {sorted(extra)[0]!r} (use [[binding]] tables)")
    out = {}
    for i, b in enumerate(doc.get("binding", []), start=1):
        where = f"MIDI map {path}: binding {i}"
        if not isinstance(b, dict):
            raise UserError(f"{where}: not a table")
        unknown = set(b) - {"channel", "cc", "nrpn", "mode", "param"}
        if unknown:
            raise UserError(f"{where}: unknown key {sorted(unknown)[0]!r}")
        ch = b.get("channel", 1)
        if not (isinstance(ch, int) and 1 <= ch <= 16):
            raise UserError(f"{where}: channel {ch!r} is out of range 1..16")
        pid = b.get("param")
        if pid not in params.defaults():
            raise UserError(f"{where}: unknown parameter {pid!r} (see masterbox params)")
        if ("cc" in b) == ("nrpn" in b):
            raise UserError(f"{where}: give one of cc = 0..127 or nrpn = 0..16383")
        if "cc" in b:
            num, top, mode = b["cc"], 127 if b.get("mode") != "abs14" else 31, b.get("mode", "abs")
            if mode not in ("abs", "abs14", "rel2c", "rel64"):
                raise UserError(f"{where}: mode {mode!r}: use abs, abs14, rel2c or rel64")
            key = f"cc:{ch - 1}:{num}"
        else:
            num, top, mode = b["nrpn"], 16383, "nrpn"
            key = f"nrpn:{ch - 1}:{num}"
        if not (isinstance(num, int) and 0 <= num <= top):
            raise UserError(f"{where}: number {num!r} is out of range 0..{top}")
        out[key] = {"param": pid, "mode": mode}
    return out
