"""Remote surfaces: hands on the same session from outside the panel, each
off by default, the network ones unable to change the box before pairing.

    osc.py    OSC over UDP: set and read parameters, snapshots, compare,
              listening, undo; subscriptions that push changes and meters
    midi.py   a MIDI controller (ALSA rawmidi file or JACK MIDI): NRPN,
              14-bit and relative controls, learn, pick-up, feedback
    web.py    the browser page (aiohttp; assets in web/): every parameter,
              meters, the EQ curve, proposals, the session log
    pairing.py  the pairing code and the wait after wrong codes
"""
from __future__ import annotations


class Surfaces(list):
    """The surfaces running, each with status() and close(); ``midi`` is the
    MIDI surface when there is one (the panel's learn talks to it)."""
    midi = None

    def close(self) -> None:
        for r in self:
            r.close()
        self.clear()


class MidiOn:
    """A MIDI port and its surface, closed together; a line for the Remote page."""

    def __init__(self, port, surface):
        self.port, self.surface = port, surface
        self.code = ""

    def status(self) -> list[str]:
        return [f"MIDI {len(self.surface.session.bindings)} learned"]

    def close(self) -> None:
        self.port.close()
        self.surface.close()


def start(session, meter, osc=None, web=None, password: str = "", presets=None, midi: str = "",
          midi_map: dict | None = None, act=None, history=None, assistant=None) -> Surfaces:
    """The surfaces asked for, running, the same way for the box and the
    laptop mode: ``osc`` and ``web`` are (bind address, port) or None, with
    one pairing code for both (the password, or a fresh code shown on the
    Remote page); ``midi`` a rawmidi device file, "jack", or "" for none,
    with ``midi_map``'s bindings over the learnt ones. ``presets``: the
    user's presets (store/presets.UserPresets), which the page and MIDI's
    bank 1 program changes load (None: the built-ins only); ``act``: the
    panel's hand for MIDI's encoder and button controls (None: headless);
    ``history``: the panel's meter history (firmware/history.py), which the
    page then shows and samples into too: one history per box (None: the
    page keeps its own, headless); ``assistant``: the panel's assistant
    hand, which OSC's and the page's ``ask`` reach (None: headless)."""
    from .pairing import new_code

    code = new_code(password)
    out = Surfaces()
    try:
        if osc is not None:
            from .osc import OscServer
            out.append(OscServer(session, *osc, password=code, meter=meter, presets=presets,
                                 assistant=assistant).start())
        if web is not None:
            from .web import WebServer
            out.append(WebServer(session, *web, code=code, meter=meter, presets=presets,
                                 history=history, assistant=assistant).start())
        if midi:
            from .midi import MidiSurface
            from .midi_ports import JackMidiPort, RawMidiPort
            session.bind(midi_map or {}, "midi-map")
            surface = MidiSurface(session, act=act, presets=presets)
            port = JackMidiPort(surface) if midi == "jack" else RawMidiPort(midi, surface)
            out.append(MidiOn(port, surface))
            out.midi = surface
    except Exception:
        out.close()
        raise
    return out
